-- A UPS Billing Data bill as its layout places it (no header; one tolerated and skipped): the
-- positions the loader reads, every cell trimmed text, in file order. The fields, columns and the
-- layout's date formats are filled in from engine/carriers/layouts/ (never text of the file).
CREATE OR REPLACE TEMP MACRO carrier_layout_day(v) AS
    CAST(coalesce({days}) AS DATE);

CREATE OR REPLACE TEMP TABLE carrier_stage_raw AS
SELECT
    {fields}
FROM read_csv(
    $path,
    header = false,
    skip = $skip,
    auto_detect = false,
    columns = {columns},
    delim = ',',
    quote = '"',
    escape = '"',
    strict_mode = true,
    null_padding = false
);
