-- The versions of an LPO's tags that hold this sheet again (DOMAIN "Tags" step 3, widened by
-- issue 6): the same bytes in any version, or the same parsed lines saved as another file.
-- Cancelled tags hold nothing; blocked ones are told apart by the caller (live tags come first).
-- One branch per index (ix_tag_version_hash, ix_tag_version_lines): an OR of the two would scan.
WITH same AS (
    SELECT tag_id, version, file_id, file_hash FROM tag_sheet_version WHERE file_hash = :file_hash
    UNION
    SELECT tag_id, version, file_id, file_hash FROM tag_sheet_version
    WHERE lines_fingerprint = :lines_fingerprint
)
SELECT t.tag_id, t.status, t.version AS current_version, t.exception_id, s.version, s.file_id, s.file_hash
FROM same s
JOIN tag_sheet t ON t.tag_id = s.tag_id
WHERE t.lpo_id = :lpo_id
  AND t.status <> 'CANCELLED'
ORDER BY CASE WHEN t.status = 'BLOCKED' THEN 1 ELSE 0 END, t.uploaded_at, t.tag_id, s.version
