-- One snapshot's totals per SAP unit (sheets, rolls, kg... are never added together).
SELECT m.sap_uom AS unit, COUNT(DISTINCT l.sap_code) AS skus,
       COALESCE(SUM(l.unrestricted_qty), 0) AS unrestricted,
       COALESCE(SUM(l.quality_inspection_qty), 0) AS quality_inspection,
       COALESCE(SUM(l.blocked_qty), 0) AS blocked
FROM stock_level l
JOIN sap_material m ON m.sap_code = l.sap_code
WHERE l.snapshot_id = :snapshot_id
GROUP BY m.sap_uom
ORDER BY m.sap_uom
