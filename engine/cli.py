"""``python -m engine``: every command prints JSON on stdout and exits non-zero only on errors.

Each command is a thin wrapper over the ``engine.api`` function of the same name. Engine errors are
printed as JSON (``{"error": CODE, "message": ...}``) with exit status 1; a one-line explanation
also goes to stderr for people reading a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine import api
from engine.auth.roles import CLI_OPERATOR
from engine.config import Settings, load_settings
from engine.errors import EngineError, ValidationError
from engine.mapping.requests import LookupRequest
from engine.materials.kinds import Kind
from engine.models import build
from engine.tags.models import IngestRequest, ReplaceRequest
from engine.vocab import (
    CarrierFileStatus,
    Desk,
    ExceptionAction,
    ExceptionKind,
    ExceptionStatus,
    JobTrigger,
    Source,
    TagStatus,
)


def _json(value: Any) -> str:
    def convert(item: Any) -> Any:
        if isinstance(item, BaseModel):
            return item.model_dump(mode="json")
        if isinstance(item, list):
            return [convert(x) for x in item]
        if isinstance(item, dict):
            return {k: convert(v) for k, v in item.items()}
        return item

    return json.dumps(convert(value), indent=2, default=str, ensure_ascii=False)


def _read(path: str) -> bytes:
    file = Path(path)
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}.", field="file") from exc


def _readable(path: str) -> Path:
    """A file the engine reads itself (a carrier bill can be hundreds of MB: never read here)."""
    file = Path(path)
    try:
        with file.open("rb"):
            return file
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}.", field="file") from exc


def _choice(enum: type[StrEnum], value: str | None) -> Any:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError as exc:
        options = ", ".join(str(v.value) for v in enum)
        raise ValidationError(f"{value!r} is not one of: {options}.") from exc


def _ledger(settings: Settings) -> api.Ledger:
    return api.open_ledger(settings, log_to_stream=False)


# ---------------------------------------------------------------- commands


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> Any:
    return api.db_upgrade(settings)


def cmd_demo_load(args: argparse.Namespace, settings: Settings) -> Any:
    return api.load_demo(_ledger(settings), actor=CLI_OPERATOR, force=args.force)


def cmd_demo_accounts(args: argparse.Namespace, settings: Settings) -> Any:
    accounts = api.demo_accounts(_ledger(settings), actor=CLI_OPERATOR)
    if not args.banner:
        return accounts
    lines = [f"OpsLedger console: http://localhost:{args.port}  (data in {settings.data_dir.resolve()})"]
    if accounts and settings.demo_data:
        lines.append("Demo sign-in accounts (demo data only):")
        lines += [f"  {a.email:<22} password {a.password:<22} role {a.role}" for a in accounts]
    elif accounts:
        lines.append(
            "WARNING: demo accounts with published passwords are active while demo data is off: "
            + ", ".join(a.email for a in accounts)
            + ". Deactivate them on the Users page."
        )
    print("\n".join(lines))
    return None


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> Any:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    return api.add_user(
        _ledger(settings),
        email=args.email,
        roles=args.role,
        password=password,
        display_name=args.name,
        actor=CLI_OPERATOR,
    )


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_users(_ledger(settings), actor=CLI_OPERATOR)


def cmd_users_roles(args: argparse.Namespace, settings: Settings) -> Any:
    return api.set_user_roles(_ledger(settings), email=args.email, roles=args.role, actor=CLI_OPERATOR)


def cmd_users_password(args: argparse.Namespace, settings: Settings) -> Any:
    if not args.password_stdin:
        raise ValidationError("Give the new password on stdin with --password-stdin (never as an argument).")
    password = sys.stdin.readline().rstrip("\n")
    return api.reset_password(_ledger(settings), email=args.email, password=password, actor=CLI_OPERATOR)


def cmd_apikeys_create(args: argparse.Namespace, settings: Settings) -> Any:
    return api.create_api_key(
        _ledger(settings), name=args.name, roles=args.role, expires=args.expires, actor=CLI_OPERATOR
    )


def cmd_apikeys_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_api_keys(_ledger(settings), actor=CLI_OPERATOR)


def cmd_apikeys_revoke(args: argparse.Namespace, settings: Settings) -> Any:
    return api.revoke_api_key(_ledger(settings), args.key_id, actor=CLI_OPERATOR)


def _user(args: argparse.Namespace, settings: Settings) -> tuple[api.Ledger, api.Actor]:
    ledger = _ledger(settings)
    return ledger, api.actor_for(ledger, args.user, source=Source.CLI)


def cmd_vendors_import(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.import_vendors(ledger, _read(args.file), Path(args.file).name, actor=actor)


def cmd_vendors_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_vendors(_ledger(settings), actor=CLI_OPERATOR)


def cmd_wms_import(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    result = api.import_wms(ledger, _read(args.file), Path(args.file).name, actor=actor)
    return result.model_dump(include={"rows", "inserted", "replaced"})


def cmd_wms_pull(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.pull_wms(ledger, actor=actor).model_dump(include={"rows", "inserted", "replaced"})


def cmd_reconcile_run(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    run = api.run_reconciliation(ledger, as_of=args.as_of, carrier=args.carrier, actor=actor)
    return run.model_dump(
        mode="json",
        include={"run_id", "as_of", "counts", "exceptions_opened", "exceptions_resolved", "trace_id"},
    )


LEDGER_LIST_KEYS = {
    "carrier",
    "tracking_number",
    "status",
    "billed_cost",
    "expected_cost",
    "variance",
    "billed_weight_lb",
    "expected_weight_lb",
    "exception_id",
    "dispute_status",
}


def cmd_reconcile_list(args: argparse.Namespace, settings: Settings) -> Any:
    rows = api.list_reconciliation(
        _ledger(settings), status=args.status, carrier=args.carrier, actor=CLI_OPERATOR
    )
    return [row.model_dump(mode="json", include=LEDGER_LIST_KEYS) for row in rows]


def cmd_disputes_act(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.act_on_dispute(
        ledger,
        carrier=args.carrier,
        tracking=args.tracking,
        action=args.action,
        amount=args.amount,
        reference=args.reference,
        actor=actor,
    )


def _invoice_object(outcome: api.MessageOutcome) -> dict[str, Any]:
    """The issue's invoice object for one message: its (first) invoice, or a skipped answer."""
    empty = dict.fromkeys(api.InvoiceView.model_fields)
    first = outcome.invoices[0].model_dump(mode="json") if outcome.invoices else empty
    answer = {**first, "trace_id": first.get("trace_id") or outcome.trace_id}
    if outcome.status is api.InvoiceStatus.SKIPPED:
        answer["status"] = "skipped"
    answer["reason"] = outcome.reason
    answer["invoices"] = [v.model_dump(mode="json") for v in outcome.invoices]
    return answer


