-- The unified layer's billed cost per shipment (issue 9 §1): Σ of every charge billed to a carrier +
-- tracking number, over every bill (a tracking number billed again shows the sum of both).
CREATE VIEW shipment_cost AS
SELECT
    carrier,
    tracking_number,
    SUM(amount) AS billed_cost,
    COUNT(*) AS charges,
    SUM(CASE WHEN is_freight THEN 1 ELSE 0 END) AS freight_rows,
    MIN(invoice_date) AS first_invoice_date,
    MAX(invoice_date) AS last_invoice_date
FROM shipment_charges
GROUP BY carrier, tracking_number;

-- A rejected bill re-run once its account or layout is fixed: the new file names the one it re-runs.
ALTER TABLE carrier_file ADD COLUMN rerun_of VARCHAR(26);
