-- One row per bill row (file row) that charges a tracking number: its charges summed, whether it bills
-- freight, and the rated weight and DIM divisor of its freight charge. Ordered the way DOMAIN
-- "Reconciliation" ranks freight rows: invoice date, then invoice number, then file row.
SELECT
    carrier,
    tracking_number,
    invoice_date,
    invoice_number,
    file_id,
    file_row,
    SUM(amount) AS amount,
    BOOL_OR(is_freight) AS is_freight,
    MAX(CASE WHEN is_freight THEN rated_weight_lb END) AS rated_weight_lb,
    MAX(CASE WHEN is_freight THEN dim_divisor END) AS dim_divisor
FROM shipment_charges
WHERE (CAST(:carrier AS VARCHAR) IS NULL OR carrier = CAST(:carrier AS VARCHAR))
GROUP BY carrier, tracking_number, invoice_date, invoice_number, file_id, file_row
ORDER BY carrier, tracking_number, invoice_date, invoice_number, file_row, file_id
