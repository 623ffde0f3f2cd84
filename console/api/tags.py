"""Seed 000 §4 ``POST /tags/ingest`` and the tag read route: thin adapters over ``api.ingest_tag``
and ``api.show_tag``, the same calls the upload page makes."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from console.api import fetch
from console.api.auth import Caller
from console.api.problems import COMMON, TRACE_HEADER, trace_of
from console.api.wire import TagIngestAnswer, TagIngestBody, TagIngestForm, Traced
from console.handle import get_ledger
from engine import api
from engine.errors import ValidationError
from engine.logs import get_logger, traced

log = get_logger("console.api.tags")
router = APIRouter(tags=["tags"])
_JSON, _FORM = "application/json", "multipart/form-data"


def _ref(model: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


INGEST_BODY = {
    "required": True,
    "content": {_JSON: {"schema": _ref(TagIngestBody)}, _FORM: {"schema": _ref(TagIngestForm)}},
}
EXTRA_SCHEMAS: list[type[BaseModel]] = [TagIngestBody, TagIngestForm]


def _bad(error: PydanticValidationError) -> ValidationError:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    return ValidationError(f"{field}: {first['msg']}", field=field)


async def _read_request(request: Request) -> tuple[dict[str, Any], bytes | None]:
    """The request's fields and, for a multipart upload, the file's bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == _FORM:
        form = await request.form()
        fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationError("Send the cut export as the multipart part named 'file'.", field="file")
        fields.setdefault("original_file_name", upload.filename or "")
        try:
            TagIngestForm.model_validate({**fields, "file": b""})
        except PydanticValidationError as exc:
            raise _bad(exc) from exc
        return fields, await upload.read()
    if kind != _JSON:
        raise ValidationError(f"Send {_JSON} or {_FORM}, not {kind or 'no content type'}.", field="body")
    try:
        payload = await request.json()
    except ValueError as exc:
        raise ValidationError("The body is not valid JSON.", field="body") from exc
    try:
        body = TagIngestBody.model_validate(payload)
    except PydanticValidationError as exc:
        raise _bad(exc) from exc
    fields = body.model_dump(exclude={"metadata"}, exclude_none=True)
    fields.update(body.metadata.model_dump(exclude_none=True) if body.metadata else {})
    return fields, None


def _content(fields: dict[str, Any], uploaded: bytes | None, ledger: api.Ledger) -> bytes:
    given = [n for n in ("file_url", "file_content_base64") if fields.get(n)] + (["file"] if uploaded else [])
    if len(given) != 1:
        raise ValidationError(
            "Give the cut export exactly once: file_content_base64, file_url or a multipart 'file' part"
            + (f" (got {', '.join(given)})." if given else "."),
            field="file",
        )
    if uploaded is not None:
        return uploaded
    if fields.get("file_content_base64"):
        try:
            return base64.b64decode(fields["file_content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                "file_content_base64 is not valid base64.", field="file_content_base64"
            ) from exc
    settings = ledger.settings
    return fetch.fetch(
        fields["file_url"],
        allowlist=settings.file_url_allowlist,
        max_bytes=settings.max_upload_bytes,
        timeout=settings.file_url_timeout_seconds,
    )


def _ingest(
    request: Request, fields: dict[str, Any], uploaded: bytes | None, actor: api.Actor
) -> api.IngestResult:
    ledger = get_ledger()
    key = fields.get("client_request_id") or request.headers.get("idempotency-key")
    if not key:
        raise ValidationError(
            "Give client_request_id (or an Idempotency-Key header): a retry without one would upload twice.",
            field="client_request_id",
        )
    with traced(trace_of(request)):
        log.info(
            "tag ingest over the API", extra={"actor": actor.email, "uploaded_by": fields.get("uploaded_by")}
        )
        content = _content(fields, uploaded, ledger)
        ingest = api.build(
            api.IngestRequest,
            client_request_id=key,
            tag_id=fields.get("tag_id"),
            lpo_id=fields.get("lpo_id"),
            customer_lpo_ref=fields.get("customer_lpo_ref"),
            required_area_m2=fields.get("required_area_m2"),
            requested_delivery_date=fields.get("requested_delivery_date"),
            original_file_name=fields.get("original_file_name"),
            content=content,
            truck_size=fields.get("truck_size"),
            notes=fields.get("notes"),
        )
        return api.ingest_tag(ledger, ingest, actor=actor)


@router.post(
    "/tags/ingest",
    summary="Upload a tag sheet against an LPO (seed 000 §4)",
    response_model=TagIngestAnswer,
    responses={
        409: {"model": TagIngestAnswer, "description": "DUPLICATE: the sheet is already a tag"},
        422: {"model": TagIngestAnswer, "description": "BLOCKED: stored, with an exception"},
        **COMMON,
    },
    openapi_extra={"requestBody": INGEST_BODY},
)
async def ingest_tag(request: Request, actor: Caller) -> JSONResponse:
    """Idempotent by ``client_request_id`` (or ``Idempotency-Key``): a retry returns the first answer
    and stores nothing new. The answer's status is the seed's: 200 UPLOADED, 409 DUPLICATE, 422 BLOCKED."""
    fields, uploaded = await _read_request(request)
    result = await run_in_threadpool(_ingest, request, fields, uploaded, actor)
    headers = {TRACE_HEADER: result.trace_id}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(
        TagIngestAnswer.of(result).model_dump(mode="json"), status_code=result.http_status, headers=headers
    )


@router.get("/tags/{tag_id}", summary="One tag with its lines and versions", responses=COMMON)
def show_tag(tag_id: str, request: Request, actor: Caller) -> Traced[api.TagDetail]:
    with traced(trace_of(request)) as trace_id:
        return Traced[api.TagDetail](data=api.show_tag(get_ledger(), tag_id, actor=actor), trace_id=trace_id)
