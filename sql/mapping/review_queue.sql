-- The mapping review queue: one row per waiting normalised description, with how many lines and tags
-- wait on it and since when.
SELECT m.description_norm, m.exception_id, COUNT(*) AS lines, COUNT(DISTINCT m.tag_id) AS tags,
       MIN(m.updated_at) AS waiting_since, MIN(l.nesting_description) AS example
FROM line_mapping m
JOIN tag_line l ON l.ingest_line_id = m.ingest_line_id
WHERE m.status = 'REVIEW'
  AND l.superseded = FALSE
GROUP BY m.description_norm, m.exception_id
ORDER BY COUNT(*) DESC, m.description_norm
