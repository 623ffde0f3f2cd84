"""The layer rules of ARCHITECTURE.md, checked on the source: engine/ and jobs/ know no UI; pages hold no
SQL and no database driver; pages import nothing of the engine but ``engine.api`` (which re-exports the
types they need)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL_WORDS = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_and_jobs_never_import_the_ui() -> None:
    for folder in ("engine", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            bad = {n for n in imports(path) if n.split(".")[0] in {"streamlit", "console", "pages"}}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_pages_hold_no_sql_and_no_driver() -> None:
    pages = sorted((ROOT / "pages").glob("*.py"))
    assert len(pages) >= 7
    for path in pages:
        bad = {n for n in imports(path) if n.split(".")[0] in {"sqlalchemy", "duckdb", "psycopg", "pyodbc"}}
        assert not bad, f"{path.name} imports {bad}"
        strings = [
            node.value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        assert not [s for s in strings if SQL_WORDS.search(s)], f"{path.name} holds SQL"
        internal = {n for n in imports(path) if n.startswith(("engine.", "jobs")) and n != "engine.api"}
        assert not internal, f"{path.name} reaches into {internal}; import what it needs from engine.api"


def test_pages_are_short() -> None:
    for path in (ROOT / "pages").glob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 110, (
            f"{path.name} has {lines} lines: move a component to console/ or logic to the engine"
        )


def test_every_uploader_sets_its_own_limit() -> None:
    """The server takes uploads up to the carrier bill's 500 MB: every other uploader says its own."""
    for folder in ("pages", "console"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "file_uploader":
                    keywords = {k.arg for k in node.keywords}
                    assert "max_upload_size" in keywords, f"{path.name}:{node.lineno} sets no max_upload_size"
