-- The bill's rows as the layout names them, in file order, every cell trimmed text; the
-- charge pairs as a list of the filled slots only. The fields, pairs and columns are filled in from
-- the file's own header (positions only, never text of the file); the path is a parameter.
CREATE OR REPLACE TEMP TABLE carrier_stage_raw AS
SELECT
    {fields},
    list_filter([{pairs}], lambda p: p.d <> '' OR p.a <> '') AS pairs
FROM read_csv(
    $path,
    header = false,
    skip = 1,
    auto_detect = false,
    columns = {columns},
    delim = ',',
    quote = '"',
    escape = '"',
    strict_mode = true,
    null_padding = false
);
