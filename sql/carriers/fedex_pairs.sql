-- The filled pair slots, one row each: n is the file row (the header is row 1). Row ids of a table
-- made inside a transaction do not start at 0, so $base is the table's first row id.
CREATE OR REPLACE TEMP TABLE carrier_stage_pairs AS
SELECT rowid - $base + 2 AS n, unnest(pairs, recursive := true)
FROM carrier_stage_raw;
