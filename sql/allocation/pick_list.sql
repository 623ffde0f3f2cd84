-- What to pick for a date (optionally one tag): the current (not superseded) allocations.
SELECT a.sap_code, s.description AS sku_description, a.sap_uom, a.canonical_code, a.canonical_uom,
       a.tag_id, a.ingest_line_id, l.line_no, l.nesting_description, l.part_no,
       a.sap_qty, a.canonical_qty, a.conversion_factor, a.run_id
FROM allocation_log a
JOIN tag_line l ON l.ingest_line_id = a.ingest_line_id
LEFT JOIN sap_material s ON s.sap_code = a.sap_code
WHERE a.run_date = :run_date
  AND a.superseded = FALSE
  AND (CAST(:tag_id AS VARCHAR(20)) IS NULL OR a.tag_id = CAST(:tag_id AS VARCHAR(20)))
ORDER BY a.sap_code, a.tag_id, l.line_no
