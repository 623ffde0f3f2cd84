-- Foundation: users and sessions, LPOs, files, tags, the shared ledger (audit, exceptions,
-- idempotency, sequences), the console inbox and job runs.
-- Written in the subset DuckDB and PostgreSQL both accept. No foreign keys: DuckDB rejects updates
-- of rows that others reference, and the engine is the only writer (ARCHITECTURE rule 1).

CREATE TABLE app_user (
    email VARCHAR(254) PRIMARY KEY,
    display_name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE user_role (
    email VARCHAR(254) NOT NULL,
    role VARCHAR(20) NOT NULL,
    PRIMARY KEY (email, role)
);

CREATE TABLE user_session (
    session_id VARCHAR(64) PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    method VARCHAR(20) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX ix_user_session_email ON user_session (email);

CREATE TABLE sign_in_code (
    code_hash VARCHAR(64) PRIMARY KEY,
    session_id VARCHAR(64) NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE
);

CREATE TABLE lpo_master (
    lpo_id VARCHAR(50) PRIMARY KEY,
    customer_lpo_ref VARCHAR(100),
    customer VARCHAR(200) NOT NULL,
    project_id VARCHAR(200),
    plant_id VARCHAR(50),
    po_quantity_m2 NUMERIC(18, 4) NOT NULL,
    delivered_quantity_m2 NUMERIC(18, 4) NOT NULL DEFAULT 0,
    status VARCHAR(20) NOT NULL,
    currency VARCHAR(3),
    lock_version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40)
);
CREATE INDEX ix_lpo_master_ref ON lpo_master (customer_lpo_ref);

CREATE TABLE file_store (
    file_id VARCHAR(26) PRIMARY KEY,
    sha256 VARCHAR(64) NOT NULL UNIQUE,
    size_bytes BIGINT NOT NULL,
    media_type VARCHAR(100) NOT NULL,
    storage_key VARCHAR(200) NOT NULL,
    first_name VARCHAR(255) NOT NULL,
    stored_by VARCHAR(254) NOT NULL,
    stored_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40)
);

