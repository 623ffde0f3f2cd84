"""The store: one gateway (``Database``), the Core tables, migrations and named SQL files."""

from engine.store.gateway import Database
from engine.store.sqlfiles import load_sql

__all__ = ["Database", "load_sql"]
