-- What the pick list of a date (optionally one tag) does not cover: the current lines allocated short
-- (PARTIAL, UNALLOCATED) or not at all (SKIPPED), with the line's own quantity for a line never converted.
SELECT a.tag_id, l.line_no, l.part_no, l.nesting_description, a.status, a.canonical_code, a.canonical_uom,
       a.required_qty, a.allocated_qty, a.shortfall_qty, a.reason, a.exception_id,
       l.qty AS line_qty, l.uom AS line_uom
FROM allocation_line a
JOIN tag_line l ON l.ingest_line_id = a.ingest_line_id
WHERE a.run_date = :run_date
  AND a.superseded = FALSE
  AND a.status <> 'ALLOCATED'
  AND (CAST(:tag_id AS VARCHAR(20)) IS NULL OR a.tag_id = CAST(:tag_id AS VARCHAR(20)))
ORDER BY CASE a.status WHEN 'SKIPPED' THEN 1 ELSE 0 END, a.tag_id, l.line_no
