-- Rows that are no shipment: charges of the invoice (CARRIERS.md), their tracking id as reference.
INSERT INTO invoice_charges (
    charge_id, carrier, account, invoice_number, file_id, file_row, reference, charge_type, amount
)
SELECT charge_id, CAST(:carrier AS VARCHAR(20)), CAST(:account AS VARCHAR(20)), invoice_number, CAST(:file_id AS VARCHAR(26)), file_row, reference, charge_type, amount
FROM carrier_stage_levels
