-- The managers' desk (issue 9, seed 003): carrier bill files, their invoices, the unified shipment
-- layer (attributes without cost, one row per charge, invoice-level charges), WMS shipments and the
-- reconciliation ledger with its dispute states.

-- One row per file offered (loaded, partial, skipped, rejected). A file's bytes are claimed in
-- carrier_file_claim only when it loads: the same bytes again are "skipped", while a rejected file
-- may be offered again once its account or layout is fixed.
CREATE TABLE carrier_file (
    file_id VARCHAR(26) PRIMARY KEY,
    sha256 VARCHAR(64) NOT NULL,
    carrier VARCHAR(20) NOT NULL,
    account VARCHAR(20),
    tenant VARCHAR(50),
    file_name VARCHAR(255) NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    status VARCHAR(20) NOT NULL,
    message VARCHAR(2000),
    exception_id VARCHAR(20),
    loaded_by VARCHAR(254) NOT NULL,
    loaded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE TABLE carrier_file_claim (
    sha256 VARCHAR(64) PRIMARY KEY,
    file_id VARCHAR(26) NOT NULL
);

-- carrier_bill: one per carrier invoice (seed: bill number, bill date, file id; totals; counts).
CREATE TABLE carrier_bill (
    carrier VARCHAR(20) NOT NULL,
    account VARCHAR(20) NOT NULL,
    invoice_number VARCHAR(40) NOT NULL,
    invoice_date DATE NOT NULL,
    file_id VARCHAR(26) NOT NULL,
    rows INTEGER NOT NULL,
    net_total NUMERIC(18, 2) NOT NULL,
    amount_due NUMERIC(18, 2),
    packages INTEGER NOT NULL,
    invoice_level_total NUMERIC(18, 2) NOT NULL,
    status VARCHAR(20) NOT NULL,
    exception_id VARCHAR(20),
    loaded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (carrier, account, invoice_number)
);

-- One row per carrier + tracking number: what the package is, never what it cost.
CREATE TABLE shipment_attributes (
    carrier VARCHAR(20) NOT NULL,
    tracking_number VARCHAR(40) NOT NULL,
    service VARCHAR(100),
    ship_date DATE,
    actual_weight_lb NUMERIC(12, 1),
    rated_weight_lb NUMERIC(12, 1),
    length_in NUMERIC(12, 2),
    width_in NUMERIC(12, 2),
    height_in NUMERIC(12, 2),
    dim_divisor INTEGER,
    mps_role VARCHAR(10),
    lead_tracking_number VARCHAR(40),
    first_invoice_number VARCHAR(40),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (carrier, tracking_number)
);

-- One row per charge of a shipment (the freight "Transportation Charge" included); a later invoice
-- that bills a tracking number again adds rows, never overwrites: duplicates stay visible.
CREATE TABLE shipment_charges (
    charge_id VARCHAR(26) PRIMARY KEY,
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
CREATE INDEX ix_shipment_charges_tracking ON shipment_charges (carrier, tracking_number);

-- Rows that are no shipment (weekly service charge, pickups, billing adjustments).
CREATE TABLE invoice_charges (
    charge_id VARCHAR(26) PRIMARY KEY,
    carrier VARCHAR(20) NOT NULL,
    account VARCHAR(20) NOT NULL,
    invoice_number VARCHAR(40) NOT NULL,
    file_id VARCHAR(26) NOT NULL,
    file_row INTEGER NOT NULL,
    reference VARCHAR(40),
    charge_type VARCHAR(200) NOT NULL,
    amount NUMERIC(18, 2) NOT NULL
);

-- Reference sync (seed 003): charge types and services met in bills; "adjustment" → category 16.
CREATE TABLE carrier_charge_type (
    carrier VARCHAR(20) NOT NULL,
    name VARCHAR(200) NOT NULL,
    category INTEGER NOT NULL,
    first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (carrier, name)
);
CREATE TABLE carrier_service (
    carrier VARCHAR(20) NOT NULL,
    name VARCHAR(100) NOT NULL,
    first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (carrier, name)
);

-- The tracker of seed 003: the last successful run per carrier, updated only after success.
CREATE TABLE carrier_tracker (
    carrier VARCHAR(20) PRIMARY KEY,
    last_success_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_file_id VARCHAR(26) NOT NULL
);

-- WMS shipments: one row per shipped package; a later row for the same carrier + tracking replaces.
CREATE TABLE wms_shipment (
    carrier VARCHAR(20) NOT NULL,
    tracking_number VARCHAR(40) NOT NULL,
    ship_date DATE NOT NULL,
    order_number VARCHAR(60),
    service VARCHAR(100),
    expected_cost NUMERIC(18, 2),
    currency VARCHAR(3),
    weight_lb NUMERIC(12, 2),
    length_in NUMERIC(12, 2),
    width_in NUMERIC(12, 2),
    height_in NUMERIC(12, 2),
    imported_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL,
    PRIMARY KEY (carrier, tracking_number)
);

CREATE TABLE reconciliation_run (
    run_id VARCHAR(26) PRIMARY KEY,
    as_of DATE NOT NULL,
    carrier VARCHAR(20),
    settings TEXT NOT NULL,
    counts TEXT NOT NULL,
    created_by VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);

-- One row per carrier + tracking number, recomputed on every run; dispute states are kept.
CREATE TABLE carrier_cost_ledger (
    carrier VARCHAR(20) NOT NULL,
    tracking_number VARCHAR(40) NOT NULL,
    status VARCHAR(30) NOT NULL,
    billed_cost NUMERIC(18, 2),
    expected_cost NUMERIC(18, 2),
    variance NUMERIC(18, 2),
    billed_weight_lb NUMERIC(12, 1),
    expected_weight_lb NUMERIC(12, 1),
    ship_date DATE,
    run_id VARCHAR(26) NOT NULL,
    exception_id VARCHAR(20),
    dispute_status VARCHAR(20),
    claim_amount NUMERIC(18, 2),
    recovered_amount NUMERIC(18, 2),
    carrier_reference VARCHAR(100),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (carrier, tracking_number)
);
