"""What the figures were measured on: CPU, cores, memory, OS and the versions that matter."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("duckdb", "duckdb_engine", "SQLAlchemy", "streamlit", "python-calamine", "openpyxl", "pyarrow")
OPTIONAL_PACKAGES = ("fastexcel",)


def _first(path: str, key: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":") if ":" in line else line.partition("=")
        if name.strip() == key:
            return value.strip().strip('"')
    return None


def _memory() -> str:
    total = _first("/proc/meminfo", "MemTotal")
    if not total:
        return "unknown"
    kib = int(total.split()[0])
    return f"{kib / 1024 / 1024:.1f} GiB"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def describe() -> list[tuple[str, str]]:
    """(label, value) rows for the report's machine table."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    os_name = _first("/etc/os-release", "PRETTY_NAME") or platform.system()
    rows = [
        ("CPU", _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown"),
        ("Cores", f"{cores} logical ({usable} usable by this process)"),
        ("RAM", _memory()),
        ("OS", f"{os_name}, kernel {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]
    for name in PACKAGES:
        rows.append((name, _version(name) or "not installed"))
    for name in OPTIONAL_PACKAGES:
        rows.append((name, _version(name) or "not installed in this environment"))
    return rows


def source_state(repo: Path) -> str:
    """The commit measured, and whether the engine's working tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=False
        )
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    try:
        commit = git("rev-parse", "--short", "HEAD").strip()
        changed = git("status", "--porcelain", "--", "engine", "sql")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    if not commit:
        return "unknown (not a git checkout)"
    if not changed:
        return f"commit {commit}, engine/ and sql/ as committed"
    paths = [line[3:] for line in changed.splitlines() if line.strip()]
    shown = ", ".join(paths[:8]) + (f" and {len(paths) - 8} more" if len(paths) > 8 else "")
    return f"commit {commit} plus uncommitted changes in {len(paths)} engine/sql path(s): {shown}"
