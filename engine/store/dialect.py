"""The DuckDB dialect we run on: duckdb-engine 0.17 with two facts of DuckDB 2.0 put right.

duckdb-engine sends ``Numeric`` binds as floats unless the dialect declares native decimals, so
``Decimal('99999999999999.9999')`` would come back as ``100000000000000``; money and quantities must
round-trip exactly (ARCHITECTURE rule 5). It also leaves SQLAlchemy's statement cache off; our
statements are plain Core and cache safely, which matters for the per-upload latency budget.
The alternative fork (duckdb-sqlalchemy) fixes the decimals but needs DuckDB < 2.
"""

from __future__ import annotations

from typing import Any

import duckdb_engine
from sqlalchemy.dialects import registry


class DuckDBDialect(duckdb_engine.Dialect):
    supports_native_decimal = True
    supports_statement_cache = True

    def initialize(self, connection: Any) -> None:
        super().initialize(connection)
        # The PostgreSQL base dialect resets this while initializing; ours is decided above.
        self.supports_native_decimal = True


def register() -> None:
    """Make ``duckdb:///`` URLs use this dialect (idempotent)."""
    registry.register("duckdb", "engine.store.dialect", "DuckDBDialect")
