"""The integration API application: FastAPI under ``/api/v1/``, mounted in the console's own st.App
so the embedded DuckDB file keeps one owner. Its OpenAPI 3.1 document is generated from the same
pydantic models the routes use."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool

from console.api import carriers, graph, invoices, ledger, reference, stores, tags
from console.api.guard import ApiGuard
from console.api.problems import HANDLERS, MEDIA_TYPE
from console.api.wire import Health
from console.handle import get_ledger
from engine import api
from engine.config import Settings
from engine.errors import EngineError

PREFIX = "/api/v1"
DESCRIPTION = """The seeds' HTTP contracts, served by the OpsLedger console.

Authenticate with an API key: `Authorization: Bearer olk_…` (an admin creates keys on the API keys
page or with `python -m engine apikeys create`). A key acts with its own roles, under the same
permission table as people, and everything it changes is audited with source `api`.

Every answer carries its trace id (`X-Trace-Id`, and in the body); errors are RFC 9457
`application/problem+json` with the engine's error `code`. State-changing calls are idempotent by
`client_request_id` or an `Idempotency-Key` header."""


def _health_probe() -> tuple[int, Health]:
    try:
        current, latest = api.schema_version(get_ledger())
    except EngineError as error:
        return 503, Health(status="unavailable", message=error.message)
    ok = current == latest
    return (200 if ok else 503), Health(
        status="ok" if ok else "degraded", schema_version=current, latest_schema_version=latest
    )


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="OpsLedger integration API",
        version="1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        exception_handlers=HANDLERS,
    )
    bills = {"/carriers/bills": settings.max_carrier_upload_bytes + 64 * 1024}  # multipart, not base64
    app.add_middleware(ApiGuard, max_body=settings.api_max_body_bytes, larger=bills)
    for router in (tags.router, ledger.router, stores.router, invoices.router, carriers.router, graph.router):
        app.include_router(router)

    @app.get(
        "/health",
        tags=["health"],
        summary="Is the store up and its schema current?",
        responses={503: {"model": Health}},
    )
    async def health() -> JSONResponse:
        status, body = await run_in_threadpool(_health_probe)
        return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)

    @app.get("/reference", include_in_schema=False)
    async def reference_page(request: Request) -> HTMLResponse:
        return HTMLResponse(reference.render(app.openapi(), base=request.scope.get("root_path", PREFIX)))

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the schemas of the bodies the ingest route reads itself (JSON or
    multipart), and the problem media type on every error answer."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=[{"url": PREFIX}],
    )
    _, extra = models_json_schema(
        [(model, "validation") for model in tags.EXTRA_SCHEMAS], ref_template="#/components/schemas/{model}"
    )
    document.setdefault("components", {}).setdefault("schemas", {}).update(extra.get("$defs", {}))
    for path in document["paths"].values():
        for operation in path.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if status[0] in "45" and "application/json" in content and MEDIA_TYPE in content:
                    content[MEDIA_TYPE] = content.pop("application/json")
    app.openapi_schema = document
    return document
