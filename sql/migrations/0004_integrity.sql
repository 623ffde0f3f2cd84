-- Integrity on a server database (issue 6, sections 4 and 5): "exactly one" as constraints instead of
-- check-then-insert, one lock row that serialises allocation runs, the canonical material's default SKU.

-- One open exception per kind and dedupe key. open_key = kind || '|' || dedupe_key while the
-- exception is OPEN or ACKNOWLEDGED, and NULL once it is RESOLVED or DISMISSED (NULLs never collide),
-- so a second open twin fails on the key and the writer re-reads and returns the first.
ALTER TABLE exception_log ADD COLUMN open_key VARCHAR(700);
-- The index comes before the backfill: DuckDB cannot build an index over rows updated in the same
-- transaction.
CREATE UNIQUE INDEX ux_exception_open_key ON exception_log (open_key);
-- Twins left open by earlier races: the oldest one holds the key, the others stay open without it
-- (a person dismisses them).
UPDATE exception_log
SET open_key = kind || '|' || dedupe_key
WHERE dedupe_key IS NOT NULL
  AND status IN ('OPEN', 'ACKNOWLEDGED')
  AND exception_id = (
      SELECT MIN(twin.exception_id)
      FROM exception_log twin
      WHERE twin.kind = exception_log.kind
        AND twin.dedupe_key = exception_log.dedupe_key
        AND twin.status IN ('OPEN', 'ACKNOWLEDGED')
  );

-- The one recorded decision of a line looked up by its id (the seed's lookup with a line id): keyed
-- by the line, so two concurrent lookups of one line record one decision.
CREATE TABLE line_decision (
    ingest_line_id VARCHAR(26) PRIMARY KEY,
    history_id VARCHAR(26) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
INSERT INTO line_decision (ingest_line_id, history_id, created_at, trace_id)
SELECT h.ingest_line_id, h.history_id, h.created_at, h.trace_id
FROM mapping_history h
WHERE h.tag_id IS NULL
  AND h.ingest_line_id IS NOT NULL
  AND h.history_id = (
      SELECT MIN(earliest.history_id) FROM mapping_history earliest WHERE earliest.ingest_line_id = h.ingest_line_id
  );

-- Every allocation run (and every release of a tag's allocations) updates this row first: on a server
-- database the row lock queues concurrent runs, because stock is shared across dates. (Its time is
-- the engine's, written by every run; the first value only fills the column.)
INSERT INTO app_state (name, counter, updated_at)
VALUES ('allocation', 0, CAST('1970-01-01 00:00:00+00:00' AS TIMESTAMP WITH TIME ZONE));

-- Availability subtracts the allocations made since the snapshot's date, whatever snapshot they used.
CREATE INDEX ix_allocation_log_created ON allocation_log (created_at);

-- The SKU an override without one (or a master row without one) allocates from.
ALTER TABLE canonical_material ADD COLUMN default_sap_code VARCHAR(50);
