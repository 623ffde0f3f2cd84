"""The vendor master: CSV and xlsx imports all-or-nothing with row numbers, upserts counted and
audited, and an export that imports back unchanged (DuckDB and PostgreSQL)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from engine import api
from engine.api import Ledger
from engine.demo.invoices import DEMO_VENDORS_CSV
from engine.errors import ValidationError
from engine.store.schema import user_action_history, vendor
from tests.engine.invoice_mails import FINANCE, count

HEADER = "vendor_name,sender_domains,aliases,gl_code,expense_dept,allocation_schedule,product_category\n"


def _import(ledger: Ledger, text: str, name: str = "vendors.csv") -> api.VendorImport:
    return api.import_vendors(ledger, text.encode(), name, actor=FINANCE)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _audit(ledger: Ledger, trace_id: str) -> list[tuple[str, str]]:
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.select(user_action_history.c.action, user_action_history.c.entity_id)
            .where(user_action_history.c.trace_id == trace_id)
            .order_by(user_action_history.c.entity_id)
        ).all()
    return [(r.action, r.entity_id) for r in rows]


def test_csv_import_creates_the_vendors_with_their_lists_and_audits_each(ledger: Ledger) -> None:
    result = _import(ledger, DEMO_VENDORS_CSV)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    vendors = {v.vendor_name: v for v in api.list_vendors(ledger, actor=FINANCE)}
    assert set(vendors) == {"ACME Tools LLC", "Gulf Office Supplies", "Falcon IT Resellers"}
    gulf = vendors["Gulf Office Supplies"]
    assert gulf.sender_domains == ["gulfoffice.example"]
    assert gulf.aliases == ["Gulf Office", "GOS Trading"]
    assert (gulf.gl_code, gulf.expense_dept, gulf.allocation_schedule) == ("6200", "ADMIN", "1")
    assert vendors["Falcon IT Resellers"].product_category == "Reseller"
    assert gulf.updated_by == FINANCE.email
    assert _audit(ledger, result.trace_id) == [
        ("VENDOR_SAVED", "acme_tools_llc"),
        ("VENDOR_SAVED", "falcon_it_resellers"),
        ("VENDOR_SAVED", "gulf_office_supplies"),
    ]


def test_xlsx_import_reads_the_same_master(ledger: Ledger) -> None:
    rows = [line.split(",") for line in DEMO_VENDORS_CSV.strip().splitlines()]
    result = api.import_vendors(ledger, _xlsx(rows), "vendors.xlsx", actor=FINANCE)  # type: ignore[arg-type]
    assert result.created == 3
    acme = next(v for v in api.list_vendors(ledger, actor=FINANCE) if v.vendor_name == "ACME Tools LLC")
    assert acme.sender_domains == ["acme-tools.example"] and acme.gl_code == "6100"


def test_upsert_counts_created_updated_unchanged_and_audits_only_changes(ledger: Ledger) -> None:
    _import(ledger, DEMO_VENDORS_CSV)
    audit_rows = count(ledger, user_action_history, user_action_history.c.action == "VENDOR_SAVED")
    changed = (
        DEMO_VENDORS_CSV.replace(",6200,ADMIN,", ",6250,ADMIN,")
        + "New Vendor FZE,newvendor.example,,7000,OPS,1,Direct\n"
    )
    result = _import(ledger, changed)
    assert (result.rows, result.created, result.updated, result.unchanged) == (4, 1, 1, 2)
    assert _audit(ledger, result.trace_id) == [
        ("VENDOR_SAVED", "gulf_office_supplies"),
        ("VENDOR_SAVED", "new_vendor_fze"),
    ]
    assert (
        count(ledger, user_action_history, user_action_history.c.action == "VENDOR_SAVED") == audit_rows + 2
    )
    with ledger.db.read() as conn:
        before = conn.execute(
            sa.select(user_action_history.c.before_summary, user_action_history.c.after_summary).where(
                user_action_history.c.trace_id == result.trace_id,
                user_action_history.c.entity_id == "gulf_office_supplies",
            )
        ).one()
    assert "6200" in before.before_summary and "6250" in before.after_summary
    again = _import(ledger, changed)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            "ACME Tools LLC,acme-tools.example,,6100,OPS,1,Direct\n"
            "acme tools llc,acme2.example,,6100,OPS,1,Direct\n",
            r"row 3: the same vendor as row 2",
        ),
        ("ACME Tools LLC,not a domain,,6100,OPS,1,Direct\n", r"row 2: .*not a domain"),
        (
            "ACME Tools LLC,shared.example,,6100,OPS,1,Direct\nOther Co,shared.example,,6200,OPS,1,Direct\n",
            r"row 3: domain shared.example is also ACME Tools LLC's",
        ),
        (
            "Good Co,good.example,,6100,OPS,1,Direct\nBad Co,bad.example,,,OPS,1,Direct\n",
            r"row 3: ",
        ),
    ],
    ids=["duplicate-vendor", "bad-domain", "domain-of-two-vendors", "missing-gl-code"],
)
def test_a_bad_row_refuses_the_whole_file_naming_its_row(ledger: Ledger, rows: str, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected) as refused:
        _import(ledger, HEADER + rows)
    assert "nothing changed" in refused.value.message
    assert count(ledger, vendor) == 0, "all rows or none"


def test_a_header_without_a_column_is_refused_in_one_line(ledger: Ledger) -> None:
    with pytest.raises(ValidationError) as refused:
        _import(ledger, "vendor_name,sender_domains,gl_code\nACME Tools LLC,acme-tools.example,6100\n")
    message = refused.value.message
    assert "\n" not in message
    assert "missing aliases, expense_dept, allocation_schedule, product_category" in message
    assert count(ledger, vendor) == 0


def test_a_domain_already_owned_by_a_stored_vendor_is_refused(ledger: Ledger) -> None:
    _import(ledger, DEMO_VENDORS_CSV)
    with pytest.raises(ValidationError, match=r"acme-tools\.example is already ACME Tools LLC's"):
        _import(ledger, HEADER + "Imposter Ltd,acme-tools.example,,6100,OPS,1,Direct\n")
    assert count(ledger, vendor) == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_imports_back_unchanged(ledger: Ledger, fmt: str) -> None:
    _import(ledger, DEMO_VENDORS_CSV)
    before = api.list_vendors(ledger, actor=FINANCE)
    exported = api.export_vendors(ledger, fmt=fmt, actor=FINANCE)
    assert exported.file_name.endswith(f".{fmt}")
    result = api.import_vendors(ledger, exported.content, exported.file_name, actor=FINANCE)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    after = api.list_vendors(ledger, actor=FINANCE)
    assert [v.model_dump() for v in after] == [v.model_dump() for v in before]
