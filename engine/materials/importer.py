"""Bulk import, editor saves and export of stores master data.

An import or an editor save is validated row by row first — a bad row is reported with its row
number and reason — then checked against the store, stored rows included (SKUs the rows point at,
one unit per canonical code, no overlapping override windows, one brand-map priority per LPO and
material, override scopes that exist in the LPO master); with any problem nothing changes.
Otherwise the rows are upserted in one transaction with an audit row per changed row, the mapping
counter is bumped, and the lines still waiting for a mapping are decided again.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import ValidationError
from engine.exports import unguard
from engine.ids import new_ulid
from engine.ledger.audit import audit_row
from engine.mapping.apply import remap_waiting
from engine.mapping.master import MasterData, bump_version
from engine.materials.kinds import SPECS, Kind, KindSpec, Row, column_label, required_columns
from engine.store.gateway import Database
from engine.store.schema import (
    canonical_material,
    lpo_master,
    lpo_material_brand_map,
    mapping_override,
    material_master,
    sap_material,
    user_action_history,
)
from engine.tags import xlsx_guard
from engine.vocab import OverrideScope

MAX_PROBLEMS_SHOWN = 25


class ImportResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    rows: int
    created: int
    updated: int
    unchanged: int
    lines_remapped: int
    exceptions_resolved: list[str]
    trace_id: str


def read_rows(content: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the user sees it, {column: value}) from a CSV (UTF-8) or an .xlsx file."""
    return read_table(content, file_name)[1]