CREATE TABLE tag_sheet (
    tag_id VARCHAR(20) PRIMARY KEY,
    lpo_id VARCHAR(50) NOT NULL,
    status VARCHAR(20) NOT NULL,
    required_area_m2 NUMERIC(18, 4) NOT NULL,
    requested_delivery_date DATE NOT NULL,
    file_id VARCHAR(26) NOT NULL,
    file_hash VARCHAR(64) NOT NULL,
    original_file_name VARCHAR(255) NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    line_count INTEGER NOT NULL DEFAULT 0,
    truck_size VARCHAR(50),
    notes VARCHAR(2000),
    exception_id VARCHAR(20),
    uploaded_by VARCHAR(254) NOT NULL,
    uploaded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    client_request_id VARCHAR(64),
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_tag_sheet_lpo ON tag_sheet (lpo_id, status);
CREATE INDEX ix_tag_sheet_hash ON tag_sheet (file_hash, lpo_id);

CREATE TABLE tag_sheet_version (
    tag_id VARCHAR(20) NOT NULL,
    version INTEGER NOT NULL,
    file_id VARCHAR(26) NOT NULL,
    file_hash VARCHAR(64) NOT NULL,
    original_file_name VARCHAR(255) NOT NULL,
    line_count INTEGER NOT NULL,
    reason VARCHAR(2000),
    created_by VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL,
    PRIMARY KEY (tag_id, version)
);

CREATE TABLE tag_line (
    ingest_line_id VARCHAR(26) PRIMARY KEY,
    tag_id VARCHAR(20) NOT NULL,
    tag_version INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    source_row INTEGER NOT NULL,
    part_no VARCHAR(100),
    nesting_description VARCHAR(500) NOT NULL,
    description_norm VARCHAR(500) NOT NULL,
    qty NUMERIC(18, 4) NOT NULL,
    uom VARCHAR(10),
    uom_raw VARCHAR(50),
    thickness_mm NUMERIC(10, 2),
    sheet_size_mm VARCHAR(30),
    sheet_length_mm NUMERIC(10, 1),
    sheet_width_mm NUMERIC(10, 1),
    sheets NUMERIC(12, 3),
    net_area_m2 NUMERIC(18, 4),
    length_mm NUMERIC(12, 1),
    width_mm NUMERIC(12, 1),
    weight_kg NUMERIC(14, 3),
    remarks VARCHAR(500),
    superseded BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_tag_line_tag ON tag_line (tag_id, tag_version);

CREATE TABLE client_request_log (
    client_request_id VARCHAR(64) PRIMARY KEY,
    operation VARCHAR(50) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    http_status INTEGER NOT NULL,
    response TEXT NOT NULL,
    actor VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);

CREATE TABLE user_action_history (
    action_id VARCHAR(26) PRIMARY KEY,
    action VARCHAR(60) NOT NULL,
    actor VARCHAR(254) NOT NULL,
    roles VARCHAR(200) NOT NULL,
    source VARCHAR(20) NOT NULL,
    client_request_id VARCHAR(64),
    trace_id VARCHAR(40) NOT NULL,
    entity_type VARCHAR(40) NOT NULL,
    entity_id VARCHAR(100) NOT NULL,
    before_summary TEXT,
    after_summary TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ix_uah_trace ON user_action_history (trace_id);
CREATE INDEX ix_uah_entity ON user_action_history (entity_type, entity_id);
CREATE INDEX ix_uah_actor ON user_action_history (actor, created_at);

CREATE TABLE exception_log (
    exception_id VARCHAR(20) PRIMARY KEY,
    kind VARCHAR(40) NOT NULL,
    severity VARCHAR(10) NOT NULL,
    desk VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL,
    message VARCHAR(2000) NOT NULL,
    tag_id VARCHAR(20),
    line_id VARCHAR(26),
    lpo_id VARCHAR(50),
    invoice_id VARCHAR(40),
    carrier_file_id VARCHAR(40),
    shipment_id VARCHAR(60),
    file_id VARCHAR(26),
    qty_impact NUMERIC(18, 4),
    dedupe_key VARCHAR(600),
    assigned_to VARCHAR(254),
    sla_due TIMESTAMP WITH TIME ZONE NOT NULL,
    escalated_at TIMESTAMP WITH TIME ZONE,
    resolver_notes VARCHAR(4000),
    resolution_txn_id VARCHAR(40),
    payload TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_by VARCHAR(254) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_by VARCHAR(254),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_exception_queue ON exception_log (desk, status, sla_due);
CREATE INDEX ix_exception_dedupe ON exception_log (kind, dedupe_key, status);
CREATE INDEX ix_exception_tag ON exception_log (tag_id);

CREATE TABLE id_sequence (
    name VARCHAR(40) NOT NULL,
    period VARCHAR(10) NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (name, period)
);

CREATE TABLE inbox_message (
    message_id VARCHAR(26) PRIMARY KEY,
    desk VARCHAR(20) NOT NULL,
    title VARCHAR(300) NOT NULL,
    body VARCHAR(4000) NOT NULL,
    exception_id VARCHAR(20),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL,
    read_at TIMESTAMP WITH TIME ZONE,
    read_by VARCHAR(254)
);
CREATE INDEX ix_inbox_desk ON inbox_message (desk, created_at);

CREATE TABLE job_run (
    run_id VARCHAR(26) PRIMARY KEY,
    job_name VARCHAR(60) NOT NULL,
    triggered_by VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE,
    finished_at TIMESTAMP WITH TIME ZONE,
    counts TEXT,
    error VARCHAR(4000),
    host VARCHAR(200) NOT NULL,
    trace_id VARCHAR(40) NOT NULL
);
CREATE INDEX ix_job_run_name ON job_run (job_name, created_at);

CREATE TABLE scheduler_lease (
    name VARCHAR(40) PRIMARY KEY,
    holder VARCHAR(200) NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
