"""Set-based SQL lives in ``sql/`` as files, loaded by name (``load_sql("tags/committed_for_lpo")``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

from engine.errors import ConfigurationError

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@cache
def sql_text(name: str) -> str:
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR not in path.parents:
        raise ConfigurationError(f"SQL name {name!r} points outside sql/")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigurationError(f"sql/{name}.sql is missing from this installation") from exc


def load_sql(name: str) -> TextClause:
    return text(sql_text(name))
