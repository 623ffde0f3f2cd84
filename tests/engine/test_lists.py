"""Lists never drop rows silently: the engine pages them and says how many match in all (the exception
list used to stop at 1,000 rows, closed ones included; the audit search showed the oldest 500; the
job list kept the last 50 runs, so a daily job's last run vanished behind the five-minute ones)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import CLI_OPERATOR, ExceptionAction, ExceptionKind, ExceptionStatus, ValidationError
from engine.clock import utcnow
from engine.demo.builder import csv_bytes, cut_export_lines
from engine.ledger.audit import audit_row
from engine.ledger.exceptions import NewException, raise_exceptions
from engine.store.schema import job_run, user_action_history
from tests.conftest import World


def _raise(world: World, count: int) -> list[str]:
    news = [
        NewException(kind=ExceptionKind.PARSE_ERROR, message=f"sheet {n} unreadable") for n in range(count)
    ]
    return world.ledger.db.write(
        lambda conn: raise_exceptions(
            conn, news, actor=world.sales, trace_id="trace-lists", db=world.ledger.db
        )
    )


def _all_pages(fetch, limit: int) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    seen, offset, total = [], 0, -1
    while True:
        page = fetch(offset=offset, limit=limit)
        total = page.total
        seen += [
            getattr(item, "exception_id", None) or getattr(item, "action_id", None) or item.tag_id
            for item in page.items
        ]
        if not page.has_more:
            return seen, total
        assert len(page.items) == limit
        offset += limit


def test_exceptions_page_through_every_row_with_open_and_closed_apart(duck_world: World) -> None:
    ids = _raise(duck_world, 27)
    for exception_id in ids[:10]:
        api.act_on_exception(
            duck_world.ledger,
            exception_id,
            ExceptionAction.DISMISS,
            actor=duck_world.sales,
            notes="re-exported",
        )

    def fetch(**kwargs: object) -> api.Page[api.ExceptionView]:
        return api.list_exceptions(duck_world.ledger, actor=duck_world.sales, **kwargs)  # type: ignore[arg-type]

    every, total = _all_pages(fetch, limit=8)
    assert total == 27 and sorted(every) == sorted(ids), "every row once, across pages, closed ones too"
    first = fetch(limit=8)
    assert (first.first, first.last, first.has_more) == (1, 8, True)
    opened = api.list_exceptions(duck_world.ledger, actor=duck_world.sales, open_only=True, limit=100)
    assert opened.total == 17 and {e.status for e in opened.items} == {ExceptionStatus.OPEN}
    dismissed = api.list_exceptions(
        duck_world.ledger, actor=duck_world.sales, status=ExceptionStatus.DISMISSED, limit=100
    )
    assert dismissed.total == 10
    with pytest.raises(ValidationError, match="1 to 1000"):
        fetch(limit=5000)


def test_the_audit_search_pages_newest_first(duck_world: World) -> None:
    start = utcnow() - timedelta(hours=1)
    rows = [
        audit_row(
            duck_world.admin,
            "NOTE",
            entity_type="tag",
            entity_id="TAG-X",
            trace_id="t",
            at=start + timedelta(seconds=n),
        )
        for n in range(23)
    ]
    duck_world.ledger.db.write(lambda conn: conn.execute(user_action_history.insert(), rows))

    def fetch(**kwargs: object) -> api.Page[api.AuditEntry]:
        return api.search_audit(duck_world.ledger, actor=CLI_OPERATOR, entity_id="TAG-X", **kwargs)  # type: ignore[arg-type]

    every, total = _all_pages(fetch, limit=5)
    assert total == 23 and every == [row["action_id"] for row in reversed(rows)], "newest first, none lost"


def test_tags_page_through_every_tag(duck_world: World) -> None:
    uploaded = [
        duck_world.ingest(
            content=csv_bytes(cut_export_lines(3, seed=n)), name=f"sheet{n}.csv", area="1"
        ).tag_id
        for n in range(7)
    ]

    def fetch(**kwargs: object) -> api.Page[api.TagSummary]:
        return api.list_tags(duck_world.ledger, actor=duck_world.sales, **kwargs)  # type: ignore[arg-type]

    every, total = _all_pages(fetch, limit=3)
    assert total == 7 and every == list(reversed(uploaded)), "newest upload first"


def test_the_last_run_of_each_job_survives_many_runs_of_another(duck_ledger: api.Ledger) -> None:
    start = utcnow() - timedelta(days=1)
    rows = [
        {
            "run_id": f"RUN-{n:04d}",
            "job_name": "allocation_t1" if n == 0 else "sla_escalation",
            "triggered_by": "scheduled",
            "status": "succeeded",
            "created_at": start + timedelta(minutes=5 * n),
            "host": "test",
            "trace_id": f"trace-{n}",
        }
        for n in range(80)
    ]
    duck_ledger.db.write(lambda conn: conn.execute(job_run.insert(), rows))
    last = api.last_job_runs(duck_ledger, actor=CLI_OPERATOR)
    assert last["allocation_t1"].run_id == "RUN-0000" and last["sla_escalation"].run_id == "RUN-0079"
    runs = api.list_job_runs(duck_ledger, actor=CLI_OPERATOR, limit=50)
    assert runs.total == 80 and len(runs.items) == 50 and runs.items[0].run_id == "RUN-0079"
    with duck_ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(job_run)).scalar_one() == 80
