"""The store: exact decimals, migrations, schema in step with the Core tables, serialized writes,
a clear message when another process holds the DuckDB file."""

from __future__ import annotations

import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import api
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import ConfigurationError, StoreUnavailable
from engine.handle import Ledger
from engine.store import migrate
from engine.store.gateway import Database
from engine.store.schema import id_sequence, lpo_master, metadata
from engine.store.sqlfiles import SQL_DIR


def test_decimal_round_trips_exactly(ledger: Ledger) -> None:
    biggest = Decimal("99999999999999.9999")  # NUMERIC(18, 4): 14 integer digits, 4 decimals
    tiny = Decimal("0.0001")

    def write(conn: sa.Connection) -> None:
        conn.execute(
            lpo_master.insert().values(
                lpo_id="BIG",
                customer="c",
                po_quantity_m2=biggest,
                delivered_quantity_m2=tiny,
                status="ACTIVE",
                lock_version=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )

    ledger.db.write(write)
    with ledger.db.read() as conn:
        row = conn.execute(
            sa.select(lpo_master.c.po_quantity_m2, lpo_master.c.delivered_quantity_m2).where(
                lpo_master.c.lpo_id == "BIG"
            )
        ).one()
        total = conn.execute(
            sa.select(sa.func.sum(lpo_master.c.po_quantity_m2 + lpo_master.c.delivered_quantity_m2)).where(
                lpo_master.c.lpo_id == "BIG"
            )
        ).scalar_one()
    assert row.po_quantity_m2 == biggest and isinstance(row.po_quantity_m2, Decimal)
    assert str(row.po_quantity_m2) == "99999999999999.9999"
    assert row.delivered_quantity_m2 == tiny
    assert total == Decimal("100000000000000.0000")


def test_migrations_are_versioned_and_idempotent(ledger: Ledger) -> None:
    latest = migrate.latest_version(ledger.db.dialect_name)
    assert latest >= 1
    assert migrate.current_version(ledger.db) == latest
    assert migrate.upgrade(ledger.db) == []  # a second start applies nothing
    assert api.schema_version(ledger) == (latest, latest)


def test_database_matches_the_core_tables(ledger: Ledger) -> None:
    """The migrations and ``engine.store.schema`` describe the same tables and columns."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        ).all()
    in_db: dict[str, set[str]] = {}
    for table, column in rows:
        in_db.setdefault(table, set()).add(column)
    for table in metadata.sorted_tables:
        assert table.name in in_db, f"{table.name} is in schema.py but no migration creates it"
        assert {c.name for c in table.columns} == in_db[table.name], table.name
    assert set(in_db) == {t.name for t in metadata.sorted_tables}


def test_edited_migration_is_refused(
    tmp_path: Path, duck_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in migrate.MIGRATIONS_DIR.glob("*.sql"):
        (folder / path.name).write_text(path.read_text() + "\n-- edited\n")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    with pytest.raises(ConfigurationError, match="changed after it was applied"):
        migrate.upgrade(duck_ledger.db)


def test_concurrent_writers_never_see_duckdb_conflicts(duck_ledger: Ledger) -> None:
    """32 threads x 10 increments of one row: DuckDB alone fails with 'Conflict on update!';
    the gateway serializes writes so every increment lands."""
    duck_ledger.db.write(
        lambda c: c.execute(id_sequence.insert().values(name="race", period="x", last_value=0))
    )
    errors: list[BaseException] = []

    def bump() -> None:
        for _ in range(10):
            try:
                duck_ledger.db.write(
                    lambda c: c.execute(
                        sa.update(id_sequence)
                        .where(id_sequence.c.name == "race")
                        .values(last_value=id_sequence.c.last_value + 1)
                    )
                )
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with duck_ledger.db.read() as conn:
        value = conn.execute(
            sa.select(id_sequence.c.last_value).where(id_sequence.c.name == "race")
        ).scalar_one()
    assert value == 320


def test_second_process_gets_a_clear_message(duck_ledger: Ledger, duck_settings: Settings) -> None:
    script = (
        "import sys\n"
        "from engine.store.gateway import Database\n"
        "from engine.errors import StoreUnavailable\n"
        f"db = Database({duck_settings.url!r})\n"
        "try:\n    db.check()\nexcept StoreUnavailable as e:\n    print(e.message); sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "is in use by process" in done.stdout
    assert "pytest" in done.stdout or "python" in done.stdout  # names the holder's command line
    assert "Traceback" not in done.stdout + done.stderr


def test_unreachable_server_is_a_clear_error() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable, match="Cannot open the database"):
        db.check()


def test_every_sql_file_is_used_and_every_used_name_exists() -> None:
    sources = "\n".join(p.read_text() for p in Path("engine").rglob("*.py"))
    import re

    # load_sql / sql_statements by SQLAlchemy; a bill stage's run / rows in DuckDB
    used = set(re.findall(r'(?:load_sql|sql_statements|\.run|\.rows)\(\s*"([a-z0-9_/]+)"', sources))
    files = {
        str(p.relative_to(SQL_DIR).with_suffix(""))
        for p in SQL_DIR.rglob("*.sql")
        if p.parent.name != "migrations"
    }
    assert used, "no named SQL in use?"
    assert used - files == set(), "names used in code without a file in sql/"
    assert files - used == set(), "files in sql/ that no code loads"
