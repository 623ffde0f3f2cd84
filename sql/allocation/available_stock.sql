-- Unrestricted stock per SKU in the snapshot (all plants and storage locations), less what allocations from the
-- same snapshot already took (superseded rows — replaced by a rerun — take nothing).
SELECT l.sap_code,
       SUM(l.unrestricted_qty) - COALESCE(MAX(t.taken), 0) AS available
FROM stock_level l
LEFT JOIN (
    SELECT sap_code, SUM(sap_qty) AS taken
    FROM allocation_log
    WHERE snapshot_id = :snapshot_id AND superseded = FALSE
    GROUP BY sap_code
) t ON t.sap_code = l.sap_code
WHERE l.snapshot_id = :snapshot_id
GROUP BY l.sap_code
