"""Where mail comes from: one interface, with the folder of .eml files as the embedded default.
A source lists what waits, hands over each message's raw MIME with a stable key, and is told when
the message is done: only then does it mark it (move the file, mark read), so a crash in between
leaves the message to the next poll, where the processed-message ledger answers it without a second
invoice."""

from __future__ import annotations

import email
import email.policy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.vocab import MailSourceKind

MAX_FILES_PER_POLL = 500  # a poll takes what waits in batches; the next poll takes the rest


@dataclass(frozen=True)
class Incoming:
    """One message as a source delivers it."""

    source: MailSourceKind
    key: str  # stable per message: the ledger's claim
    raw: bytes
    handle: str  # what the source needs to mark it done (a file name, a Graph id, an IMAP UID)


class MailSource(Protocol):
    kind: MailSourceKind

    def waiting(self) -> Iterator[Incoming]: ...

    def done(self, incoming: Incoming) -> None: ...

    def failed(self, incoming: Incoming, reason: str) -> None: ...


def message_key(raw: bytes) -> str:
    """The Message-ID when the mail has one (the same mail met twice is one message), else the
    bytes' digest."""
    header = email.message_from_bytes(raw[:65536], policy=email.policy.compat32).get("Message-ID")
    value = str(header or "").strip()
    return value[:500] if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def _unique(folder: Path, name: str) -> Path:
    target = folder / name
    number = 1
    while target.exists():
        target = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
        number += 1
    return target


class FolderSource:
    """``<data dir>/inbox/mail/*.eml``; a processed file moves to ``done/``, one that is no mail at
    all to ``failed/`` beside it."""

    kind = MailSourceKind.FOLDER

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def waiting(self) -> Iterator[Incoming]:
        if not self.folder.is_dir():
            return
        files = sorted(
            (p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() == ".eml"),
            key=lambda p: (p.stat().st_mtime, p.name),
        )
        for path in files[:MAX_FILES_PER_POLL]:
            try:
                raw = path.read_bytes()
            except FileNotFoundError:  # another poll took it meanwhile
                continue
            yield Incoming(source=self.kind, key=message_key(raw), raw=raw, handle=path.name)

    def _move(self, incoming: Incoming, to: str) -> None:
        source = self.folder / incoming.handle
        if not source.exists():
            return  # moved by an overlapping poll: the ledger already answered for it
        target_dir = self.folder / to
        target_dir.mkdir(parents=True, exist_ok=True)
        source.replace(_unique(target_dir, incoming.handle))

    def done(self, incoming: Incoming) -> None:
        self._move(incoming, "done")

    def failed(self, incoming: Incoming, reason: str) -> None:
        self._move(incoming, "failed")


def file_incoming(path: Path) -> Incoming:
    """One .eml given by hand (``invoices process FILE.eml``): keyed like the folder's."""
    raw = path.read_bytes()
    return Incoming(source=MailSourceKind.FOLDER, key=message_key(raw), raw=raw, handle=path.name)
