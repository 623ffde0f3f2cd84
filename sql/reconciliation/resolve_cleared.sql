-- Resolve the staged exceptions (recon_resolved: id, the version read, the note) in one statement;
-- a row changed since it was read is left alone, and the caller counts the rows to notice it.
UPDATE exception_log
SET status = 'RESOLVED',
    open_key = NULL,
    version = exception_log.version + 1,
    resolver_notes = r.notes,
    updated_by = CAST(:actor AS VARCHAR),
    updated_at = CAST(:now AS TIMESTAMP WITH TIME ZONE)
FROM recon_resolved AS r
WHERE exception_log.exception_id = r.exception_id
    AND exception_log.version = r.version
