-- One user's uploads of one business day (its bounds given in UTC), newest first.
SELECT t.tag_id, t.lpo_id, t.status, t.required_area_m2, t.requested_delivery_date, t.line_count,
       t.original_file_name, t.uploaded_at, t.exception_id
FROM tag_sheet t
WHERE t.uploaded_by = :user
  AND t.uploaded_at >= :day_start
  AND t.uploaded_at < :day_end
ORDER BY t.uploaded_at DESC, t.tag_id DESC
