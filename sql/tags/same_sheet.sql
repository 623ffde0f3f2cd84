-- The versions of an LPO's tags that hold this sheet again (DOMAIN "Tags" step 3, widened by
-- issue 6): the same bytes in any version, or the same parsed lines saved as another file.
-- Cancelled tags hold nothing; blocked ones are told apart by the caller (live tags come first).
SELECT t.tag_id, t.status, t.version AS current_version, t.exception_id,
       v.version, v.file_id, v.file_hash
FROM tag_sheet_version v
JOIN tag_sheet t ON t.tag_id = v.tag_id
WHERE t.lpo_id = :lpo_id
  AND t.status <> 'CANCELLED'
  AND (v.file_hash = :file_hash OR v.lines_fingerprint = :lines_fingerprint)
ORDER BY CASE WHEN t.status = 'BLOCKED' THEN 1 ELSE 0 END, t.uploaded_at, t.tag_id, v.version
