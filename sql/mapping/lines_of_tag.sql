-- The current lines of one tag with the LPO context their overrides are scoped by.
SELECT l.ingest_line_id, l.tag_id, l.nesting_description, l.qty, l.uom, l.sheet_width_mm, l.sheet_length_mm,
       t.lpo_id, t.requested_delivery_date, o.project_id, o.plant_id, o.customer
FROM tag_line l
JOIN tag_sheet t ON t.tag_id = l.tag_id
LEFT JOIN lpo_master o ON o.lpo_id = t.lpo_id
WHERE l.tag_id = :tag_id
  AND l.superseded = FALSE
ORDER BY l.line_no
