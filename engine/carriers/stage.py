"""The bill stage: a DuckDB connection a bill file is read and shaped in, set-based (issue 9 §1).

On the DuckDB store the stage is the store's own connection, inside the load's write transaction,
so the shaped rows go into the ledger's tables by ``INSERT … SELECT`` without leaving the database.
On PostgreSQL the stage is an in-memory DuckDB; what it computed reaches PostgreSQL by ``COPY`` into
temporary tables of the same names, and the same publishing SQL runs there.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.engine import Connection

from engine.store.gateway import Database
from engine.store.sqlfiles import sql_statements, sql_text

STAGE_VIEWS = ("carrier_stage_charges", "carrier_stage_levels", "carrier_stage_attributes")
STAGE_TABLES = (
    "carrier_stage_invoices",
    "carrier_stage_loaded",
    "carrier_stage_params",
    "carrier_stage_rows",
    "carrier_stage_pairs",
    "carrier_stage_raw",
)
# What PostgreSQL receives by COPY: stage output → (PostgreSQL table, columns). The charges go straight
# into their tables (appended); the attributes into a temporary table, to be merged.
OUTPUTS = {
    "carrier_stage_charges": (
        "shipment_charges",
        "charge_id, carrier, tracking_number, account, invoice_number, invoice_date, file_id, file_row, "
        "charge_type, amount, is_freight, rated_weight_lb, dim_divisor",
    ),
    "carrier_stage_levels": (
        "invoice_charges",
        "charge_id, carrier, account, invoice_number, file_id, file_row, reference, charge_type, amount",
    ),
    "carrier_stage_attributes": (
        "carrier_stage_attributes",
        "tracking_number, service, ship_date, actual_weight_lb, rated_weight_lb, length_in, width_in, "
        "height_in, dim_divisor, mps_role, lead_tracking_number, first_invoice_number",
    ),
}
COPY_BLOCK = 1 << 20
# A bill's load stays well inside the 1.5 GB of memory: DuckDB spills to disk beyond this (its
# in-memory stage for PostgreSQL, and the DuckDB store while the load runs).
MEMORY_LIMIT = "1GB"


class BillStage:
    def __init__(self, con: Any, *, shared: bool, spill_dir: Path) -> None:
        self.con, self.shared, self.spill_dir = con, shared, spill_dir
        self.bound: dict[str, Any] = {}  # parameters every statement that names them gets

    @classmethod
    @contextmanager
    def of_store(cls, conn: Connection, spill_dir: Path) -> Iterator[BillStage]:
        """The DuckDB store's own connection (``conn`` is in its write transaction)."""
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.complete()  # a result SQLAlchemy stopped reading must end before other work
        stage = cls(raw, shared=True, spill_dir=spill_dir)
        stage.run("carriers/stage_macros")
        yield stage
        # On an error the transaction's rollback takes the stage's tables with it.
        stage.drop()

    @classmethod
    @contextmanager
    def in_memory(cls, spill_dir: Path) -> Iterator[BillStage]:
        spill_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(spill_dir / "duckdb")}
        )
        try:
            stage = cls(con, shared=False, spill_dir=spill_dir)
            stage.run("carriers/stage_macros")
            yield stage
        finally:
            con.close()

    def run(self, name: str, params: dict[str, Any] | None = None, **parts: str) -> None:
        """Every statement of ``sql/<name>.sql``; ``parts`` fill its ``{placeholders}`` (never file text)."""
        for statement in sql_statements(name, **parts):
            self.con.execute(statement, self._used(statement, params))

    def rows(self, name: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        statement = sql_text(name)
        return list(self.con.execute(statement, self._used(statement, params)).fetchall())

    def _used(self, statement: str, params: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in {**self.bound, **(params or {})}.items() if f"${k}" in statement}

    def scalar(self, statement: str) -> Any:
        found = self.con.execute(statement).fetchone()
        return None if found is None else found[0]

    def load_names(self, table: str, column: str, values: list[str]) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({column} VARCHAR)")
        if values:
            self.con.executemany(f"INSERT INTO {table} VALUES (?)", [(v,) for v in values])

    def copy_to_postgres(self, conn: Connection) -> None:
        """The stage's outputs into PostgreSQL, by ``COPY`` in CSV (DuckDB writes it, psycopg streams it)."""
        pg: Any = conn.connection.dbapi_connection  # psycopg's connection, for its COPY protocol
        assert pg is not None
        with tempfile.TemporaryDirectory(dir=self.spill_dir) as tmp:
            for table, (target_table, columns) in OUTPUTS.items():
                path = Path(tmp) / f"{table}.csv"
                target = str(path).replace("'", "''")
                self.con.execute(
                    f"COPY (SELECT {columns} FROM {table}) TO '{target}' "
                    "(FORMAT csv, HEADER false, FORCE_QUOTE *)"
                )
                with (
                    path.open("rb") as source,
                    pg.cursor() as cursor,
                    cursor.copy(f"COPY {target_table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
                ):
                    while block := source.read(COPY_BLOCK):
                        copy.write(block)

    def drop(self) -> None:
        for view in STAGE_VIEWS:
            self.con.execute(f"DROP VIEW IF EXISTS temp.{view}")
        for table in STAGE_TABLES:
            self.con.execute(f"DROP TABLE IF EXISTS temp.{table}")


_CAPS: dict[str, int] = {}  # loads under way per DuckDB store: the limit comes back after the last
_CAPS_GUARD = threading.Lock()


@contextmanager
def memory_capped(db: Database) -> Iterator[None]:
    """The DuckDB store's memory limit lowered while bills load, then back to its default (the store
    sets none of its own) once the last of them is done. Set outside the load's transaction: a failed
    statement aborts a transaction, and the limit must come back even then."""

    def run(statement: str) -> None:
        with db.read() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute(statement)

    key = db.describe()
    with _CAPS_GUARD:
        if not _CAPS.get(key):
            run(f"SET memory_limit = '{MEMORY_LIMIT}'")
        _CAPS[key] = _CAPS.get(key, 0) + 1
    try:
        yield
    finally:
        with _CAPS_GUARD:
            _CAPS[key] -= 1
            if not _CAPS[key]:
                run("RESET memory_limit")