def cmd_invoices_process(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return _invoice_object(
        api.process_mail(ledger, _read(args.file), actor=actor, file_name=Path(args.file).name)
    )


def cmd_invoices_poll(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.poll_mail(ledger, actor=actor, source=args.source)


def cmd_invoices_list(args: argparse.Namespace, settings: Settings) -> Any:
    status = _choice(api.InvoiceStatus, args.status)
    return api.list_invoices(
        _ledger(settings), actor=CLI_OPERATOR, status=status, offset=args.offset, limit=args.limit
    )


def cmd_invoices_show(args: argparse.Namespace, settings: Settings) -> Any:
    return api.show_invoice(_ledger(settings), args.invoice_id, actor=CLI_OPERATOR)


def cmd_invoices_reprocess(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.reprocess_invoices(ledger, actor=actor, invoice_id=args.invoice_id, vendor=args.vendor)


def cmd_carriers_ingest(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.ingest_carrier_file(
        ledger,
        _readable(args.file),
        Path(args.file).name,
        carrier=args.carrier,
        account=args.account,
        tenant=args.tenant,
        actor=actor,
    )


def cmd_carriers_invoices(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_carrier_invoices(
        _ledger(settings), actor=CLI_OPERATOR, carrier=args.carrier, account=args.account
    )


def cmd_carriers_files(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_carrier_files(
        _ledger(settings), actor=CLI_OPERATOR, status=args.status, carrier=args.carrier, limit=args.limit
    )


def cmd_carriers_rerun(args: argparse.Namespace, settings: Settings) -> Any:
    ledger, actor = _user(args, settings)
    return api.rerun_carrier_file(ledger, args.file_id, account=args.account, actor=actor)


def cmd_carriers_shipment(args: argparse.Namespace, settings: Settings) -> Any:
    return api.shipment(_ledger(settings), carrier=args.carrier, tracking=args.tracking, actor=CLI_OPERATOR)


def cmd_lpo_import(args: argparse.Namespace, settings: Settings) -> Any:
    return api.import_lpos(
        _ledger(settings), _read(args.file), actor=CLI_OPERATOR, request_id=args.request_id
    )


def cmd_lpo_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_lpos(_ledger(settings), actor=CLI_OPERATOR)


def cmd_tags_ingest(args: argparse.Namespace, settings: Settings) -> Any:
    content = _read(args.file)
    fields: dict[str, Any] = {
        "lpo_id": args.lpo,
        "customer_lpo_ref": args.customer_ref,
        "required_area_m2": args.area,
        "requested_delivery_date": args.delivery_date,
        "original_file_name": Path(args.file).name,
        "content": content,
        "tag_id": args.tag_id,
        "truck_size": args.truck_size,
        "notes": args.notes,
    }
    if args.request_id:
        fields["client_request_id"] = args.request_id
    request = build(IngestRequest, **fields)
    ledger = _ledger(settings)
    actor = api.actor_for(ledger, args.user, source=Source.CLI)
    return api.ingest_tag(ledger, request, actor=actor)


def cmd_tags_replace(args: argparse.Namespace, settings: Settings) -> Any:
    fields: dict[str, Any] = {
        "tag_id": args.tag,
        "reason": args.reason,
        "content": _read(args.file),
        "original_file_name": Path(args.file).name,
    }
    if args.request_id:
        fields["client_request_id"] = args.request_id
    request = build(ReplaceRequest, **fields)
    ledger = _ledger(settings)
    return api.replace_tag(ledger, request, actor=api.actor_for(ledger, args.user, source=Source.CLI))


def cmd_tags_show(args: argparse.Namespace, settings: Settings) -> Any:
    return api.show_tag(_ledger(settings), args.tag, actor=CLI_OPERATOR)


def cmd_tags_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_tags(
        _ledger(settings),
        actor=CLI_OPERATOR,
        lpo_id=args.lpo,
        status=_choice(TagStatus, args.status),
        offset=args.offset,
        limit=args.limit,
    )


def cmd_exceptions_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.list_exceptions(
        _ledger(settings),
        actor=CLI_OPERATOR,
        kind=_choice(ExceptionKind, args.kind),
        status=_choice(ExceptionStatus, args.status),
        desk=_choice(Desk, args.desk),
        open_only=args.open,
        overdue_only=args.overdue,
        offset=args.offset,
        limit=args.limit,
    )


def cmd_exceptions_act(args: argparse.Namespace, settings: Settings) -> Any:
    ledger = _ledger(settings)
    actor = api.actor_for(ledger, args.user, source=Source.CLI)
    return api.act_on_exception(
        ledger,
        args.exception_id,
        _choice(ExceptionAction, args.action),
        actor=actor,
        notes=args.notes,
        assignee=args.assignee,
        request_id=args.request_id,
    )


def cmd_audit(args: argparse.Namespace, settings: Settings) -> Any:
    if not (args.trace or args.entity or args.user):
        raise ValidationError("Give --trace, --entity or --user.")
    return api.search_audit(
        _ledger(settings),
        actor=CLI_OPERATOR,
        trace_id=args.trace,
        entity_id=args.entity,
        user=args.user,
        offset=args.offset,
        limit=args.limit,
    )


def cmd_jobs_run(args: argparse.Namespace, settings: Settings) -> Any:
    return api.run_job(_ledger(settings), args.name, actor=CLI_OPERATOR, trigger=JobTrigger.MANUAL)


def cmd_materials_import(args: argparse.Namespace, settings: Settings) -> Any:
    return api.import_materials(
        _ledger(settings),
        _choice(Kind, args.kind),
        _read(args.file),
        Path(args.file).name,
        actor=CLI_OPERATOR,
        request_id=args.request_id,
    )


def cmd_materials_export(args: argparse.Namespace, settings: Settings) -> Any:
    fmt = "xlsx" if args.file.lower().endswith(".xlsx") else "csv"
    download = api.export_materials(_ledger(settings), _choice(Kind, args.kind), fmt=fmt, actor=CLI_OPERATOR)
    Path(args.file).write_bytes(download.content)
    return {"kind": args.kind, "file": args.file, "format": fmt, "bytes": len(download.content)}


def cmd_stock_import(args: argparse.Namespace, settings: Settings) -> Any:
    return api.import_stock(
        _ledger(settings),
        _read(args.file),
        Path(args.file).name,
        actor=CLI_OPERATOR,
        request_id=args.request_id,
    )


def cmd_stock_export(args: argparse.Namespace, settings: Settings) -> Any:
    fmt = "xlsx" if args.file.lower().endswith(".xlsx") else "csv"
    download = api.export_stock(_ledger(settings), fmt=fmt, actor=CLI_OPERATOR)
    Path(args.file).write_bytes(download.content)
    return {"file": args.file, "format": fmt, "bytes": len(download.content)}


def cmd_map_lookup(args: argparse.Namespace, settings: Settings) -> Any:
    request = build(
        LookupRequest,
        description=args.description,
        lpo_id=args.lpo,
        project_id=args.project,
        plant_id=args.plant,
        customer=args.customer,
        qty=args.qty,
        uom=args.uom,
        line_id=args.line_id,
        sheet_size_mm=args.sheet_size,
        on_date=args.date,
    )
    if request.line_id:
        return api.record_lookup(_ledger(settings), request, actor=CLI_OPERATOR)
    return api.lookup_material(_ledger(settings), request, actor=CLI_OPERATOR)


def cmd_map_review_list(args: argparse.Namespace, settings: Settings) -> Any:
    return api.review_queue(_ledger(settings), actor=CLI_OPERATOR)


def cmd_map_resolve(args: argparse.Namespace, settings: Settings) -> Any:
    ledger = _ledger(settings)
    actor = api.actor_for(ledger, args.user, source=Source.CLI)
    return api.resolve_review(
        ledger,
        args.exception_id,
        canonical_code=args.canonical,
        sap_code=args.sap,
        scope=args.scope,
        scope_value=args.scope_value,
        actor=actor,
        request_id=args.request_id,
    )


def cmd_allocate(args: argparse.Namespace, settings: Settings) -> Any:
    if not (args.date or args.tag):
        raise ValidationError("Give --date or --tag.")
    return api.allocate(
        _ledger(settings),
        run_date=args.date,
        tag_id=args.tag,
        accept_stale=args.accept_stale,
        actor=CLI_OPERATOR,
        request_id=args.request_id,
    )


def cmd_picklist(args: argparse.Namespace, settings: Settings) -> Any:
    download = api.pick_list_file(
        _ledger(settings), args.date, fmt=args.format, tag_id=args.tag, actor=CLI_OPERATOR
    )
    Path(args.out).write_bytes(download.content)
    picks = api.pick_list(_ledger(settings), args.date, tag_id=args.tag, actor=CLI_OPERATOR)
    return {
        "file": args.out,
        "format": args.format,
        "date": args.date,
        "tag": args.tag,
        "skus": len(picks.items),
        "items": picks.items,
    }


# ---------------------------------------------------------------- parser


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-15") from exc


def _request_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--request-id", help="idempotency key (a UUID): the same key again returns the first answer"
    )


def _paging(parser: argparse.ArgumentParser, *, default_limit: int) -> None:
    parser.add_argument("--offset", type=int, default=0, help="rows to skip (the list is paged)")
    parser.add_argument("--limit", type=int, default=default_limit, help="rows per page (at most 1000)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m engine", description="OpsLedger engine commands (JSON out)."
    )
    parser.add_argument("--db", help="database URL (overrides OPSLEDGER_DATABASE_URL)")
    groups = parser.add_subparsers(dest="group", required=True)

    def command(
        group: Any, name: str, handler: Callable[..., Any], help_text: str
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(name, help=help_text)
        sub.set_defaults(handler=handler)
        return sub

    db = groups.add_parser("db", help="the store").add_subparsers(dest="command", required=True)
    command(db, "upgrade", cmd_db_upgrade, "apply pending migrations")
    demo = groups.add_parser("demo", help="demo data").add_subparsers(dest="command", required=True)
    command(
        demo, "load", cmd_demo_load, "load the demo data set (only with OPSLEDGER_DEMO_DATA on)"
    ).add_argument(
        "--force", action="store_true", help="reload it into a store that holds nothing but demo data"
    )
    accounts = command(demo, "accounts", cmd_demo_accounts, "the demo sign-in accounts present in the store")
    accounts.add_argument("--banner", action="store_true", help="print the start-up banner instead of JSON")
    accounts.add_argument("--port", default="8501")

    users = groups.add_parser("users", help="accounts").add_subparsers(dest="command", required=True)
    add = command(users, "add", cmd_users_add, "create a user")
    add.add_argument("--email", required=True)
    add.add_argument("--role", action="append", required=True, help="repeat or comma-separate for several")
    add.add_argument("--name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    command(users, "list", cmd_users_list, "list users")
    roles = command(users, "roles", cmd_users_roles, "replace a user's roles")
    roles.add_argument("--email", required=True)
    roles.add_argument("--role", action="append", required=True)
    reset = command(
        users, "password", cmd_users_password, "set a local account's password (ends its sessions)"
    )
    reset.add_argument("--email", required=True)
    reset.add_argument("--password-stdin", action="store_true", help="read the new password from stdin")

    keys = groups.add_parser("apikeys", help="integration API keys").add_subparsers(
        dest="command", required=True
    )
    create = command(keys, "create", cmd_apikeys_create, "create a key (printed once, stored hashed)")
    create.add_argument("--name", required=True, help="the integration, e.g. nesting")
    create.add_argument("--role", action="append", required=True, help="repeat or comma-separate for several")
    create.add_argument("--expires", type=_date, help="YYYY-MM-DD: the key stops working on that day")
    command(keys, "list", cmd_apikeys_list, "keys with their roles, last use, expiry and revocation")
    command(keys, "revoke", cmd_apikeys_revoke, "stop a key at once").add_argument("key_id")

    vendors = groups.add_parser("vendors", help="the vendor master (finance)").add_subparsers(
        dest="command", required=True
    )
    vendor_import = command(vendors, "import", cmd_vendors_import, "import/update vendors from CSV or xlsx")
    vendor_import.add_argument("file")
    vendor_import.add_argument("--user", required=True, help="e-mail of the finance user")
    command(vendors, "list", cmd_vendors_list, "the vendor master")

    wms = groups.add_parser("wms", help="WMS shipment exports (managers)").add_subparsers(
        dest="command", required=True
    )
    wms_import = command(wms, "import", cmd_wms_import, "import shipped packages from CSV or xlsx")
    wms_import.add_argument("file")
    wms_import.add_argument("--user", required=True, help="e-mail of the manager")
    command(
        wms, "pull", cmd_wms_pull, "pull shipped packages from the WMS database (ODBC settings)"
    ).add_argument("--user", required=True)
    reconcile = groups.add_parser("reconcile", help="carrier bills against WMS").add_subparsers(
        dest="command", required=True
    )
    recon_run = command(reconcile, "run", cmd_reconcile_run, "reconcile every billed or shipped package")
    recon_run.add_argument("--carrier", help="fedex or ups (default: both)")
    recon_run.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: today)")
    recon_run.add_argument("--user", required=True)
    recon_list = command(reconcile, "list", cmd_reconcile_list, "the reconciled packages")
    recon_list.add_argument("--status", help="e.g. COST_VARIANCE")
    recon_list.add_argument("--carrier")
    disputes = groups.add_parser("disputes", help="disputes of billing variances").add_subparsers(
        dest="command", required=True
    )
    dispute = command(disputes, "act", cmd_disputes_act, "flag, dispute, accept, reject or close")
    dispute.add_argument("--carrier", required=True)
    dispute.add_argument("--tracking", required=True)
    dispute.add_argument("--action", required=True, choices=["flag", "dispute", "accept", "reject", "close"])
    dispute.add_argument("--amount", help="the claim (dispute) or the recovered amount (accept)")
    dispute.add_argument("--reference", help="the carrier's dispute reference (dispute)")
    dispute.add_argument("--user", required=True)

    invoices = groups.add_parser("invoices", help="invoices from the AP mailbox").add_subparsers(
        dest="command", required=True
    )
    process = command(invoices, "process", cmd_invoices_process, "run one .eml through the pipeline")
    process.add_argument("file")
    process.add_argument("--user", required=True)
    poll = command(invoices, "poll", cmd_invoices_poll, "process what waits in the mailbox now")
    poll.add_argument("--source", choices=["folder", "graph", "imap"])
    poll.add_argument("--user", required=True)
    invoice_list = command(invoices, "list", cmd_invoices_list, "invoices, newest first")
    invoice_list.add_argument("--status")
    _paging(invoice_list, default_limit=100)
    command(invoices, "show", cmd_invoices_show, "one invoice").add_argument("invoice_id")
    again = command(invoices, "reprocess", cmd_invoices_reprocess, "read invoices again against the master")
    target = again.add_mutually_exclusive_group(required=True)
    target.add_argument("invoice_id", nargs="?")
    target.add_argument("--vendor")
    again.add_argument("--user", required=True)

    carriers = groups.add_parser("carriers", help="carrier bills (FedEx, UPS)").add_subparsers(
        dest="command", required=True
    )
    carrier_ingest = command(carriers, "ingest", cmd_carriers_ingest, "load one carrier bill file")
    carrier_ingest.add_argument("file")
    carrier_ingest.add_argument("--carrier", required=True, choices=["fedex", "ups"])
    carrier_ingest.add_argument("--account", required=True, help="the account the bill is for")
    carrier_ingest.add_argument("--tenant")
    carrier_ingest.add_argument("--user", required=True, help="e-mail of the uploading user")
    carrier_invoices = command(carriers, "invoices", cmd_carriers_invoices, "carrier invoices met in bills")
    carrier_invoices.add_argument("--carrier")
    carrier_invoices.add_argument("--account")
    carrier_shipment = command(carriers, "shipment", cmd_carriers_shipment, "one shipment and its charges")
    carrier_shipment.add_argument("--carrier", required=True)
    carrier_shipment.add_argument("--tracking", required=True)
    carrier_files = command(carriers, "files", cmd_carriers_files, "the bills offered, newest first")
    carrier_files.add_argument("--status", choices=[s.value for s in CarrierFileStatus])
    carrier_files.add_argument("--carrier")
    carrier_files.add_argument("--limit", type=int, default=200)
    carrier_rerun = command(carriers, "rerun", cmd_carriers_rerun, "re-run a rejected bill once fixed")
    carrier_rerun.add_argument("file_id")
    carrier_rerun.add_argument("--account", help="the corrected account (default: the one first chosen)")
    carrier_rerun.add_argument("--user", required=True, help="e-mail of the user re-running it")

    lpo = groups.add_parser("lpo", help="customer LPOs").add_subparsers(dest="command", required=True)
    lpo_import = command(lpo, "import", cmd_lpo_import, "import/update LPOs from a CSV")
    lpo_import.add_argument("file")
    _request_id(lpo_import)
    command(lpo, "list", cmd_lpo_list, "LPOs with committed and remaining quantity")

    tags = groups.add_parser("tags", help="tag sheets").add_subparsers(dest="command", required=True)
    ingest = command(tags, "ingest", cmd_tags_ingest, "upload a cut export against an LPO")
    ingest.add_argument("--file", required=True)
    ingest.add_argument("--lpo")
    ingest.add_argument("--customer-ref")
    ingest.add_argument("--area", required=True, help="required area in m2")
    ingest.add_argument("--delivery-date", required=True, type=_date)
    ingest.add_argument("--user", required=True, help="e-mail of the uploading user")
    ingest.add_argument("--request-id", help="idempotency key (a UUID); a new one by default")
    ingest.add_argument("--tag-id")
    ingest.add_argument("--truck-size")
    ingest.add_argument("--notes")
    rep = command(tags, "replace", cmd_tags_replace, "replace a tag's sheet with a corrected one")
    rep.add_argument("--tag", required=True)
    rep.add_argument("--file", required=True)
    rep.add_argument("--reason", required=True)
    rep.add_argument("--user", required=True)
    rep.add_argument("--request-id")
    command(tags, "show", cmd_tags_show, "one tag with its lines and versions").add_argument("tag")
    tag_list = command(tags, "list", cmd_tags_list, "tags, newest first")
    tag_list.add_argument("--lpo")
    tag_list.add_argument("--status")
    _paging(tag_list, default_limit=100)

    exc = groups.add_parser("exceptions", help="the exception queue").add_subparsers(
        dest="command", required=True
    )
    exc_list = command(exc, "list", cmd_exceptions_list, "list exceptions")
    exc_list.add_argument("--kind")
    exc_list.add_argument("--status")
    exc_list.add_argument("--desk")
    exc_list.add_argument("--open", action="store_true", help="open or acknowledged only")
    exc_list.add_argument("--overdue", action="store_true")
    _paging(exc_list, default_limit=100)
    act = command(exc, "act", cmd_exceptions_act, "acknowledge, assign, resolve or dismiss one")
    act.add_argument("exception_id")
    act.add_argument("--action", required=True)
    act.add_argument("--user", required=True)
    act.add_argument("--notes")
    act.add_argument("--assignee")
    _request_id(act)

    audit = groups.add_parser("audit", help="search the audit trail")
    audit.set_defaults(handler=cmd_audit)
    audit.add_argument("--trace")
    audit.add_argument("--entity")
    audit.add_argument("--user")
    _paging(audit, default_limit=200)

    materials = groups.add_parser("materials", help="stores master data").add_subparsers(
        dest="command", required=True
    )
    imp = command(materials, "import", cmd_materials_import, "import rows (all valid, or nothing changes)")
    imp.add_argument("kind", help="master, overrides, brandmap, skus, units or canonical")
    imp.add_argument("file", help=".csv (UTF-8) or .xlsx")
    _request_id(imp)
    exp = command(materials, "export", cmd_materials_export, "export a kind to .csv or .xlsx")
    exp.add_argument("kind")
    exp.add_argument("file")
    stock = groups.add_parser("stock", help="SAP stock snapshots").add_subparsers(
        dest="command", required=True
    )
    stock_import = command(stock, "import", cmd_stock_import, "load a stock snapshot")
    stock_import.add_argument("file")
    _request_id(stock_import)
    command(stock, "export", cmd_stock_export, "write the latest snapshot to .csv or .xlsx").add_argument(
        "file"
    )

    mapping = groups.add_parser("map", help="material mapping").add_subparsers(dest="command", required=True)
    look = command(
        mapping, "lookup", cmd_map_lookup, "map one description (recorded when --line-id is given)"
    )
    look.add_argument("--description", required=True)
    look.add_argument("--lpo")
    look.add_argument("--project")
    look.add_argument("--plant")
    look.add_argument("--customer")
    look.add_argument("--qty", required=True)
    look.add_argument("--uom", required=True)
    look.add_argument("--line-id")
    look.add_argument("--sheet-size", help="e.g. 1200x4000, for sheets")
    look.add_argument("--date", type=_date, help="day the overrides apply to (default: today)")
    review = mapping.add_parser("review", help="the review queue").add_subparsers(
        dest="subcommand", required=True
    )
    command(review, "list", cmd_map_review_list, "descriptions waiting for a mapping")
    res = command(mapping, "resolve", cmd_map_resolve, "resolve a review with a master row or an override")
    res.add_argument("exception_id")
    res.add_argument("--canonical", required=True)
    res.add_argument("--sap")
    res.add_argument("--scope", required=True, help="global, LPO, PROJECT, PLANT or CUSTOMER")
    res.add_argument("--scope-value")
    res.add_argument("--user", required=True)
    _request_id(res)

    alloc = groups.add_parser("allocate", help="allocate stock for a date or a tag")
    alloc.set_defaults(handler=cmd_allocate)
    alloc.add_argument("--date", type=_date)
    alloc.add_argument("--tag")
    alloc.add_argument(
        "--accept-stale",
        action="store_true",
        help="allocate even from a snapshot older than the stock rule allows",
    )
    _request_id(alloc)
    pick = groups.add_parser("picklist", help="write the pick list of a date (or a tag)")
    pick.set_defaults(handler=cmd_picklist)
    pick.add_argument("--date", type=_date, required=True)
    pick.add_argument("--tag")
    pick.add_argument("--format", choices=["csv", "pdf"], required=True)
    pick.add_argument("--out", required=True)

    jobs = groups.add_parser("jobs", help="background jobs").add_subparsers(dest="command", required=True)
    command(jobs, "run", cmd_jobs_run, "run a job now").add_argument("name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(**({"database_url": args.db} if args.db else {}))
        result = args.handler(args, settings)
    except EngineError as error:
        print(_json(error.to_dict()))
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    if result is not None:
        print(_json(result))
    return 0
