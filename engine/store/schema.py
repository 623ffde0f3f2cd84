"""SQLAlchemy Core tables for the row-level code. The DDL lives in ``sql/migrations``; a test keeps
these definitions and the migrated database in step (same tables, same columns)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)
QTY = sa.Numeric(18, 4)


def _t(name: str, *columns: sa.Column) -> sa.Table:  # type: ignore[type-arg]
    return sa.Table(name, metadata, *columns)


def _c(name: str, type_: sa.types.TypeEngine, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, type_, **kw)  # type: ignore[arg-type]


V = sa.String
schema_migration = _t(
    "schema_migration",
    _c("version", sa.Integer, primary_key=True),
    _c("name", V(200)),
    _c("checksum", V(64)),
    _c("applied_at", TS),
)
app_user = _t(
    "app_user",
    _c("email", V(254), primary_key=True),
    _c("display_name", V(200)),
    _c("password_hash", V(255)),
    _c("active", sa.Boolean),
    _c("failed_attempts", sa.Integer),
    _c("locked_until", TS),
    _c("created_at", TS),
    _c("updated_at", TS),
)
user_role = _t("user_role", _c("email", V(254), primary_key=True), _c("role", V(20), primary_key=True))
user_session = _t(
    "user_session",
    _c("session_id", V(64), primary_key=True),
    _c("email", V(254)),
    _c("method", V(20)),
    _c("created_at", TS),
    _c("last_seen_at", TS),
    _c("ended_at", TS),
)
sign_in_code = _t(
    "sign_in_code",
    _c("code_hash", V(64), primary_key=True),
    _c("session_id", V(64)),
    _c("expires_at", TS),
    _c("used_at", TS),
)
lpo_master = _t(
    "lpo_master",
    _c("lpo_id", V(50), primary_key=True),
    _c("customer_lpo_ref", V(100)),
    _c("customer", V(200)),
    _c("project_id", V(200)),
    _c("plant_id", V(50)),
    _c("po_quantity_m2", QTY),
    _c("delivered_quantity_m2", QTY),
    _c("status", V(20)),
    _c("currency", V(3)),
    _c("lock_version", sa.BigInteger),
    _c("created_at", TS),
    _c("updated_at", TS),
    _c("trace_id", V(40)),
)
file_store = _t(
    "file_store",
    _c("file_id", V(26), primary_key=True),
    _c("sha256", V(64)),
    _c("size_bytes", sa.BigInteger),
    _c("media_type", V(100)),
    _c("storage_key", V(200)),
    _c("first_name", V(255)),
    _c("stored_by", V(254)),
    _c("stored_at", TS),
    _c("trace_id", V(40)),
)
tag_sheet = _t(
    "tag_sheet",
    _c("tag_id", V(20), primary_key=True),
    _c("lpo_id", V(50)),
    _c("status", V(20)),
    _c("required_area_m2", QTY),
    _c("requested_delivery_date", sa.Date),
    _c("file_id", V(26)),
    _c("file_hash", V(64)),
    _c("original_file_name", V(255)),
    _c("version", sa.Integer),
    _c("line_count", sa.Integer),
    _c("truck_size", V(50)),
    _c("notes", V(2000)),
    _c("exception_id", V(20)),
    _c("uploaded_by", V(254)),
    _c("uploaded_at", TS),
    _c("updated_at", TS),
    _c("client_request_id", V(64)),
    _c("trace_id", V(40)),
)
tag_sheet_version = _t(
    "tag_sheet_version",
    _c("tag_id", V(20), primary_key=True),
    _c("version", sa.Integer, primary_key=True),
    _c("file_id", V(26)),
    _c("file_hash", V(64)),
    _c("original_file_name", V(255)),
    _c("line_count", sa.Integer),
    _c("reason", V(2000)),
    _c("created_by", V(254)),
    _c("created_at", TS),
    _c("trace_id", V(40)),
)
tag_line = _t(
    "tag_line",
    _c("ingest_line_id", V(26), primary_key=True),
    _c("tag_id", V(20)),
    _c("tag_version", sa.Integer),
    _c("line_no", sa.Integer),
    _c("source_row", sa.Integer),
    _c("part_no", V(100)),
    _c("nesting_description", V(500)),
    _c("description_norm", V(500)),
    _c("qty", QTY),
    _c("uom", V(10)),
    _c("uom_raw", V(50)),
    _c("thickness_mm", sa.Numeric(10, 2)),
    _c("sheet_size_mm", V(30)),
    _c("sheet_length_mm", sa.Numeric(10, 1)),
    _c("sheet_width_mm", sa.Numeric(10, 1)),
    _c("sheets", sa.Numeric(12, 3)),
    _c("net_area_m2", QTY),
    _c("length_mm", sa.Numeric(12, 1)),
    _c("width_mm", sa.Numeric(12, 1)),
    _c("weight_kg", sa.Numeric(14, 3)),
    _c("remarks", V(500)),
    _c("superseded", sa.Boolean),
    _c("created_at", TS),
    _c("trace_id", V(40)),
)
client_request_log = _t(
    "client_request_log",
    _c("client_request_id", V(64), primary_key=True),
    _c("operation", V(50)),
    _c("fingerprint", V(64)),
    _c("http_status", sa.Integer),
    _c("response", sa.Text),
    _c("actor", V(254)),
    _c("created_at", TS),
    _c("trace_id", V(40)),
)
user_action_history = _t(
    "user_action_history",
    _c("action_id", V(26), primary_key=True),
    _c("action", V(60)),
    _c("actor", V(254)),
    _c("roles", V(200)),
    _c("source", V(20)),
    _c("client_request_id", V(64)),
    _c("trace_id", V(40)),
    _c("entity_type", V(40)),
    _c("entity_id", V(100)),
    _c("before_summary", sa.Text),
    _c("after_summary", sa.Text),
    _c("created_at", TS),
)
exception_log = _t(
    "exception_log",
    _c("exception_id", V(20), primary_key=True),
    _c("kind", V(40)),
    _c("severity", V(10)),
    _c("desk", V(20)),
    _c("status", V(20)),
    _c("message", V(2000)),
    _c("tag_id", V(20)),
    _c("line_id", V(26)),
    _c("lpo_id", V(50)),
    _c("invoice_id", V(40)),
    _c("carrier_file_id", V(40)),
    _c("shipment_id", V(60)),
    _c("file_id", V(26)),
    _c("qty_impact", QTY),
    _c("dedupe_key", V(600)),
    _c("assigned_to", V(254)),
    _c("sla_due", TS),
    _c("escalated_at", TS),
    _c("resolver_notes", V(4000)),
    _c("resolution_txn_id", V(40)),
    _c("payload", sa.Text),
    _c("version", sa.Integer),
    _c("created_by", V(254)),
    _c("created_at", TS),
    _c("updated_by", V(254)),
    _c("updated_at", TS),
    _c("trace_id", V(40)),
)
id_sequence = _t(
    "id_sequence",
    _c("name", V(40), primary_key=True),
    _c("period", V(10), primary_key=True),
    _c("last_value", sa.BigInteger),
)
inbox_message = _t(
    "inbox_message",
    _c("message_id", V(26), primary_key=True),
    _c("desk", V(20)),
    _c("title", V(300)),
    _c("body", V(4000)),
    _c("exception_id", V(20)),
    _c("created_at", TS),
    _c("trace_id", V(40)),
    _c("read_at", TS),
    _c("read_by", V(254)),
)
job_run = _t(
    "job_run",
    _c("run_id", V(26), primary_key=True),
    _c("job_name", V(60)),
    _c("triggered_by", V(20)),
    _c("status", V(20)),
    _c("created_at", TS),
    _c("started_at", TS),
    _c("finished_at", TS),
    _c("counts", sa.Text),
    _c("error", V(4000)),
    _c("host", V(200)),
    _c("trace_id", V(40)),
)
scheduler_lease = _t(
    "scheduler_lease",
    _c("name", V(40), primary_key=True),
    _c("holder", V(200)),
    _c("expires_at", TS),
)
