-- Lines still waiting for a mapping (review, or a unit with no rule), optionally for one description.
SELECT l.ingest_line_id, l.tag_id, l.nesting_description, l.qty, l.uom, l.sheet_width_mm, l.sheet_length_mm,
       t.lpo_id, t.requested_delivery_date, o.project_id, o.plant_id, o.customer
FROM line_mapping m
JOIN tag_line l ON l.ingest_line_id = m.ingest_line_id
JOIN tag_sheet t ON t.tag_id = l.tag_id
LEFT JOIN lpo_master o ON o.lpo_id = t.lpo_id
WHERE m.status IN ('REVIEW', 'NO_CONVERSION')
  AND l.superseded = FALSE
  AND (CAST(:description AS VARCHAR(500)) IS NULL OR m.description_norm = CAST(:description AS VARCHAR(500)))
ORDER BY t.requested_delivery_date, t.uploaded_at, l.tag_id, l.line_no
