-- The mapping review queue, oldest first: one row per waiting description, its lines and since when.
SELECT m.description_norm, m.exception_id, COUNT(*) AS lines, MIN(m.updated_at) AS waiting_since
FROM line_mapping m
JOIN tag_line l ON l.ingest_line_id = m.ingest_line_id
WHERE m.status = 'REVIEW'
  AND l.superseded = FALSE
GROUP BY m.description_norm, m.exception_id
ORDER BY MIN(m.updated_at), m.description_norm
