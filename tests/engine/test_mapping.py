"""Material mapping (seed 001, DOMAIN "Material mapping"): normalisation, override precedence with
effective dates, not-tracked rows, one review per description, idempotency per line, history with
trace ids and conversions, resolving a review, cache invalidation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import api
from engine.demo.builder import csv_bytes
from engine.errors import Conflict, ValidationError
from engine.mapping.requests import LookupRequest
from engine.materials.kinds import Kind
from engine.store.schema import exception_log, line_mapping, mapping_history
from engine.vocab import ExceptionKind, ExceptionStatus, MappingDecision, MappingStatus
from tests.conftest import DELIVERY, TODAY, World

PANEL = "phenolic panel 20mm 80/80 micron"


def lookup(world: World, description: str = PANEL, **fields: object) -> api.LookupResult:
    values: dict[str, object] = {
        "description": description,
        "qty": Decimal(10),
        "uom": "m2",
        "lpo_id": "LPO-2025-0412",
    } | fields
    request = LookupRequest(**values)  # type: ignore[arg-type]
    if request.line_id:
        return api.record_lookup(world.ledger, request, actor=world.stores)
    return api.lookup_material(world.ledger, request, actor=world.stores)


def overrides(world: World, *rows: dict[str, str]) -> api.ImportResult:
    columns = (
        "scope_type",
        "scope_value",
        "nesting_description",
        "canonical_code",
        "sap_code",
        "active",
        "effective_from",
        "effective_to",
    )
    return api.import_materials(
        world.ledger,
        Kind.OVERRIDES,
        csv_bytes(list(rows), columns=columns),
        "overrides.csv",
        actor=world.stores,
    )


def master(world: World, *rows: dict[str, str]) -> api.ImportResult:
    """Master rows through the import, as stores would add them."""
    columns = tuple(dict.fromkeys(key for row in rows for key in row))
    return api.import_materials(
        world.ledger, Kind.MASTER, csv_bytes(list(rows), columns=columns), "master.csv", actor=world.stores
    )


def test_normalised_exact_match(stores_world: World) -> None:
    result = lookup(stores_world, "  PHENOLIC   Panel 20MM 80/80 micron ")
    assert (result.decision, result.canonical_code, result.sap_code) == (
        MappingDecision.AUTO,
        "PNL-PHE-20-8080",
        "40001021",
    )
    assert result.status is MappingStatus.MAPPED and result.canonical_qty == 10
    assert lookup(stores_world, "phenolic panel 20 mm 80/80 micron").decision is MappingDecision.REVIEW, (
        "only white space is collapsed: '20 mm' is another description"
    )


@pytest.mark.parametrize(
    ("scope", "value"),
    [
        ("LPO", "LPO-2025-0412"),
        ("PROJECT", "Tower B, Business Bay, Dubai"),
        ("PLANT", "AE01"),
        ("CUSTOMER", "Demo MEP Contracting LLC (synthetic)"),
    ],
)
def test_every_scope_overrides_the_master(stores_world: World, scope: str, value: str) -> None:
    overrides(
        stores_world,
        {
            "scope_type": scope,
            "scope_value": value,
            "nesting_description": PANEL,
            "canonical_code": "PNL-PHE-20-8080",
            "sap_code": "40001023",
        },
    )
    result = lookup(stores_world)
    assert (result.decision, result.sap_code) == (MappingDecision.OVERRIDE, "40001023")
    other = lookup(stores_world, lpo_id="LPO-2025-0377")  # another LPO, project, customer (same plant)
    expected = MappingDecision.OVERRIDE if scope == "PLANT" else MappingDecision.AUTO
    assert other.decision is expected


def test_precedence_lpo_project_plant_customer(stores_world: World) -> None:
    rows = [
        {
            "scope_type": s,
            "scope_value": v,
            "nesting_description": PANEL,
            "canonical_code": "PNL-PHE-20-8080",
            "sap_code": sku,
        }
        for s, v, sku in (
            ("CUSTOMER", "Demo MEP Contracting LLC (synthetic)", "40001022"),
            ("PLANT", "AE01", "40001023"),
            ("PROJECT", "Tower B, Business Bay, Dubai", "40001021"),
            ("LPO", "LPO-2025-0412", "40001022"),
        )
    ]
    for keep in range(4, 0, -1):
        api.import_materials(
            stores_world.ledger,
            Kind.OVERRIDES,
            csv_bytes(
                [dict(r, active="true" if i < keep else "false") for i, r in enumerate(rows)],
                columns=(*rows[0], "active"),
            ),
            "o.csv",
            actor=stores_world.stores,
        )
        # rows are listed weakest first; the strongest active one wins
        assert lookup(stores_world).sap_code == rows[keep - 1]["sap_code"]


def test_effective_dates(stores_world: World) -> None:
    overrides(
        stores_world,
        {
            "scope_type": "LPO",
            "scope_value": "LPO-2025-0412",
            "nesting_description": PANEL,
            "canonical_code": "PNL-PHE-20-8080",
            "sap_code": "40001023",
            "effective_from": "2027-01-01",
            "effective_to": "2027-03-31",
        },
    )
    assert lookup(stores_world, on_date=date(2026, 12, 31)).decision is MappingDecision.AUTO
    assert lookup(stores_world, on_date=date(2027, 1, 1)).decision is MappingDecision.OVERRIDE
    assert lookup(stores_world, on_date=date(2027, 4, 1)).decision is MappingDecision.AUTO


@pytest.mark.clock
def test_a_lookup_without_a_date_is_for_today_in_the_business_time_zone(stores_world: World) -> None:
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    window = {"scope_type": "LPO", "nesting_description": PANEL, "canonical_code": "PNL-PHE-20-8080"}
    overrides(
        stores_world,
        window | {"scope_value": "LPO-2025-0412", "sap_code": "40001023", "effective_to": f"{yesterday}"},
        window | {"scope_value": "LPO-2025-0377", "sap_code": "40001022", "effective_from": f"{tomorrow}"},
        window | {"scope_value": "LPO-2025-0391", "sap_code": "40001022", "effective_from": f"{TODAY}"},
    )
    ended = lookup(stores_world)
    assert (ended.decision, ended.sap_code) == (MappingDecision.AUTO, "40001021"), (
        "an override whose window ended yesterday never applies: a dateless lookup is not 'any date'"
    )
    assert lookup(stores_world, on_date=yesterday).decision is MappingDecision.OVERRIDE
    assert lookup(stores_world, lpo_id="LPO-2025-0377").decision is MappingDecision.AUTO, "not yet"
    starts_today = lookup(stores_world, lpo_id="LPO-2025-0391", line_id="LINE-TODAY-0001")
    assert (starts_today.decision, starts_today.sap_code) == (MappingDecision.OVERRIDE, "40001022"), (
        "a recorded lookup without a date is for today too"
    )


def test_not_tracked_maps_but_is_never_allocated(stores_world: World) -> None:
    master(
        stores_world,
        {
            "nesting_description": "Cutting blade",
            "canonical_code": "CON-BLADE",
            "uom": "pcs",
            "not_tracked": "true",
        },
    )
    result = lookup(stores_world, "cutting blade", qty=Decimal(2), uom="pcs")
    assert (result.decision, result.status, result.not_tracked) == (
        MappingDecision.AUTO,
        MappingStatus.NOT_TRACKED,
        True,
    )


def test_one_review_per_description_and_idempotency_per_line(stores_world: World) -> None:
    first = lookup(stores_world, "Aluminum Tape", uom="m", line_id="LINE-0000000001")
    again = lookup(stores_world, "aluminum   TAPE", uom="m", line_id="LINE-0000000002")
    repeat = lookup(stores_world, "Aluminum Tape", uom="m", line_id="LINE-0000000001")
    assert first.decision is MappingDecision.REVIEW and first.exception_id
    assert again.exception_id == first.exception_id, "one review per normalised description"
    assert repeat == first, "the same line id returns the stored decision"
    with stores_world.ledger.db.read() as conn:
        history = conn.execute(sa.select(mapping_history.c.ingest_line_id)).scalars().all()
        reviews = (
            conn.execute(
                sa.select(exception_log.c.exception_id).where(exception_log.c.kind == "MAPPING_REVIEW")
            )
            .scalars()
            .all()
        )
    assert sorted(history) == ["LINE-0000000001", "LINE-0000000002"] and len(reviews) == 1
    assert lookup(stores_world, "Aluminum Tape", uom="m").exception_id is None, "a dry lookup writes nothing"


def test_ingestion_maps_every_line_with_history_and_conversions(stores_world: World) -> None:
    result = stores_world.ingest()
    with stores_world.ledger.db.read() as conn:
        rows = conn.execute(sa.select(mapping_history).where(mapping_history.c.tag_id == result.tag_id)).all()
        current = conn.execute(sa.select(line_mapping).where(line_mapping.c.tag_id == result.tag_id)).all()
    assert len(rows) == len(current) == 16
    assert {r.trace_id for r in rows} == {result.trace_id}
    by_description = {r.nesting_description: r for r in rows}
    panel = by_description[PANEL]
    assert (panel.qty, panel.uom, panel.canonical_qty, panel.canonical_uom) == (
        6,
        "sht",
        Decimal("28.8"),
        "m2",
    )
    assert panel.conversion_factor == Decimal("4.8") and "1200x4000 sheet" in panel.conversion
    silicone = by_description["silicone"]
    assert (silicone.qty, silicone.uom, silicone.canonical_qty, silicone.canonical_uom) == (
        1960,
        "ml",
        7,
        "pcs",
    )
    assert "÷ 280" in silicone.conversion
    waiting = sorted(r.nesting_description for r in rows if r.decision == "REVIEW")
    assert waiting == ["aluminum tape", "corner", "misc hardware"]
    queue = api.review_queue(stores_world.ledger, actor=stores_world.stores)
    assert sorted(item.description for item in queue) == waiting
    tape = next(item for item in queue if item.description == "aluminum tape")
    assert tape.suggestions and tape.suggestions[0].canonical_code.startswith("TAPE-AL")
    assert tape.context[0].lpo_id == "LPO-2025-0412"


def test_resolving_a_review_maps_every_waiting_line(stores_world: World) -> None:
    first = stores_world.ingest()
    second = stores_world.ingest(
        content=csv_bytes([{"nesting_description": "Aluminum tape", "qty": "12", "unit": "m"}]),
        name="tape.csv",
        area="1",
    )
    item = next(
        i
        for i in api.review_queue(stores_world.ledger, actor=stores_world.stores)
        if i.description == "aluminum tape"
    )
    assert item.lines == 2 and item.tags == 2
    done = api.resolve_review(
        stores_world.ledger,
        item.exception_id or "",
        canonical_code="TAPE-AL-75",
        sap_code=None,
        scope="global",
        scope_value=None,
        actor=stores_world.stores,
    )
    assert (done.lines_mapped, done.lines_still_waiting, done.exception_status) == (
        2,
        0,
        ExceptionStatus.RESOLVED,
    )
    with stores_world.ledger.db.read() as conn:
        mapped = conn.execute(
            sa.select(line_mapping.c.decision, line_mapping.c.canonical_qty).where(
                line_mapping.c.description_norm == "aluminum tape"
            )
        ).all()
        manual = (
            conn.execute(sa.select(mapping_history.c.user_id).where(mapping_history.c.decision == "MANUAL"))
            .scalars()
            .all()
        )
    assert sorted(mapped) == [("MANUAL", Decimal("12.0000")), ("MANUAL", Decimal("40.0000"))]
    assert manual == [stores_world.stores.email] * 2
    assert [i.description for i in api.review_queue(stores_world.ledger, actor=stores_world.stores)] == [
        "corner",
        "misc hardware",
    ]
    later = stores_world.ingest(
        content=csv_bytes([{"nesting_description": "ALUMINUM TAPE", "qty": "3", "unit": "m"}]),
        name="later.csv",
        area="1",
    )
    assert later.status == "UPLOADED"
    assert lookup(stores_world, "aluminum tape", uom="m").decision is MappingDecision.AUTO, (
        "later lines map by the rule"
    )
    with pytest.raises(Conflict, match="only an open mapping review"):
        api.resolve_review(
            stores_world.ledger,
            item.exception_id or "",
            canonical_code="TAPE-AL-75",
            sap_code=None,
            scope="global",
            scope_value=None,
            actor=stores_world.stores,
        )
    assert first.tag_id and second.tag_id


def test_scoped_resolution_leaves_other_lpos_waiting(stores_world: World) -> None:
    stores_world.ingest(
        content=csv_bytes([{"nesting_description": "corner", "qty": "8", "unit": "pcs"}]),
        name="a.csv",
        area="1",
    )
    stores_world.ingest(
        content=csv_bytes([{"nesting_description": "Corner", "qty": "4", "unit": "pcs"}]),
        name="b.csv",
        area="1",
        lpo="LPO-2025-0377",
    )
    item = next(
        i
        for i in api.review_queue(stores_world.ledger, actor=stores_world.stores)
        if i.description == "corner"
    )
    with pytest.raises(ValidationError, match="2 LPO values"):
        api.resolve_review(
            stores_world.ledger,
            item.exception_id or "",
            canonical_code="ACC-CORNER-PVC",
            sap_code=None,
            scope="LPO",
            scope_value=None,
            actor=stores_world.stores,
        )
    done = api.resolve_review(
        stores_world.ledger,
        item.exception_id or "",
        canonical_code="ACC-CORNER-PVC",
        sap_code="40004021",
        scope="LPO",
        scope_value="LPO-2025-0412",
        actor=stores_world.stores,
    )
    assert (done.lines_mapped, done.lines_still_waiting, done.exception_status) == (
        1,
        1,
        ExceptionStatus.OPEN,
    )


def test_master_changes_remap_waiting_lines_and_settle_reviews(stores_world: World) -> None:
    stores_world.ingest()
    result = master(
        stores_world,
        {
            "nesting_description": "corner",
            "canonical_code": "ACC-CORNER-4B",
            "default_sap_code": "40004020",
            "uom": "pcs",
        },
    )
    assert result.created == 1 and result.lines_remapped == 1 and len(result.exceptions_resolved) == 1
    reviews = api.list_exceptions(
        stores_world.ledger, actor=stores_world.stores, kind=ExceptionKind.MAPPING_REVIEW
    ).items
    assert sorted((e.payload["description"], e.status) for e in reviews) == [
        ("aluminum tape", "OPEN"),
        ("corner", "RESOLVED"),
        ("misc hardware", "OPEN"),
    ]


def test_unknown_unit_waits_for_a_rule(stores_world: World) -> None:
    result = lookup(stores_world, "silicone", qty=Decimal(2), uom="l")
    assert result.status is MappingStatus.NO_CONVERSION and "No rule converts l to pcs" in (
        result.conversion or ""
    )
    with pytest.raises(ValidationError, match="Unit 'buckets' is not known"):
        lookup(stores_world, "silicone", uom="buckets")


def test_cache_sees_another_processs_change_within_its_bound(stores_world: World) -> None:
    """Two handles on one store stand for two processes: the other one sees a master change after
    at most ``mapping_cache_seconds``; this one at once."""
    settings = stores_world.ledger.settings.model_copy(update={"mapping_cache_seconds": 0.3})
    other = api.open_ledger(settings) if stores_world.ledger.db.dialect_name != "duckdb" else None
    if other is None:
        pytest.skip("DuckDB allows one process per file; the cross-process bound applies to server databases")
    try:
        assert (
            api.lookup_material(
                other,
                LookupRequest(description="corner", qty=Decimal(1), uom="pcs"),
                actor=stores_world.stores,
            ).decision
            is MappingDecision.REVIEW
        )
        master(
            stores_world, {"nesting_description": "corner", "canonical_code": "ACC-CORNER-4B", "uom": "pcs"}
        )
        assert lookup(stores_world, "corner", uom="pcs").decision is MappingDecision.AUTO, (
            "this process: at once"
        )
        import time

        time.sleep(0.4)
        assert (
            api.lookup_material(
                other,
                LookupRequest(description="corner", qty=Decimal(1), uom="pcs"),
                actor=stores_world.stores,
            ).decision
            is MappingDecision.AUTO
        )
    finally:
        other.close()


@pytest.mark.clock
def test_delivery_date_scopes_overrides_at_ingestion(stores_world: World) -> None:
    overrides(
        stores_world,
        {
            "scope_type": "LPO",
            "scope_value": "LPO-2025-0412",
            "nesting_description": PANEL,
            "canonical_code": "PNL-PHE-20-8080",
            "sap_code": "40001023",
            "effective_from": (DELIVERY + timedelta(days=1)).isoformat(),
        },
    )
    early = stores_world.ingest()
    late = stores_world.ingest(
        content=csv_bytes([{"nesting_description": PANEL, "qty": "2", "unit": "m2"}]),
        name="late.csv",
        area="1",
        delivery=DELIVERY + timedelta(days=2),
    )
    with stores_world.ledger.db.read() as conn:
        decisions = dict(
            conn.execute(
                sa.select(line_mapping.c.tag_id, line_mapping.c.decision).where(
                    line_mapping.c.description_norm == PANEL
                )
            ).all()
        )
    assert decisions == {early.tag_id: "AUTO", late.tag_id: "OVERRIDE"}
