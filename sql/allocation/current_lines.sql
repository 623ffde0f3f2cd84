-- The current allocation of a date (optionally one tag): each line's status with the SKUs it takes.
SELECT a.tag_id, a.ingest_line_id, l.line_no, l.nesting_description, a.status, a.canonical_code, a.canonical_uom,
       a.required_qty, a.allocated_qty, a.shortfall_qty, a.exception_id, a.reason, a.run_id,
       g.sap_code, g.priority, g.sap_qty, g.sap_uom, g.canonical_qty AS take_canonical_qty, g.conversion_factor
FROM allocation_line a
JOIN tag_line l ON l.ingest_line_id = a.ingest_line_id
LEFT JOIN allocation_log g ON g.run_id = a.run_id AND g.ingest_line_id = a.ingest_line_id AND g.superseded = FALSE
WHERE a.run_date = :run_date
  AND a.superseded = FALSE
  AND (CAST(:tag_id AS VARCHAR(20)) IS NULL OR a.tag_id = CAST(:tag_id AS VARCHAR(20)))
ORDER BY a.tag_id, l.line_no, g.priority
