"""The engine handle shared by every session of this process (and by the console's routes)."""

from __future__ import annotations

import threading

from engine.api import Ledger, open_ledger
from engine.config import load_settings

_ledgers: dict[tuple[str, str], Ledger] = {}
_guard = threading.Lock()


def get_ledger() -> Ledger:
    """One handle per configured store; opened (and migrated) on first use."""
    settings = load_settings()
    key = (settings.url, str(settings.data_dir.resolve()))
    with _guard:
        ledger = _ledgers.get(key)
        if ledger is None:
            ledger = open_ledger(settings, log_to_stream=True)
            _ledgers[key] = ledger
        return ledger


def close_all() -> None:
    with _guard:
        for ledger in _ledgers.values():
            ledger.close()
        _ledgers.clear()
