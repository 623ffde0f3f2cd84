"""The engine handle: settings, the store and the file store of one deployment.

Open one per process (the console caches it); every public function in ``engine.api`` takes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import Settings, load_settings
from engine.ledger.files import FileStore
from engine.logs import configure_logging
from engine.store import migrate
from engine.store.gateway import Database


@dataclass
class Ledger:
    settings: Settings
    db: Database
    files: FileStore

    def close(self) -> None:
        self.db.dispose()


def open_ledger(
    settings: Settings | None = None, *, upgrade: bool = True, log_to_stream: bool = False
) -> Ledger:
    """Open the store named by the settings; apply pending migrations unless told not to."""
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(
        level=settings.log_level,
        log_file=settings.data_dir / "logs" / "opsledger.jsonl",
        stream=log_to_stream,
    )
    db = Database(settings.url)
    db.check()
    if upgrade:
        migrate.upgrade(db)
    return Ledger(settings=settings, db=db, files=FileStore(settings.data_dir / "files"))
