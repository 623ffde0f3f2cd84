"""Errors of the integration API as RFC 9457 ``application/problem+json``: the engine's error code,
a message a person can act on, and the trace id that finds the request in the logs and the audit."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from engine.errors import EngineError
from engine.ids import new_trace_id, new_ulid
from engine.logs import get_logger

log = get_logger("console.api")
MEDIA_TYPE = "application/problem+json"
TRACE_HEADER = "X-Trace-Id"
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")
        self.limit = limit


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the engine's ``code`` and the request's ``trace_id``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="always about:blank: ``code`` says what failed")
    title: str
    status: int
    detail: str
    code: str = Field(description="the engine's error code, e.g. VALIDATION_ERROR, NOT_FOUND")
    trace_id: str
    errors: list[FieldProblem] | None = None


def trace_of(request: Request) -> str:
    trace_id = getattr(request.state, "trace_id", None)
    if not trace_id:
        trace_id = request.state.trace_id = new_trace_id()
    return str(trace_id)


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return problem_response(status, code, detail, trace_id=trace_of(request), headers=headers, **extra)


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    trace_id: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        code=code,
        trace_id=trace_id,
        **extra,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={TRACE_HEADER: trace_id, **(headers or {})},
    )


async def engine_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, EngineError)
    status = error.http_status if error.http_status in _TITLES else 503
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if (retry_after := getattr(error, "retry_after", None)) is not None:
        headers = {"Retry-After": str(retry_after)}
    ids = {k: str(v) for k, v in error.ids.items() if k not in Problem.model_fields}
    return problem(request, status, error.code, error.message, headers=headers, **ids)


async def invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [
        FieldProblem(field=".".join(str(p) for p in item["loc"][1:]) or "body", message=item["msg"])
        for item in error.errors()
    ]
    first = errors[0] if errors else FieldProblem(field="body", message="is not valid")
    return problem(
        request,
        400,
        "VALIDATION_ERROR",
        f"{first.field}: {first.message}",
        errors=[e.model_dump() for e in errors],
    )


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if isinstance(error.__cause__, BodyTooLarge):  # FastAPI wraps what failed while it read the body
        return await body_too_large(request, error.__cause__)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
    detail = str(error.detail) if error.detail else _TITLES.get(error.status_code, "Error")
    if error.status_code == 404 and detail == "Not Found":
        detail = f"No route {request.url.path}; the routes are listed at /api/v1/reference."
    return problem(request, error.status_code, code, detail, headers=dict(error.headers or {}))


async def body_too_large(request: Request, error: Exception) -> Response:
    assert isinstance(error, BodyTooLarge)
    return problem(request, 413, "BODY_TOO_LARGE", str(error))


async def unexpected(request: Request, error: Exception) -> Response:
    reference = new_ulid()
    log.error("unexpected integration API error", exc_info=error, extra={"reference": reference})
    return problem(
        request,
        500,
        "INTERNAL_ERROR",
        f"Something went wrong; it was logged with reference {reference}. "
        "Pass that on to your administrator.",
    )


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]
HANDLERS: dict[int | type[Exception], Handler] = {
    BodyTooLarge: body_too_large,
    EngineError: engine_error,
    RequestValidationError: invalid_request,
    HTTPException: http_error,
    Exception: unexpected,
}
# What every route may answer besides its own success, documented once.
COMMON: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": "a problem (RFC 9457)"},
    "5XX": {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": "a problem (RFC 9457)"},
}
