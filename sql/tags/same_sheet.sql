-- The tag versions that hold this sheet (DOMAIN "Tags" step 3, widened by issue 6): the same bytes,
-- or the same parsed lines saved as another file. One branch per index (ix_tag_version_hash,
-- ix_tag_version_lines) and no join: this runs on every upload and nearly always finds nothing;
-- the caller reads the few tags it finds (their LPO and status) only when it finds some.
SELECT tag_id, version, file_id, file_hash FROM tag_sheet_version WHERE file_hash = :file_hash
UNION ALL
SELECT tag_id, version, file_id, file_hash FROM tag_sheet_version WHERE lines_fingerprint = :lines_fingerprint
