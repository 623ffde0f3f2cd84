-- Rows that are no shipment: charges of the invoice (CARRIERS.md), their tracking id as reference.
-- DuckDB store only: PostgreSQL receives the same view by COPY.
INSERT INTO invoice_charges (
    charge_id, carrier, account, invoice_number, file_id, file_row, reference, charge_type, amount
)
SELECT charge_id, carrier, account, invoice_number, file_id, file_row, reference, charge_type, amount
FROM carrier_stage_levels
