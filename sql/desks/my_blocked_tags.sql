-- One user's tags that are BLOCKED now, with the exception that says why, newest first.
SELECT t.tag_id, t.lpo_id, t.original_file_name, t.uploaded_at, t.exception_id,
       e.kind, e.message, e.status AS exception_status
FROM tag_sheet t
LEFT JOIN exception_log e ON e.exception_id = t.exception_id
WHERE t.uploaded_by = :user
  AND t.status = 'BLOCKED'
ORDER BY t.uploaded_at DESC, t.tag_id DESC
