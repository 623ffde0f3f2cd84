-- DuckDB: the charge tables become append-only tables without a key or index. A bill appends
-- millions of charges at once, and DuckDB's ART key and index on them cost more than the load itself
-- (a 1M-row FedEx bill: 30 s with them, 8 s without, BENCHMARKS.md). Only the loader writes these
-- rows, with ids unique by construction (the file's id + row + slot); DuckDB answers a lookup by
-- tracking number from its zone maps. PostgreSQL keeps its primary keys and index (0009).
CREATE TABLE shipment_charges_0011 (
    charge_id VARCHAR(26) NOT NULL,
    carrier VARCHAR(20) NOT NULL,
    tracking_number VARCHAR(40) NOT NULL,
    account VARCHAR(20) NOT NULL,
    invoice_number VARCHAR(40) NOT NULL,
    invoice_date DATE NOT NULL,
    file_id VARCHAR(26) NOT NULL,
    file_row INTEGER NOT NULL,
    charge_type VARCHAR(200) NOT NULL,
    amount NUMERIC(18, 2) NOT NULL,
    is_freight BOOLEAN NOT NULL,
    rated_weight_lb NUMERIC(12, 1),
    dim_divisor INTEGER
);
INSERT INTO shipment_charges_0011 SELECT * FROM shipment_charges ORDER BY charge_id;
DROP INDEX ix_shipment_charges_tracking;
DROP TABLE shipment_charges;
ALTER TABLE shipment_charges_0011 RENAME TO shipment_charges;

CREATE TABLE invoice_charges_0011 (
    charge_id VARCHAR(26) NOT NULL,
    carrier VARCHAR(20) NOT NULL,
    account VARCHAR(20) NOT NULL,
    invoice_number VARCHAR(40) NOT NULL,
    file_id VARCHAR(26) NOT NULL,
    file_row INTEGER NOT NULL,
    reference VARCHAR(40),
    charge_type VARCHAR(200) NOT NULL,
    amount NUMERIC(18, 2) NOT NULL
);
INSERT INTO invoice_charges_0011 SELECT * FROM invoice_charges ORDER BY charge_id;
DROP TABLE invoice_charges;
ALTER TABLE invoice_charges_0011 RENAME TO invoice_charges;

-- The unified layer's billed cost per shipment, as on every store (0011_carrier_loads.sql).
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
