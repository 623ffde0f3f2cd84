-- Mapping coverage over the current lines of all tags.
SELECT COUNT(*) AS lines,
       COALESCE(SUM(CASE WHEN m.decision = 'AUTO' THEN 1 ELSE 0 END), 0) AS auto,
       COALESCE(SUM(CASE WHEN m.decision = 'OVERRIDE' THEN 1 ELSE 0 END), 0) AS override,
       COALESCE(SUM(CASE WHEN m.decision = 'MANUAL' THEN 1 ELSE 0 END), 0) AS manual,
       COALESCE(SUM(CASE WHEN m.status = 'REVIEW' THEN 1 ELSE 0 END), 0) AS waiting_review,
       COALESCE(SUM(CASE WHEN m.status = 'NO_CONVERSION' THEN 1 ELSE 0 END), 0) AS waiting_conversion,
       COALESCE(SUM(CASE WHEN m.status = 'NOT_TRACKED' THEN 1 ELSE 0 END), 0) AS not_tracked,
       COUNT(DISTINCT CASE WHEN m.status = 'REVIEW' THEN m.description_norm END) AS queue_descriptions,
       MIN(CASE WHEN m.status IN ('REVIEW', 'NO_CONVERSION') THEN m.updated_at END) AS oldest_waiting,
       COUNT(DISTINCT m.override_id) AS overrides_in_use
FROM line_mapping m
JOIN tag_line l ON l.ingest_line_id = m.ingest_line_id
WHERE l.superseded = FALSE
