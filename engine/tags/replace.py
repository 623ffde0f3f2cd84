"""Replacing a tag's sheet with a corrected one (DOMAIN "Tags", last paragraph).

An explicit act with a reason: the old version and its lines are kept (lines marked superseded),
the new lines become the tag's lines (mapped at once), and both versions stay in the audit. The old
lines' allocations are released in the same transaction.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.allocation.run import release_tag
from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import Conflict, NotFound, ValidationError
from engine.ledger.audit import record_action
from engine.ledger.files import FileStore, sha256_hex
from engine.lpos.master import lock_lpo
from engine.mapping.apply import map_tag_lines
from engine.mapping.master import cache_for
from engine.store.gateway import Database
from engine.store.schema import client_request_log, tag_line, tag_sheet, tag_sheet_version
from engine.tags.ingest import MEDIA_TYPES, insert_lines, inspect_upload
from engine.tags.models import ReplaceRequest
from engine.tags.parse import parse_cut_export
from engine.vocab import TagStatus

OPERATION = "tags.replace"


class ReplaceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    version: int
    previous_version: int
    line_count: int
    file_hash: str
    message: str
    trace_id: str
    client_request_id: str


def replace_tag_sheet(
    db: Database,
    files: FileStore,
    settings: Settings,
    request: ReplaceRequest,
    *,
    actor: Actor,
    trace_id: str,
) -> ReplaceResult:
    name, kind = inspect_upload(request.original_file_name, request.content, settings)
    file_hash = sha256_hex(request.content)
    fingerprint = hashlib.sha256(f"{request.tag_id}|{file_hash}|{request.reason}".encode()).hexdigest()
    parsed = parse_cut_export(request.content, kind=kind)
    if len(parsed.tag_refs) > 1 or not parsed.usable:
        problem = parsed.problem() if not parsed.usable else "the sheet names more than one tag"
        raise ValidationError(f"{name} cannot replace {request.tag_id}: {problem}", field="file")

    def work(conn: Connection) -> ReplaceResult:
        earlier = conn.execute(
            sa.select(client_request_log.c.fingerprint, client_request_log.c.response).where(
                client_request_log.c.client_request_id == request.client_request_id
            )
        ).first()
        if earlier is not None:
            if earlier.fingerprint != fingerprint:
                raise Conflict(f"Request id {request.client_request_id} was used for another request.")
            return ReplaceResult.model_validate_json(earlier.response)
        tag_id = request.tag_id.strip().upper()
        current = conn.execute(sa.select(tag_sheet).where(tag_sheet.c.tag_id == tag_id)).first()
        if current is None:
            raise NotFound(f"No tag {tag_id} to replace.", tag_id=tag_id)
        tag = current._mapping
        if tag["status"] != str(TagStatus.UPLOADED):
            raise Conflict(f"{tag_id} is {tag['status']}; only an UPLOADED tag's sheet can be replaced.")
        if tag["file_hash"] == file_hash:
            raise Conflict(f"{name} is the same file as version {tag['version']} of {tag_id}.", tag_id=tag_id)
        lock_lpo(conn, lpo_id=tag["lpo_id"], customer_lpo_ref=None)
        old_version, new_version = int(tag["version"]), int(tag["version"]) + 1
        release_tag(conn, tag_id)  # the old lines give their stock back
        stored = files.put(
            conn,
            request.content,
            display_name=name,
            media_type=MEDIA_TYPES[kind],
            actor=actor,
            trace_id=trace_id,
            sha256=file_hash,
        )
        now = utcnow()
        conn.execute(
            sa.update(tag_line)
            .where(tag_line.c.tag_id == tag_id, tag_line.c.superseded.is_(False))
            .values(superseded=True)
        )
        insert_lines(db, conn, tag_id, new_version, parsed.lines, trace_id=trace_id, at=now)
        master = cache_for(db, check_seconds=settings.mapping_cache_seconds).get()
        map_tag_lines(db, conn, master, tag_id, actor=actor, trace_id=trace_id)
        conn.execute(
            sa.update(tag_sheet)
            .where(tag_sheet.c.tag_id == tag_id)
            .values(
                file_id=stored.file_id,
                file_hash=file_hash,
                original_file_name=name,
                version=new_version,
                line_count=len(parsed.lines),
                updated_at=now,
            )
        )
        conn.execute(
            tag_sheet_version.insert().values(
                tag_id=tag_id,
                version=new_version,
                file_id=stored.file_id,
                file_hash=file_hash,
                original_file_name=name,
                line_count=len(parsed.lines),
                reason=request.reason,
                created_by=actor.email,
                created_at=now,
                trace_id=trace_id,
            )
        )
        result = ReplaceResult(
            tag_id=tag_id,
            version=new_version,
            previous_version=old_version,
            line_count=len(parsed.lines),
            file_hash=file_hash,
            trace_id=trace_id,
            client_request_id=request.client_request_id,
            message=f"{tag_id} now holds version {new_version} ({len(parsed.lines)} lines); "
            f"version {old_version} is kept.",
        )
        conn.execute(
            client_request_log.insert().values(
                client_request_id=request.client_request_id,
                operation=OPERATION,
                fingerprint=fingerprint,
                http_status=200,
                response=result.model_dump_json(),
                actor=actor.email,
                created_at=now,
                trace_id=trace_id,
            )
        )
        record_action(
            conn,
            actor,
            "TAG_REPLACED",
            entity_type="tag",
            entity_id=tag_id,
            trace_id=trace_id,
            client_request_id=request.client_request_id,
            before={
                "version": old_version,
                "file_hash": tag["file_hash"],
                "file": tag["original_file_name"],
                "lines": tag["line_count"],
            },
            after={
                "version": new_version,
                "file_hash": file_hash,
                "file": name,
                "lines": len(parsed.lines),
                "reason": request.reason,
            },
        )
        return result

    return db.write(work, retry_integrity=True)
