"""Structured JSON logs that carry the current ``trace_id``.

A trace id is bound for the duration of one user action or job run (``traced``); every log record
emitted meanwhile, in any engine module, carries it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter

from engine.ids import new_trace_id

_trace: ContextVar[str | None] = ContextVar("opsledger_trace_id", default=None)
_LOGGER_NAME = "opsledger"


def current_trace_id() -> str | None:
    return _trace.get()


@contextmanager
def traced(trace_id: str | None = None) -> Iterator[str]:
    """Bind a trace id (a new one unless given) for the block; nested calls keep the outer one."""
    outer = _trace.get()
    if outer is not None and trace_id is None:
        yield outer
        return
    token = _trace.set(trace_id or new_trace_id())
    try:
        yield _trace.get() or ""
    finally:
        _trace.reset(token)


class _TraceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "trace_id", None):
            record.trace_id = _trace.get()
        return True


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"{_LOGGER_NAME}.{name}")


def _formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def configure_logging(*, level: str = "INFO", log_file: Path | None = None, stream: bool = True) -> None:
    """JSON lines to stderr (stdout belongs to CLI results) and, when given, to a file in the data dir."""
    root = logging.getLogger(_LOGGER_NAME)
    root.setLevel(level.upper())
    root.propagate = False
    for handler in list(root.handlers):
        if getattr(handler, "_opsledger", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if stream:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(_formatter())
        handler.addFilter(_TraceFilter())
        handler._opsledger = True  # type: ignore[attr-defined]
        root.addHandler(handler)


def add_trace_filter(handler: logging.Handler) -> None:
    """For handlers created elsewhere (tests capture records with one)."""
    handler.addFilter(_TraceFilter())
