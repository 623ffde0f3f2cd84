-- The staged charges of the loaded invoices into the unified layer (never overwriting: a tracking
-- number billed again gets more charges, so duplicates stay visible). DuckDB store only: PostgreSQL
-- receives the same view by COPY.
INSERT INTO shipment_charges (
    charge_id, carrier, tracking_number, account, invoice_number, invoice_date, file_id, file_row,
    charge_type, amount, is_freight, rated_weight_lb, dim_divisor
)
SELECT
    charge_id, carrier, tracking_number, account, invoice_number, invoice_date, file_id, file_row,
    charge_type, amount, is_freight, rated_weight_lb, dim_divisor
FROM carrier_stage_charges
