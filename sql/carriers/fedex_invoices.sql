-- One row per invoice, in file order, with its control totals (DOMAIN step 5): every row's net must
-- be its freight + Σ pairs (the first row that is not is named), and Σ net must be the amount due
-- when the file states one. An MPS group header is a summary of its members: not counted.
CREATE OR REPLACE TEMP TABLE carrier_stage_invoices AS
WITH charges AS (
    SELECT n, sum(coalesce(carrier_money(a), 0)) AS charges
    FROM carrier_stage_pairs
    GROUP BY n
),
billed AS (
    SELECT r.*, coalesce(r.freight, 0) + coalesce(c.charges, 0) AS billed
    FROM carrier_stage_rows AS r
    LEFT JOIN charges AS c USING (n)
)
SELECT
    invoice_number,
    arg_min(invoice_date, n) AS invoice_date,
    min(n) AS first_row,
    count(*) AS rows,
    coalesce(sum(net) FILTER (WHERE mps_role IS DISTINCT FROM 'header'), 0) AS net_total,
    arg_min(amount_due, n) FILTER (WHERE amount_due IS NOT NULL) AS amount_due,
    count(*) FILTER (WHERE mps_role IS DISTINCT FROM 'header' AND NOT invoice_level) AS packages,
    coalesce(sum(net) FILTER (WHERE invoice_level), 0) AS invoice_level_total,
    min(n) FILTER (WHERE billed <> net) AS bad_row,
    arg_min(net, n) FILTER (WHERE billed <> net) AS bad_net,
    arg_min(billed, n) FILTER (WHERE billed <> net) AS bad_billed
FROM billed
GROUP BY invoice_number
ORDER BY first_row;
