-- Available per SKU (DOMAIN "Allocation" step 2): the snapshot's unrestricted stock (all plants and
-- storage locations) less what the live allocations made since the snapshot's date took, whatever
-- snapshot they were made against. :since is the start of the snapshot's day in the business time
-- zone: an allocation made that day or later is not in the snapshot yet, one made before it is. So a
-- second load of a snapshot of the same date subtracts the same allocations (nothing doubles).
-- Superseded rows (replaced by a rerun, released by a replaced sheet) take nothing.
SELECT l.sap_code,
       SUM(l.unrestricted_qty) - COALESCE(MAX(t.taken), 0) AS available
FROM stock_level l
LEFT JOIN (
    SELECT sap_code, SUM(sap_qty) AS taken
    FROM allocation_log
    WHERE created_at >= :since AND superseded = FALSE
    GROUP BY sap_code
) t ON t.sap_code = l.sap_code
WHERE l.snapshot_id = :snapshot_id
GROUP BY l.sap_code
