-- The first cell that cannot be read, in file order and, within a row, in the order the row reader
-- reads them: which check (k) failed on which line (n).
SELECT n, k
FROM (
    SELECT
        rowid - $base + $first AS n,
        CASE
            WHEN invoice_number = '' OR invoice_date = '' THEN 1
            WHEN carrier_layout_day(invoice_date) IS NULL THEN 2
            WHEN carrier_money_bad(net) THEN 3
            WHEN carrier_money_bad(invoice_amount) THEN 4
            WHEN carrier_measure_bad(billed_weight) THEN 5
            WHEN carrier_measure_bad(entered_weight) THEN 6
            WHEN transaction_date <> '' AND carrier_layout_day(transaction_date) IS NULL THEN 7
            WHEN carrier_too_long(invoice_number, 40) THEN 8
            WHEN carrier_too_long(tracking, 40) THEN 9
            WHEN carrier_too_long(lead_shipment, 40) THEN 10
            WHEN carrier_too_long(charge_description, 100) THEN 11
        END AS k
    FROM carrier_stage_raw
)
WHERE k IS NOT NULL
ORDER BY n
LIMIT 1
