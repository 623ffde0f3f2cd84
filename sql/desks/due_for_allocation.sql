-- What an allocation for the run date takes: live tags due that day and their current lines, and how
-- many of those lines still wait on a mapping (review or a missing unit rule) and so will not draw.
SELECT COUNT(DISTINCT t.tag_id) AS tags,
       COUNT(l.ingest_line_id) AS lines,
       COUNT(CASE WHEN m.status IS NULL OR m.status IN ('REVIEW', 'NO_CONVERSION') THEN 1 END) AS waiting
FROM tag_sheet t
JOIN tag_line l ON l.tag_id = t.tag_id AND l.superseded = FALSE
LEFT JOIN line_mapping m ON m.ingest_line_id = l.ingest_line_id
WHERE t.status = 'UPLOADED'
  AND t.requested_delivery_date = :run_date
