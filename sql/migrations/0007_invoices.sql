-- The finance desk (issue 8, seed 002): the vendor master, the processed-message ledger, invoices and
-- the keys that make "one invoice per vendor and number" a constraint, not a check.

-- The seed's VendorMaster, plus the sender domains and aliases that identify a vendor (';'-separated
-- lists, lower case) and the vendor's own extraction rules (JSON of engine.invoices.models.VendorRules).
CREATE TABLE vendor (
    vendor_key VARCHAR(200) PRIMARY KEY,
    vendor_name VARCHAR(200) NOT NULL,
    sender_domains VARCHAR(2000) NOT NULL DEFAULT '',
    aliases VARCHAR(2000) NOT NULL DEFAULT '',
    gl_code VARCHAR(20) NOT NULL,
    expense_dept VARCHAR(50),
    allocation_schedule VARCHAR(50),
    product_category VARCHAR(20) NOT NULL DEFAULT 'Direct',
    venue_required BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    rules TEXT,
    updated_by VARCHAR(254) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- One row per message a source delivered, keyed by the source's stable id (the .eml's Message-ID in
-- the folder, Graph's immutable id, IMAP's UIDVALIDITY:UID): the key is the claim, so an overlapping
-- poll, a crash before mark-read, or the same mail met twice never makes a second invoice.
CREATE TABLE mail_message (
    source VARCHAR(20) NOT NULL,
    message_key VARCHAR(500) NOT NULL,
    internet_message_id VARCHAR(500),
    sender VARCHAR(320),
    subject VARCHAR(1000),
    received_at TIMESTAMP WITH TIME ZONE,
    status VARCHAR(20) NOT NULL,
    reason VARCHAR(1000),
    invoices INTEGER NOT NULL DEFAULT 0,
    file_id VARCHAR(26),
    processed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL,
    PRIMARY KEY (source, message_key)
);
CREATE INDEX ix_mail_message_internet_id ON mail_message (internet_message_id);

-- The invoice transaction (seed 002 InvoiceTransactions), one per PDF (or e-invoice) of a message.
CREATE TABLE invoice (
    invoice_id VARCHAR(26) PRIMARY KEY,
    source VARCHAR(20) NOT NULL,
    message_key VARCHAR(500) NOT NULL,
    attachment_no INTEGER NOT NULL,
    sender VARCHAR(320),
    subject VARCHAR(1000),
    received_at TIMESTAMP WITH TIME ZONE,
    file_id VARCHAR(26),
    file_hash VARCHAR(64),
    attachment_name VARCHAR(255),
    status VARCHAR(20) NOT NULL,
    vendor_key VARCHAR(200),
    vendor_name VARCHAR(200),
    vendor_source VARCHAR(20),
    vendor_evidence VARCHAR(500),
    detected_name VARCHAR(200),
    invoice_number VARCHAR(100),
    invoice_date DATE,
    due_date DATE,
    total_amount NUMERIC(18, 4),
    currency VARCHAR(3),
    payment_terms VARCHAR(200),
    field_sources VARCHAR(1000) NOT NULL DEFAULT '{}',
    gl_code VARCHAR(20),
    expense_dept VARCHAR(50),
    allocation_schedule VARCHAR(50),
    billing_party VARCHAR(200),
    exception_id VARCHAR(20),
    duplicate_of VARCHAR(26),
    routed_to VARCHAR(1000),
    routed_at TIMESTAMP WITH TIME ZONE,
    error VARCHAR(2000),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    trace_id VARCHAR(40) NOT NULL,
    UNIQUE (source, message_key, attachment_no)
);
CREATE INDEX ix_invoice_status ON invoice (status, created_at);
CREATE INDEX ix_invoice_vendor ON invoice (vendor_key, invoice_number);

-- The seed's two duplicate levels as keys: the first invoice to claim a key owns it.
CREATE TABLE invoice_claim (
    claim_key VARCHAR(700) PRIMARY KEY,
    invoice_id VARCHAR(26) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
