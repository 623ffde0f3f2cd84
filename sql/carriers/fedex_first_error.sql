-- The first cell that cannot be read, in file order and, within a row, in the order the columns are
-- read: which check (k) failed on which row (n). The pair slots are checked by fedex_pair_error.sql.
SELECT n, k
FROM (
    SELECT
        rowid - $base + 2 AS n,
        CASE
            WHEN invoice_number = '' OR invoice_date = '' THEN 1
            WHEN carrier_day_bad(invoice_date, $date_format) THEN 2
            WHEN carrier_divisor_bad(dim_divisor) THEN 3
            WHEN carrier_money_bad(freight) THEN 4
            WHEN carrier_money_bad(net) THEN 5
            WHEN carrier_money_bad(amount_due) THEN 6
            WHEN carrier_measure_bad(rated_weight) THEN 7
            WHEN carrier_measure_bad(actual_weight) THEN 8
            WHEN carrier_day_bad(ship_date, $date_format) THEN 9
            WHEN carrier_measure_bad(dim_length) THEN 10
            WHEN carrier_measure_bad(dim_width) THEN 11
            WHEN carrier_measure_bad(dim_height) THEN 12
            WHEN carrier_too_long(invoice_number, 40) THEN 13
            WHEN carrier_too_long(tracking, 40) THEN 14
            WHEN carrier_too_long(mps_package_id, 40) THEN 15
            WHEN carrier_too_long(service, 100) THEN 16
        END AS k
    FROM carrier_stage_raw
)
WHERE k IS NOT NULL
ORDER BY n
LIMIT 1