def read_table(content: bytes, file_name: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The header of a CSV (UTF-8) or an .xlsx file, and its rows as ``read_rows`` gives them."""
    if file_name.lower().endswith(".xlsx"):
        facts = xlsx_guard.check(content)
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
            sheet = workbook.get_sheet_by_index(0).to_python()
        except (CalamineError, ValueError) as exc:
            raise ValidationError(f"{file_name} cannot be read as a workbook: {exc}", field="file") from exc
        first = facts.get(workbook.sheet_names[0]) if workbook.sheet_names else None
        if first is not None and first.no_value:  # a reader would see these cells as empty
            raise ValidationError(
                f"{file_name}: {'; '.join(first.no_value[:5])}. Open it in Excel, let it calculate, save it "
                "and import again.",
                field="file",
            )
        if not sheet:
            raise ValidationError(f"{file_name} is empty.", field="file")
        header = [str(c).strip() for c in sheet[0]]
        return [h for h in header if h], [
            (n, {h: _cell(v) for h, v in zip(header, row, strict=False) if h})
            for n, row in enumerate(sheet[1:], start=2)
            if any(str(v).strip() for v in row)
        ]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{file_name} is not UTF-8; save it as 'CSV UTF-8'.", field="file") from exc
    reader = csv.DictReader(io.StringIO(text))
    rows = [
        (n, {k.strip(): unguard(v) if isinstance(v, str) else v for k, v in row.items() if k})
        for n, row in enumerate(reader, start=2)
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]
    return [h.strip() for h in reader.fieldnames or () if h and h.strip()], rows


def check_columns(spec: KindSpec, header: list[str], file_name: str) -> None:
    """A file of other columns is refused in one line (expected against found), not once per row;
    a column the kind does not know is refused too, as its values would be dropped silently."""
    check_header(spec.title, spec.columns, required_columns(spec), header, file_name, strict=True)


def check_header(
    title: str,
    columns: Sequence[str],
    required: Sequence[str],
    header: list[str],
    file_name: str,
    *,
    strict: bool,
) -> None:
    """The one-line refusal of a file whose header lacks a ``required`` column (or, when ``strict``,
    has one that is not in ``columns``)."""
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in columns] if strict else []
    if not missing and not unknown:
        return
    wrong = "; ".join(
        part
        for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"not a column of it: {', '.join(unknown)}" if unknown else "",
        )
        if part
    )
    raise ValidationError(
        f"{file_name} does not have the columns of the {title.lower()} ({wrong}). Expected "
        f"{', '.join(columns)}; found {', '.join(header) or 'no header'}.",
        field="file",
    )


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return unguard(value) if isinstance(value, str) else value


def validate_rows(
    spec: KindSpec, rows: Iterable[tuple[int, dict[str, Any]]]
) -> tuple[list[tuple[int, Row]], list[str]]:
    records, problems = [], []
    seen: dict[tuple[Any, ...], int] = {}
    for number, raw in rows:
        data = {k: v for k, v in raw.items() if k in spec.model.model_fields and v not in (None, "")}
        try:
            record = spec.model.model_validate(data)
        except PydanticValidationError as exc:
            problems.append(f"row {number}: {row_problem(exc.errors()[0])}")
            continue
        key = tuple(getattr(record, k) for k in spec.key)
        if key in seen:
            what = "the same description" if spec.kind is Kind.MASTER else ", ".join(str(k) for k in key)
            problems.append(f"row {number}: duplicate of row {seen[key]} ({what})")
            continue
        seen[key] = number
        records.append((number, record))
    return records, problems


# Pydantic's reasons in the words of the table (the column's label, what is wrong with the value).
_REASONS = {
    "missing": "is empty",
    "string_too_short": "is empty",
    "string_too_long": "is longer than {max_length} characters",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "decimal_parsing": "must be a number",
    "decimal_max_places": "has more than {decimal_places} decimal places",
    "decimal_max_digits": "has more than {max_digits} digits",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "date_parsing": "must be a date like 2026-12-15",
    "date_from_datetime_parsing": "must be a date like 2026-12-15",
    "enum": "must be one of {expected}",
}


def row_problem(error: Any) -> str:
    """A pydantic error of one row in the words of the table: the column's label and what is wrong."""
    field = str(error["loc"][0]) if error["loc"] else ""
    label = column_label(field) if field else "The row"
    template = _REASONS.get(error["type"])
    if template is not None:
        return f"{label} {template.format(**(error.get('ctx') or {}))}"
    reason = str(error["msg"]).removeprefix("Value error, ")
    return f"{label}: {reason}" if field else reason[:1].upper() + reason[1:]


def check_against_store(conn: Connection, spec: KindSpec, records: list[tuple[int, Row]]) -> list[str]:
    checks = {
        Kind.MASTER: _check_master,
        Kind.OVERRIDES: _check_overrides,
        Kind.BRANDMAP: _check_brandmap,
        Kind.CANONICAL: _check_canonical,
    }
    check = checks.get(spec.kind)
    return check(conn, records) if check else []


def _skus(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(sa.select(sap_material.c.sap_code, sap_material.c.canonical_code)).all())


def _canonical_units(conn: Connection) -> dict[str, str]:
    units = dict(
        conn.execute(sa.select(canonical_material.c.canonical_code, canonical_material.c.canonical_uom)).all()
    )
    for code, uom in conn.execute(
        sa.select(material_master.c.canonical_code, material_master.c.uom).distinct()
    ):
        units.setdefault(code, uom)
    return units


def _sku_problem(number: int, sap_code: str | None, code: str, skus: dict[str, str]) -> str | None:
    if not sap_code:
        return None
    if sap_code not in skus:
        return f"row {number}: SKU {sap_code} is not in the SAP materials; import the SKUs first"
    if skus[sap_code] != code:
        return f"row {number}: SKU {sap_code} is {skus[sap_code]}, not {code}"
    return None


def _check_master(conn: Connection, records: list[tuple[int, Row]]) -> list[str]:
    skus, units = _skus(conn), _canonical_units(conn)
    problems: list[str] = []
    first_unit: dict[str, str] = {}
    for number, record in records:
        problem = _sku_problem(number, record.default_sap_code, record.canonical_code, skus)  # type: ignore[attr-defined]
        if problem:
            problems.append(problem)
        code, uom = record.canonical_code, record.uom  # type: ignore[attr-defined]
        expected = units.get(code) or first_unit.setdefault(code, uom)
        if uom != expected:
            problems.append(
                f"row {number}: {code} is counted in {expected}, not {uom} (one unit per canonical code)"
            )
    return problems


def _check_canonical(conn: Connection, records: list[tuple[int, Row]]) -> list[str]:
    in_master = dict(
        conn.execute(sa.select(material_master.c.canonical_code, material_master.c.uom).distinct()).all()
    )
    skus = _skus(conn)
    problems = []
    for number, record in records:
        r: Any = record
        if in_master.get(r.canonical_code, r.canonical_uom) != r.canonical_uom:
            problems.append(
                f"row {number}: the material master counts {r.canonical_code} in "
                f"{in_master[r.canonical_code]}"
            )
        if problem := _sku_problem(number, r.default_sap_code, r.canonical_code, skus):
            problems.append(problem)
    return problems


def _stored_priorities(conn: Connection, records: list[tuple[int, Row]]) -> dict[tuple[str, str, int], str]:
    """The priority slots active stored rows hold, except rows the import rewrites (same key)."""
    incoming = {(r.lpo_id, r.canonical_code, r.sap_code) for _, r in records}  # type: ignore[attr-defined]
    table = lpo_material_brand_map
    rows = conn.execute(
        sa.select(table.c.lpo_id, table.c.canonical_code, table.c.sap_code, table.c.priority).where(
            table.c.active.is_(True)
        )
    )
    return {
        (row.lpo_id, row.canonical_code, int(row.priority)): f"the stored row for SKU {row.sap_code}"
        for row in rows
        if (row.lpo_id, row.canonical_code, row.sap_code) not in incoming
    }


def _check_brandmap(conn: Connection, records: list[tuple[int, Row]]) -> list[str]:
    skus = _skus(conn)
    lpos = set(conn.execute(sa.select(lpo_master.c.lpo_id)).scalars())
    problems: list[str] = []
    priorities: dict[tuple[str, str, int], str] = _stored_priorities(conn, records)
    for number, record in records:
        r: Any = record
        if r.lpo_id not in lpos:
            problems.append(f"row {number}: LPO {r.lpo_id} is not in the LPO master")
        problem = _sku_problem(number, r.sap_code, r.canonical_code, skus)
        if problem:
            problems.append(
                problem.replace(
                    "is not in the SAP materials",
                    "is not in the SAP materials (a brand map must point at an existing SKU)",
                )
            )
        if r.active:
            slot = (r.lpo_id, r.canonical_code, r.priority)
            if slot in priorities:
                problems.append(
                    f"row {number}: priority {r.priority} of {r.lpo_id}/{r.canonical_code} is taken by "
                    f"{priorities[slot]}"
                )
            priorities[slot] = f"row {number}"
    return problems


def _scope_values(conn: Connection) -> dict[OverrideScope, set[str]]:
    """What each override scope can name: the LPO master's ids, projects, plants and customers."""
    columns = {
        OverrideScope.LPO: lpo_master.c.lpo_id,
        OverrideScope.PROJECT: lpo_master.c.project_id,
        OverrideScope.PLANT: lpo_master.c.plant_id,
        OverrideScope.CUSTOMER: lpo_master.c.customer,
    }
    rows = conn.execute(sa.select(*columns.values())).all()
    return {scope: {row[i] for row in rows if row[i]} for i, scope in enumerate(columns)}


def _scope_problem(number: int, record: Any, known: dict[OverrideScope, set[str]]) -> str | None:
    # Checked for active rows: an inactive override decides nothing, and an old one whose project
    # was renamed since must still import back from its own export.
    if not record.active or record.scope_value in known[record.scope_type]:
        return None
    column = {"LPO": "LPO id", "PROJECT": "project", "PLANT": "plant", "CUSTOMER": "customer"}
    return (
        f"row {number}: {record.scope_type} {record.scope_value!r} is no {column[record.scope_type]} of the "
        "LPO master (it would never apply; check the spelling)"
    )


def _check_overrides(conn: Connection, records: list[tuple[int, Row]]) -> list[str]:
    skus, units = _skus(conn), _canonical_units(conn)
    known_codes = set(units) | set(skus.values())
    scopes = _scope_values(conn)
    problems = []
    windows: dict[tuple[str, str, str], list[tuple[date | None, date | None, str]]] = defaultdict(list)
    incoming = {
        (r.scope_type, r.scope_value, r.nesting_description, r.effective_from)  # type: ignore[attr-defined]
        for _, r in records
    }
    for row in conn.execute(sa.select(mapping_override).where(mapping_override.c.active.is_(True))):
        if (row.scope_type, row.scope_value, row.nesting_description, row.effective_from) not in incoming:
            windows[(row.scope_type, row.scope_value, row.nesting_description)].append(
                (row.effective_from, row.effective_to, "an existing override")
            )
    for number, record in records:
        r: Any = record
        if r.canonical_code not in known_codes:
            problems.append(
                f"row {number}: canonical code {r.canonical_code} is not known (master, canonical list "
                "or SKUs)"
            )
        problem = _sku_problem(number, r.sap_code, r.canonical_code, skus)
        if problem:
            problems.append(problem)
        if scope_problem := _scope_problem(number, r, scopes):
            problems.append(scope_problem)
        if not r.active:
            continue
        key = (str(r.scope_type), r.scope_value, r.nesting_description)
        for start, end, where in windows[key]:
            if (start or date.min) <= (r.effective_to or date.max) and (r.effective_from or date.min) <= (
                end or date.max
            ):
                problems.append(
                    f"row {number}: its dates overlap {where} for {r.scope_type} {r.scope_value} "
                    f"{r.nesting_description!r}"
                )
                break
        windows[key].append((r.effective_from, r.effective_to, f"row {number}"))
    return problems


def _refuse(spec: KindSpec, problems: list[str]) -> ValidationError:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
    return ValidationError(
        f"{len(problems)} problem(s) in the {spec.title.lower()}, nothing changed: {shown}{more}.",
        field="file",
    )


def import_rows(
    db: Database,
    conn: Connection,
    kind: Kind,
    rows: list[tuple[int, dict[str, Any]]],
    *,
    actor: Actor,
    trace_id: str,
) -> ImportResult:
    spec = SPECS[kind]
    if not rows:
        raise ValidationError(f"No rows to import into the {spec.title.lower()}.", field="file")
    records, problems = validate_rows(spec, rows)
    problems += check_against_store(conn, spec, records)
    if problems:
        raise _refuse(spec, problems)
    created, updated, unchanged = _upsert(
        db, conn, spec, [r for _, r in records], actor=actor, trace_id=trace_id
    )
    if created or updated:
        bump_version(conn)
    summary = remap_waiting(db, conn, MasterData.load(conn), actor=actor, trace_id=trace_id)
    return ImportResult(
        kind=kind,
        rows=len(records),
        created=created,
        updated=updated,
        unchanged=unchanged,
        lines_remapped=summary.mapped + summary.not_tracked,
        exceptions_resolved=summary.exceptions_resolved,
        trace_id=trace_id,
    )


def _values(spec: KindSpec, record: Row) -> dict[str, Any]:
    data = record.model_dump()
    return {k: (str(v) if hasattr(v, "value") else v) for k, v in data.items() if k in spec.table.c}


def _upsert(
    db: Database, conn: Connection, spec: KindSpec, records: list[Row], *, actor: Actor, trace_id: str
) -> tuple[int, int, int]:
    table, now = spec.table, utcnow()
    key_cols = [table.c[k] for k in spec.key]
    existing = {
        tuple(row[: len(key_cols)]): row._mapping for row in conn.execute(sa.select(*key_cols, table))
    }
    inserts, audits, unchanged, updated = [], [], 0, 0
    stamp = {"updated_at": now} | ({"updated_by": actor.email} if "updated_by" in table.c else {})
    for record in records:
        values = _values(spec, record)
        key = tuple(values[k] for k in spec.key)
        entity = " / ".join(str(v) for v in key if v is not None)
        before = existing.get(key)
        if before is None:
            row = values | stamp
            if spec.kind is Kind.OVERRIDES:
                row |= {"override_id": new_ulid(), "created_by": actor.email, "created_at": now}
            inserts.append(row)
            audits.append(
                audit_row(
                    actor,
                    f"{spec.kind.upper()}_ADDED",
                    entity_type=str(spec.kind),
                    entity_id=entity,
                    trace_id=trace_id,
                    after=values,
                    at=now,
                )
            )
            continue
        changed = {k: v for k, v in values.items() if before[k] != v}
        if not changed:
            unchanged += 1
            continue
        conn.execute(
            sa.update(table)
            .where(*[c == v for c, v in zip(key_cols, key, strict=True)])
            .values(**changed, **stamp)
        )
        updated += 1
        audits.append(
            audit_row(
                actor,
                f"{spec.kind.upper()}_CHANGED",
                entity_type=str(spec.kind),
                entity_id=entity,
                trace_id=trace_id,
                before={k: before[k] for k in changed},
                after=changed,
                at=now,
            )
        )
    db.bulk_insert(conn, table, inserts)
    if spec.kind is Kind.MASTER:
        _add_canonical_units(conn, records, actor=actor)
    db.bulk_insert(conn, user_action_history, audits)
    return len(inserts), updated, unchanged


def _add_canonical_units(conn: Connection, records: list[Row], *, actor: Actor) -> None:
    """The master's unit per canonical code becomes the code's canonical unit when it has none yet."""
    known = set(conn.execute(sa.select(canonical_material.c.canonical_code)).scalars())
    fresh: dict[str, str] = {}
    for record in records:
        code, uom = record.canonical_code, record.uom  # type: ignore[attr-defined]
        if code not in known:
            fresh.setdefault(code, uom)
    if fresh:
        conn.execute(
            canonical_material.insert(),
            [
                {"canonical_code": c, "canonical_uom": u, "updated_by": actor.email, "updated_at": utcnow()}
                for c, u in fresh.items()
            ],
        )


def export_rows(conn: Connection, kind: Kind) -> list[dict[str, Any]]:
    spec = SPECS[kind]
    query = sa.select(*[spec.table.c[c] for c in spec.columns]).order_by(*[spec.table.c[k] for k in spec.key])
    return [dict(row._mapping) for row in conn.execute(query)]
