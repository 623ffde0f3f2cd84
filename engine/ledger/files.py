"""Content-addressed file store: blobs live under ``<data dir>/files/ab/<sha256>``, never under a
name a user supplied; ``file_store`` rows keep the metadata (first name seen, size, type)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import NotFound, ValidationError
from engine.ids import new_ulid
from engine.store.schema import file_store

MAX_NAME_LENGTH = 255


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_display_name(name: str) -> str:
    """A file name is only ever shown, never used as a path; still, refuse names that try to be one."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValidationError("The file has no name.", field="file")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned):
        raise ValidationError("The file name contains control characters; rename the file.", field="file")
    if "/" in cleaned or "\\" in cleaned or cleaned in (".", ".."):
        raise ValidationError(
            f"The file name {cleaned!r} contains a path; upload the file under its plain name.", field="file"
        )
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(f"The file name is longer than {MAX_NAME_LENGTH} characters.", field="file")
    return cleaned


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    sha256: str
    size_bytes: int
    media_type: str
    first_name: str
    created: bool


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _write_blob(self, sha256: str, content: bytes) -> None:
        target = self._path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(
        self,
        conn: Connection,
        content: bytes,
        *,
        display_name: str,
        media_type: str,
        actor: Actor,
        trace_id: str,
        sha256: str | None = None,
    ) -> StoredFile:
        """Store the bytes once (inside the caller's transaction for the row).

        The blob is written before the row commits; if the transaction rolls back the blob stays as
        an unreferenced, content-named file that the next upload of the same bytes reuses.
        """
        digest = sha256 or sha256_hex(content)
        existing = conn.execute(sa.select(file_store).where(file_store.c.sha256 == digest)).first()
        if existing is not None:
            m = existing._mapping
            if not self._path(digest).exists():  # restore a blob lost from disk
                self._write_blob(digest, content)
            return StoredFile(m["file_id"], digest, m["size_bytes"], m["media_type"], m["first_name"], False)
        self._write_blob(digest, content)
        file_id = new_ulid()
        conn.execute(
            file_store.insert().values(
                file_id=file_id,
                sha256=digest,
                size_bytes=len(content),
                media_type=media_type,
                storage_key=f"{digest[:2]}/{digest}",
                first_name=display_name[:MAX_NAME_LENGTH],
                stored_by=actor.email,
                stored_at=utcnow(),
                trace_id=trace_id,
            )
        )
        return StoredFile(file_id, digest, len(content), media_type, display_name, True)

    def read(self, conn: Connection, file_id: str) -> tuple[StoredFile, bytes]:
        row = conn.execute(sa.select(file_store).where(file_store.c.file_id == file_id)).first()
        if row is None:
            raise NotFound(f"No stored file {file_id}.", file_id=file_id)
        m = row._mapping
        path = self._path(m["sha256"])
        try:
            content = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(
                f"The bytes of file {file_id} are missing from {self.root}; restore the data directory.",
                file_id=file_id,
            ) from exc
        stored = StoredFile(
            m["file_id"], m["sha256"], m["size_bytes"], m["media_type"], m["first_name"], False
        )
        return stored, content
