"""Idempotency keys on every state-changing engine call the console makes: the same request id again
returns the stored answer and changes nothing; the same id with other content is refused; two twins
racing on PostgreSQL act once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Conflict, Kind, ValidationError
from engine.demo.builder import DATA_DIR
from engine.store.schema import stock_snapshot, user_action_history
from tests.conftest import DELIVERY, STOCK_DATE, World, make_settings, seed_stores, seed_world, snapshot_csv

# Date-sensitive (dates come from the pinned today): also run on every weekday (tests/test_clock.py).
pytestmark = pytest.mark.clock


LPO_CSV = b"lpo_id,customer,po_quantity_m2,status\nLPO-IDEM-1,Idem Co,100,ACTIVE\n"
UNITS_CSV = b"canonical_code,uom,units_per_canonical_unit\nCON-SIL-280,ml,300\n"


def _audit_rows(world: World) -> int:
    with world.ledger.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(user_action_history)).scalar_one())


_first_review: dict[int, str] = {}


def _review_id(world: World) -> str:
    """The review this test resolves: the queue's first when the test began (one per store)."""
    if id(world) not in _first_review:
        queue = api.review_queue(world.ledger, actor=world.stores)
        assert queue and queue[0].exception_id
        _first_review[id(world)] = queue[0].exception_id
    return _first_review[id(world)]


# name → a call with a request id; n = 0 is the request, n = 1 other content under the same id.
Call = Callable[[World, str, int], Any]
CALLS: dict[str, Call] = {
    "import_stock": lambda w, key, n: api.import_stock(
        w.ledger, snapshot_csv(STOCK_DATE, {"40001021": str(10 + n)}), "s.csv", actor=w.stores, request_id=key
    ),
    "allocate": lambda w, key, n: api.allocate(
        w.ledger,
        run_date=DELIVERY,
        tag_id=None if n == 0 else "TAG-20990101-0001",
        actor=w.stores,
        request_id=key,
    ),
    "resolve_review": lambda w, key, n: api.resolve_review(
        w.ledger,
        _review_id(w) if n == 0 else "EX-2099-000001",
        canonical_code="TAPE-AL-75",
        sap_code=None,
        scope="global",
        scope_value=None,
        actor=w.stores,
        request_id=key,
    ),
    "import_materials": lambda w, key, n: api.import_materials(
        w.ledger,
        Kind.UNITS,
        UNITS_CSV if n == 0 else UNITS_CSV + b"X,ml,1\n",
        "u.csv",
        actor=w.stores,
        request_id=key,
    ),
    "save_materials": lambda w, key, n: api.save_materials(
        w.ledger,
        Kind.UNITS,
        [(2, {"canonical_code": "CON-SIL-280", "uom": "ml", "units_per_canonical_unit": str(280 + n)})],
        actor=w.stores,
        request_id=key,
    ),
    "import_lpos": lambda w, key, n: api.import_lpos(
        w.ledger, LPO_CSV if n == 0 else LPO_CSV.replace(b"100", b"200"), actor=w.admin, request_id=key
    ),
    "add_user": lambda w, key, n: api.add_user(
        w.ledger, email=f"idem{n}@test.local", roles=["sales"], password=None, actor=w.admin, request_id=key
    ),
    "set_user_roles": lambda w, key, n: api.set_user_roles(
        w.ledger, email=w.sales.email, roles=["sales", "stores"][: n + 1], actor=w.admin, request_id=key
    ),
    "set_user_active": lambda w, key, n: api.set_user_active(
        w.ledger, email=w.finance.email, active=n == 1, actor=w.admin, request_id=key
    ),
}


def _with_upload(world: World) -> World:
    seed_stores(world)
    assert world.ingest().tag_id
    return world


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_repeated_request_id_returns_the_first_answer_and_changes_nothing(
    duck_world: World, name: str
) -> None:
    world = _with_upload(duck_world)
    key = str(uuid.uuid4())
    first = CALLS[name](world, key, 0)
    audit_after_first = _audit_rows(world)
    again = CALLS[name](world, key, 0)
    assert again == first, "the stored answer, trace id included"
    assert _audit_rows(world) == audit_after_first, f"a replayed {name} wrote audit rows"
    with pytest.raises(Conflict, match="already used for a different request"):
        CALLS[name](world, key, 1)


def test_acting_on_an_exception_twice_with_one_key_acts_once(duck_world: World) -> None:
    duplicate = duck_world.ingest()
    again = duck_world.ingest()
    assert duplicate.status is api.IngestStatus.UPLOADED and again.exception_id
    key = str(uuid.uuid4())
    first = api.act_on_exception(
        duck_world.ledger,
        again.exception_id,
        api.ExceptionAction.ACKNOWLEDGE,
        actor=duck_world.sales,
        request_id=key,
    )
    replay = api.act_on_exception(
        duck_world.ledger,
        again.exception_id,
        api.ExceptionAction.ACKNOWLEDGE,
        actor=duck_world.sales,
        request_id=key,
    )
    assert replay == first and first.version == 2, "acknowledged once, not refused as already acknowledged"


def test_request_ids_are_checked(duck_world: World) -> None:
    with pytest.raises(ValidationError, match="request id"):
        api.import_lpos(duck_world.ledger, LPO_CSV, actor=duck_world.admin, request_id="short")


@pytest.fixture
def pg_world(tmp_path: Path, pg_url: str) -> Iterator[World]:
    ledger = api.open_ledger(make_settings(tmp_path, pg_url))
    yield seed_world(ledger)
    ledger.close()


@pytest.mark.postgres
def test_twins_racing_on_postgresql_act_once(pg_world: World) -> None:
    """DuckDB serialises writers in-process; on a server database twins really race."""
    world = pg_world
    api.import_materials(
        world.ledger,
        Kind.SKUS,
        (DATA_DIR / "sap_material.csv").read_bytes(),
        "sap_material.csv",
        actor=world.stores,
    )
    key, content = str(uuid.uuid4()), snapshot_csv(STOCK_DATE)
    barrier, results, errors = threading.Barrier(4), [], []

    def twin() -> None:
        barrier.wait()
        try:
            results.append(
                api.import_stock(world.ledger, content, "s.csv", actor=world.stores, request_id=key)
            )
        except Exception as error:  # collected: the assertion below names it
            errors.append(error)

    threads = [threading.Thread(target=twin) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({r.snapshot_id for r in results}) == 1 and len(results) == 4
    with world.ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(stock_snapshot)).scalar_one() == 1
