-- The lines to allocate: current lines of live tags due on the date (or of one tag), with their
-- mapping, in the fixed order that makes a batch and one-by-one runs agree: delivery date, upload
-- time, tag id, line number. The columns are those of ``DueLine``, in its order.
SELECT t.tag_id, t.lpo_id, l.ingest_line_id, l.line_no, l.nesting_description,
       m.status AS mapping_status, m.canonical_code, m.sap_code, m.canonical_qty, m.canonical_uom
FROM tag_sheet t
JOIN tag_line l ON l.tag_id = t.tag_id AND l.superseded = FALSE
LEFT JOIN line_mapping m ON m.ingest_line_id = l.ingest_line_id
WHERE t.status = 'UPLOADED'
  AND ((CAST(:tag_id AS VARCHAR(20)) IS NULL AND t.requested_delivery_date = :run_date)
       OR t.tag_id = CAST(:tag_id AS VARCHAR(20)))
ORDER BY t.requested_delivery_date, t.uploaded_at, t.tag_id, l.line_no
