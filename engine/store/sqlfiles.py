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


def sql_statements(name: str, **parts: str) -> list[str]:
    """The statements of a multi-statement file, split on ``;`` at line ends (such files keep
    semicolons out of their literals); ``parts`` fill its ``{placeholders}``."""
    script = sql_text(name)
    if parts:
        script = script.format(**parts)
    chunks = [chunk.strip().rstrip(";") for chunk in script.split(";\n")]
    return [chunk for chunk in chunks if any(_code(line) for line in chunk.splitlines())]


def _code(line: str) -> bool:
    return bool(line.strip()) and not line.strip().startswith("--")
