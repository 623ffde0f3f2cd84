"""Every vocabulary the ledger speaks, as StrEnums (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SALES = "sales"
    STORES = "stores"
    FINANCE = "finance"
    MANAGER = "manager"
    ADMIN = "admin"


class Desk(StrEnum):
    """The desk that owns an exception; each desk is worked by the roles in ``auth.roles``."""

    SALES = "sales"
    STORES = "stores"
    FINANCE = "finance"
    LOGISTICS = "logistics"


class Source(StrEnum):
    CONSOLE = "console"
    JOB = "job"
    CLI = "cli"
    API = "api"


class TagStatus(StrEnum):
    UPLOADED = "UPLOADED"
    BLOCKED = "BLOCKED"
    CANCELLED = "CANCELLED"
    DELIVERED = "DELIVERED"


class IngestStatus(StrEnum):
    UPLOADED = "UPLOADED"
    DUPLICATE = "DUPLICATE"
    BLOCKED = "BLOCKED"


class LpoStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    CLOSED = "CLOSED"


class ExceptionKind(StrEnum):
    DUPLICATE_UPLOAD = "DUPLICATE_UPLOAD"
    LPO_NOT_FOUND = "LPO_NOT_FOUND"
    LPO_ON_HOLD = "LPO_ON_HOLD"
    LPO_CLOSED = "LPO_CLOSED"
    INSUFFICIENT_PO_BALANCE = "INSUFFICIENT_PO_BALANCE"
    PARSE_ERROR = "PARSE_ERROR"
    MULTI_TAG_NEST = "MULTI_TAG_NEST"
    MAPPING_REVIEW = "MAPPING_REVIEW"
    UNIT_CONVERSION = "UNIT_CONVERSION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    NO_SKU = "NO_SKU"
    STALE_SNAPSHOT = "STALE_SNAPSHOT"
    UNKNOWN_VENDOR = "UNKNOWN_VENDOR"
    DUPLICATE_INVOICE = "DUPLICATE_INVOICE"
    UNREADABLE_INVOICE = "UNREADABLE_INVOICE"
    ERR_FILE_CONTRACT_MISMATCH = "ERR_FILE_CONTRACT_MISMATCH"
    CARRIER_TOTALS_MISMATCH = "CARRIER_TOTALS_MISMATCH"
    DUPLICATE_BILLING = "DUPLICATE_BILLING"
    BILLED_NOT_SHIPPED = "BILLED_NOT_SHIPPED"
    SHIPPED_NOT_BILLED = "SHIPPED_NOT_BILLED"
    WEIGHT_VARIANCE = "WEIGHT_VARIANCE"
    COST_VARIANCE = "COST_VARIANCE"


class ExceptionStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


class ExceptionAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    RESOLVE = "resolve"
    DISMISS = "dismiss"


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    NOTIFICATION = "notification"  # a Graph change notification asked for a mail poll
    AFTER_LOAD = "after_load"  # a carrier bill loaded: the reconciliation follows (seed 003)


class MappingDecision(StrEnum):
    AUTO = "AUTO"
    OVERRIDE = "OVERRIDE"
    MANUAL = "MANUAL"
    REVIEW = "REVIEW"


class MappingStatus(StrEnum):
    """Where a tag line stands: mapped and allocatable, mapped but never allocated, waiting."""

    MAPPED = "MAPPED"
    NOT_TRACKED = "NOT_TRACKED"
    REVIEW = "REVIEW"
    NO_CONVERSION = "NO_CONVERSION"


class OverrideScope(StrEnum):
    """In precedence order (DOMAIN "Material mapping" step 2)."""

    LPO = "LPO"
    PROJECT = "PROJECT"
    PLANT = "PLANT"
    CUSTOMER = "CUSTOMER"


class AllocationStatus(StrEnum):
    ALLOCATED = "ALLOCATED"
    PARTIAL = "PARTIAL"
    UNALLOCATED = "UNALLOCATED"
    SKIPPED = "SKIPPED"


class InvoiceStatus(StrEnum):
    """The invoice transaction's status (seed 002), plus ``skipped`` for a message that made none."""

    PROCESSED = "processed"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    ERROR = "error"
    SKIPPED = "skipped"


class MailSourceKind(StrEnum):
    FOLDER = "folder"
    GRAPH = "graph"
    IMAP = "imap"


class Carrier(StrEnum):
    FEDEX = "fedex"
    UPS = "ups"


class CarrierFileStatus(StrEnum):
    LOADED = "loaded"
    PARTIAL = "partial"
    SKIPPED = "skipped"
    REJECTED = "rejected"


class ReconStatus(StrEnum):
    """DOMAIN "Reconciliation": the first that applies, in this order."""

    DUPLICATE_BILLING = "DUPLICATE_BILLING"
    BILLED_NOT_SHIPPED = "BILLED_NOT_SHIPPED"
    NOT_IN_WMS_WINDOW = "NOT_IN_WMS_WINDOW"
    SHIPPED_NOT_BILLED = "SHIPPED_NOT_BILLED"
    AWAITING_BILL = "AWAITING_BILL"
    WEIGHT_VARIANCE = "WEIGHT_VARIANCE"
    COST_VARIANCE = "COST_VARIANCE"
    MATCHED = "MATCHED"


class DisputeStatus(StrEnum):
    FLAGGED = "FLAGGED"
    DISPUTED = "DISPUTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CLOSED = "CLOSED"
