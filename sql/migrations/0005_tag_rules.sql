-- Tag rules of issue 6: the fingerprint of a sheet's parsed lines, kept with the tag and each of its
-- versions. The same cut export saved as .xlsx and as .csv has other bytes but the same lines; on
-- one LPO it is one sheet (a DUPLICATE), which the byte hash alone cannot see.
-- Rows stored before this migration keep NULL: they are still found by their bytes.
ALTER TABLE tag_sheet ADD COLUMN lines_fingerprint VARCHAR(64);
ALTER TABLE tag_sheet_version ADD COLUMN lines_fingerprint VARCHAR(64);

-- Duplicates are looked up in every version of the LPO's tags, by bytes and by lines.
CREATE INDEX ix_tag_version_hash ON tag_sheet_version (file_hash);
CREATE INDEX ix_tag_version_lines ON tag_sheet_version (lines_fingerprint);
