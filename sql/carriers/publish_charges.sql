-- The staged charges of the loaded invoices into the unified layer (never overwriting: a tracking
-- number billed again gets more charges, so duplicates stay visible).
INSERT INTO shipment_charges (
    charge_id, carrier, tracking_number, account, invoice_number, invoice_date, file_id, file_row,
    charge_type, amount, is_freight, rated_weight_lb, dim_divisor
)
SELECT
    charge_id, CAST(:carrier AS VARCHAR(20)), tracking_number, CAST(:account AS VARCHAR(20)), invoice_number, invoice_date, CAST(:file_id AS VARCHAR(26)), file_row,
    charge_type, amount, is_freight, rated_weight_lb, dim_divisor
FROM carrier_stage_charges
