"""The one database gateway: connections, transactions, write serialization and bounded retries.

DuckDB has no lock waiting: two transactions updating one row fail with "Conflict on update!".
Inside a process every write transaction therefore takes one lock per database file, so concurrent
console users queue instead of failing. A second *process* cannot open the file at all; that case
becomes a ``StoreUnavailable`` naming the process that holds it. On PostgreSQL (and SQL Server)
the server's row locks serialize writers; serialization failures and deadlocks are retried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine, make_url
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from engine.errors import Conflict, StoreUnavailable
from engine.logs import get_logger
from engine.store import dialect

T = TypeVar("T")
log = get_logger("store")

dialect.register()

_FILE_LOCKS: dict[str, threading.RLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()
# Conflicts are rare once writes are serialized; five attempts with jitter cover a burst of
# PostgreSQL deadlocks between concurrent uploads without hiding a real fault for long.
WRITE_ATTEMPTS = 5
_PG_RETRYABLE_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


class RetryableIntegrity(Exception):
    """Raised by ``write(..., retry_integrity=True)`` work to ask for one more attempt."""


def _holder_description(message: str) -> str:
    """Turn DuckDB's 'Conflicting lock is held in <exe> (PID n)' into what the process is."""
    marker = "(PID "
    if marker not in message:
        return "another process"
    pid = message.split(marker, 1)[1].split(")", 1)[0].strip()
    cmdline = ""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmdline = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        pass
    return f"process {pid}" + (f" ({cmdline[:160]})" if cmdline else "")


def _arrow_type(column_type: sa.types.TypeEngine[Any]) -> pa.DataType:
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return pa.decimal128(column_type.precision or 18, column_type.scale or 0)
    if isinstance(column_type, sa.BigInteger):
        return pa.int64()
    if isinstance(column_type, sa.Integer):
        return pa.int32()
    if isinstance(column_type, sa.Boolean):
        return pa.bool_()
    if isinstance(column_type, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if column_type.timezone else None)
    if isinstance(column_type, sa.Date):
        return pa.date32()
    return pa.string()


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, RetryableIntegrity):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
        if state in _PG_RETRYABLE_STATES:
            return True
        text = str(error.orig)
        return "Conflict on" in text or "write-write conflict" in text
    return False


class Database:
    """A handle on one store (URL). Thread-safe; share one per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.dialect_name = self.url.get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.is_duckdb:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            key = str(Path(database).resolve()) if database else ":memory:"
            with _FILE_LOCKS_GUARD:
                self._write_lock: Any = _FILE_LOCKS.setdefault(key, threading.RLock())
        else:
            options.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
            self._write_lock = nullcontext()
        self.engine: Engine = sa.create_engine(self.url, **options)

    @property
    def is_duckdb(self) -> bool:
        return self.dialect_name == "duckdb"

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except sa_exc.DBAPIError as error:
            raise self._unavailable(error) from error
        try:
            yield conn
        finally:
            conn.close()

    def _unavailable(self, error: sa_exc.DBAPIError) -> StoreUnavailable:
        message = str(error.orig)
        if "Conflicting lock" in message:
            holder = _holder_description(message)
            return StoreUnavailable(
                f"The database file {self.url.database} is in use by {holder}. DuckDB lets one "
                "process open it: stop that process (or run this command inside it), or set "
                "OPSLEDGER_DATABASE_URL to a PostgreSQL database to share the store.",
                database=self.url.database,
            )
        first_line = message.strip().splitlines()[0] if message.strip() else type(error.orig).__name__
        return StoreUnavailable(
            f"Cannot open the database {self.describe()}: {first_line}. Check OPSLEDGER_DATABASE_URL "
            "and that the server is running.",
        )

    def check(self) -> None:
        """Open a connection once: raises ``StoreUnavailable`` with a clear message."""
        with self._connection() as conn:
            conn.execute(sa.text("SELECT 1"))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries (autobegin; rolled back on exit, nothing to commit)."""
        with self._connection() as conn:
            yield conn

    def write(self, work: Callable[[Connection], T], *, retry_integrity: bool = False) -> T:
        """Run ``work`` in ONE transaction: all of its writes commit together or none do.

        Transient conflicts (and, with ``retry_integrity``, unique-key races such as two requests
        with the same idempotency key arriving together) re-run the whole unit of work, which
        re-reads what it decides on.
        """

        def attempt() -> T:
            with self._write_lock, self._connection() as conn, conn.begin():
                try:
                    return work(conn)
                except sa_exc.IntegrityError as error:
                    if retry_integrity:
                        raise RetryableIntegrity(str(error.orig)) from error
                    raise

        retrying = Retrying(
            stop=stop_after_attempt(WRITE_ATTEMPTS),
            wait=wait_random_exponential(multiplier=0.02, max=0.5),
            retry=retry_if_exception(_is_retryable),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except RetryableIntegrity as error:
            raise Conflict(
                "Another request changed the same records at the same moment; try again.",
            ) from error
        except sa_exc.DBAPIError as error:
            if _is_retryable(error):
                raise Conflict(
                    "The store stayed busy with conflicting changes; try again in a moment."
                ) from error
            raise

    def bulk_insert(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert many rows inside ``conn``'s transaction.

        On DuckDB an ``executemany`` of 500 rows of ``tag_line`` (24 columns) costs 160–190 ms and of
        20,000 narrow rows about a second; the same rows as one Arrow table in one ``INSERT … SELECT``
        take 12–15 ms (BENCHMARKS.md). Other databases
        get the driver's ``executemany`` (psycopg pipelines it). The Arrow schema comes from the Core
        table, so a value that does not fit its column (a fifth decimal place) is refused, not rounded.
        """
        if not rows:
            return
        if not self.is_duckdb:
            conn.execute(table.insert(), rows)
            return
        columns = list(rows[0])
        arrow = pa.Table.from_pylist(
            rows, schema=pa.schema([(name, _arrow_type(table.c[name].type)) for name in columns])
        )
        raw = conn.connection.dbapi_connection
        assert raw is not None
        # SQLAlchemy stops reading a result after .first()/.scalar(), and duckdb-engine cannot close a
        # cursor, so DuckDB 2.0 still holds that result; run it to its end (without reading the rows)
        # before this connection does other work. complete() keeps the transaction; abort() would not.
        raw.complete()
        view = f"_incoming_{table.name}"
        raw.register(view, arrow)
        try:
            names = ", ".join(columns)
            raw.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {view}")
        finally:
            raw.unregister(view)

    def dispose(self) -> None:
        self.engine.dispose()
