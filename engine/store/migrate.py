"""Versioned migrations from ``sql/migrations/NNNN_name.sql``, applied in order at start-up.

A file ``NNNN_name.<dialect>.sql`` (e.g. ``.mssql.sql``) replaces ``NNNN_name.sql`` on that dialect.
Each migration runs in its own transaction together with its ``schema_migration`` row; an applied
file that was edited afterwards is refused (its checksum no longer matches).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.clock import utcnow
from engine.errors import ConfigurationError, StoreUnavailable
from engine.logs import get_logger
from engine.store.gateway import Database
from engine.store.schema import schema_migration
from engine.store.sqlfiles import SQL_DIR

MIGRATIONS_DIR = SQL_DIR / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.([a-z]+))?\.sql$")
log = get_logger("migrate")

_CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migration (
    version INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    checksum VARCHAR(64) NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self) -> list[str]:
        lines = [line for line in self.sql.splitlines() if not line.strip().startswith("--")]
        return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def discover(dialect: str) -> list[Migration]:
    chosen: dict[int, Migration] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ConfigurationError(f"sql/migrations/{path.name} is not named NNNN_name[.dialect].sql")
        version, name, variant = int(match[1]), match[2], match[3]
        if variant not in (None, dialect):
            continue
        if version in chosen and variant is None:
            continue  # the dialect's own file wins over the common one
        chosen[version] = Migration(version, name, path)
    return [chosen[v] for v in sorted(chosen)]


def latest_version(dialect: str) -> int:
    migrations = discover(dialect)
    return migrations[-1].version if migrations else 0


def _lock(conn: Connection, dialect: str) -> None:
    """Keep two processes from migrating a server database at the same moment."""
    if dialect == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7419001)"))


def applied_versions(db: Database) -> dict[int, str]:
    with db.read() as conn:
        exists = conn.execute(
            sa.text("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migration'")
        ).scalar_one()
        if not exists:
            return {}
        rows = conn.execute(sa.select(schema_migration.c.version, schema_migration.c.checksum)).all()
    return {int(v): str(c) for v, c in rows}


def current_version(db: Database) -> int:
    versions = applied_versions(db)
    return max(versions) if versions else 0


def upgrade(db: Database) -> list[int]:
    """Apply pending migrations; returns the versions applied now (empty when up to date)."""
    migrations = discover(db.dialect_name)
    done = applied_versions(db)
    for migration in migrations:
        if migration.version in done and done[migration.version] != migration.checksum:
            raise ConfigurationError(
                f"Migration {migration.path.name} changed after it was applied to this database. "
                "Restore the file and add a new migration for the change."
            )
    pending = [m for m in migrations if m.version not in done]
    applied: list[int] = []
    for migration in pending:
        if _apply(db, migration):
            applied.append(migration.version)
    if done and max(done) > (migrations[-1].version if migrations else 0):
        raise StoreUnavailable(
            f"This database is at schema version {max(done)}, newer than this installation knows "
            f"({migrations[-1].version if migrations else 0}). Upgrade OpsLedger before using it."
        )
    return applied


def _apply(db: Database, migration: Migration) -> bool:
    def work(conn: Connection) -> bool:
        _lock(conn, db.dialect_name)
        conn.execute(sa.text(_CREATE_VERSION_TABLE))
        already = conn.execute(
            sa.select(schema_migration.c.version).where(schema_migration.c.version == migration.version)
        ).first()
        if already:  # another process applied it while we waited for the lock
            return False
        for statement in migration.statements():
            conn.exec_driver_sql(statement)
        conn.execute(
            schema_migration.insert().values(
                version=migration.version,
                name=migration.name,
                checksum=migration.checksum,
                applied_at=utcnow(),
            )
        )
        return True

    applied = db.write(work)
    if applied:
        log.info("applied migration", extra={"version": migration.version, "migration": migration.name})
    return applied
