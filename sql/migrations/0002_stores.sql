-- Stores desk (seed 001): material master and mapping, SKUs and units, stock snapshots, allocation.
-- Same subset of SQL as 0001; keys are natural or ULIDs.

CREATE TABLE canonical_material (
    canonical_code VARCHAR(50) PRIMARY KEY,
    canonical_uom VARCHAR(10) NOT NULL,
    category VARCHAR(40),
    description VARCHAR(500),
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE material_master (
    nesting_description VARCHAR(500) PRIMARY KEY,
    canonical_code VARCHAR(50) NOT NULL,
    default_sap_code VARCHAR(50),
    uom VARCHAR(10) NOT NULL,
    not_tracked BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    notes VARCHAR(1000),
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_material_master_code ON material_master (canonical_code);

CREATE TABLE mapping_override (
    override_id VARCHAR(26) PRIMARY KEY,
    scope_type VARCHAR(20) NOT NULL,
    scope_value VARCHAR(200) NOT NULL,
    nesting_description VARCHAR(500) NOT NULL,
    canonical_code VARCHAR(50) NOT NULL,
    sap_code VARCHAR(50),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    effective_from DATE,
    effective_to DATE,
    notes VARCHAR(1000),
    created_by VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_mapping_override_desc ON mapping_override (nesting_description, scope_type, scope_value);

CREATE TABLE lpo_material_brand_map (
    lpo_id VARCHAR(50) NOT NULL,
    canonical_code VARCHAR(50) NOT NULL,
    sap_code VARCHAR(50) NOT NULL,
    priority INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    notes VARCHAR(1000),
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (lpo_id, canonical_code, sap_code)
);

CREATE TABLE sap_material (
    sap_code VARCHAR(50) PRIMARY KEY,
    canonical_code VARCHAR(50) NOT NULL,
    brand VARCHAR(100),
    sap_uom VARCHAR(10) NOT NULL,
    conversion_to_canonical NUMERIC(18, 6) NOT NULL,
    whole_units BOOLEAN NOT NULL,
    description VARCHAR(500),
    price_aed NUMERIC(14, 2),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_sap_material_code ON sap_material (canonical_code);

CREATE TABLE material_uom_conversion (
    canonical_code VARCHAR(50) NOT NULL,
    uom VARCHAR(10) NOT NULL,
    units_per_canonical_unit NUMERIC(18, 6) NOT NULL,
    notes VARCHAR(500),
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (canonical_code, uom)
);

-- Bumped in every transaction that changes a mapping table; caches compare it to reload.
CREATE TABLE app_state (
    name VARCHAR(60) PRIMARY KEY,
    counter BIGINT NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The current mapping of each tag line (one row per line; history keeps every decision).
CREATE TABLE line_mapping (
    ingest_line_id VARCHAR(26) PRIMARY KEY,
    tag_id VARCHAR(20) NOT NULL,
    description_norm VARCHAR(500) NOT NULL,
    status VARCHAR(20) NOT NULL,
    decision VARCHAR(20) NOT NULL,
    canonical_code VARCHAR(50),
    sap_code VARCHAR(50),
    not_tracked BOOLEAN NOT NULL DEFAULT FALSE,
    canonical_qty NUMERIC(18, 4),
    canonical_uom VARCHAR(10),
    conversion_factor NUMERIC(18, 6),
    conversion VARCHAR(200),
    override_id VARCHAR(26),
    exception_id VARCHAR(20),
    history_id VARCHAR(26) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_line_mapping_status ON line_mapping (status, description_norm);
CREATE INDEX ix_line_mapping_tag ON line_mapping (tag_id);

CREATE TABLE mapping_history (
    history_id VARCHAR(26) PRIMARY KEY,
    ingest_line_id VARCHAR(26),
    tag_id VARCHAR(20),
    nesting_description VARCHAR(500) NOT NULL,
    canonical_code VARCHAR(50),
    sap_code VARCHAR(50),
    decision VARCHAR(20) NOT NULL,
    not_tracked BOOLEAN NOT NULL DEFAULT FALSE,
    override_id VARCHAR(26),
    exception_id VARCHAR(20),
    qty NUMERIC(18, 4),
    uom VARCHAR(10),
    canonical_qty NUMERIC(18, 4),
    canonical_uom VARCHAR(10),
    conversion_factor NUMERIC(18, 6),
    conversion VARCHAR(200),
    user_id VARCHAR(254),
    notes VARCHAR(2000),
    trace_id VARCHAR(40) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_mapping_history_line ON mapping_history (ingest_line_id);
CREATE INDEX ix_mapping_history_trace ON mapping_history (trace_id);

CREATE TABLE stock_snapshot (
    snapshot_id VARCHAR(26) PRIMARY KEY,
    snapshot_date DATE NOT NULL,
    file_id VARCHAR(26),
    row_count INTEGER NOT NULL,
    loaded_by VARCHAR(254) NOT NULL,
    loaded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_stock_snapshot_date ON stock_snapshot (snapshot_date, loaded_at);

CREATE TABLE stock_level (
    snapshot_id VARCHAR(26) NOT NULL,
    plant VARCHAR(20) NOT NULL,
    storage_location VARCHAR(20) NOT NULL,
    sap_code VARCHAR(50) NOT NULL,
    unrestricted_qty NUMERIC(18, 3) NOT NULL,
    quality_inspection_qty NUMERIC(18, 3) NOT NULL,
    blocked_qty NUMERIC(18, 3) NOT NULL,
    PRIMARY KEY (snapshot_id, plant, storage_location, sap_code)
);

CREATE TABLE allocation_run (
    run_id VARCHAR(26) PRIMARY KEY,
    run_date DATE NOT NULL,
    tag_id VARCHAR(20),
    snapshot_id VARCHAR(26) NOT NULL,
    triggered_by VARCHAR(20) NOT NULL,
    tags INTEGER NOT NULL,
    lines_total INTEGER NOT NULL,
    lines_allocated INTEGER NOT NULL,
    lines_partial INTEGER NOT NULL,
    lines_unallocated INTEGER NOT NULL,
    lines_skipped INTEGER NOT NULL,
    exceptions INTEGER NOT NULL,
    created_by VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_allocation_run_date ON allocation_run (run_date, created_at);

CREATE TABLE allocation_line (
    run_id VARCHAR(26) NOT NULL,
    ingest_line_id VARCHAR(26) NOT NULL,
    tag_id VARCHAR(20) NOT NULL,
    run_date DATE NOT NULL,
    status VARCHAR(20) NOT NULL,
    canonical_code VARCHAR(50),
    canonical_uom VARCHAR(10),
    required_qty NUMERIC(18, 4),
    allocated_qty NUMERIC(18, 4),
    shortfall_qty NUMERIC(18, 4),
    exception_id VARCHAR(20),
    reason VARCHAR(500),
    superseded BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (run_id, ingest_line_id)
);
CREATE INDEX ix_allocation_line_tag ON allocation_line (tag_id, run_date);

CREATE TABLE allocation_log (
    allocation_id VARCHAR(26) PRIMARY KEY,
    run_id VARCHAR(26) NOT NULL,
    snapshot_id VARCHAR(26) NOT NULL,
    run_date DATE NOT NULL,
    tag_id VARCHAR(20) NOT NULL,
    ingest_line_id VARCHAR(26) NOT NULL,
    canonical_code VARCHAR(50) NOT NULL,
    sap_code VARCHAR(50) NOT NULL,
    priority INTEGER NOT NULL,
    sap_qty NUMERIC(18, 3) NOT NULL,
    sap_uom VARCHAR(10) NOT NULL,
    canonical_qty NUMERIC(18, 4) NOT NULL,
    canonical_uom VARCHAR(10) NOT NULL,
    conversion_factor NUMERIC(18, 6) NOT NULL,
    superseded BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_allocation_log_run ON allocation_log (run_id);
CREATE INDEX ix_allocation_log_tag ON allocation_log (tag_id, run_date);
CREATE INDEX ix_allocation_log_snapshot ON allocation_log (snapshot_id, sap_code);
