"""The OpenAPI document: valid 3.1, generated from the routes, every route fuzzed by schemathesis
against the running console (no 5xx, no answer that breaks its own schema), and the reference page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.client import TIMEOUT
from tests.api.conftest import ApiConsole

EXAMPLES = 25  # per operation; ten operations, a few seconds each on the test machine
ROUTES = {
    "/tags/ingest": {"post"},
    "/tags/{tag_id}": {"get"},
    "/exceptions": {"get"},
    "/exceptions/action": {"post"},
    "/map/lookup": {"post"},
    "/map/manual": {"post"},
    "/map/history": {"get"},
    "/allocation/run": {"post"},
    "/allocation/status": {"get"},
    "/health": {"get"},
    "/graph/notifications": {"post"},
    "/invoices/{invoice_id}": {"get"},
    "/carriers/bills": {"post"},
    "/reconciliation": {"get"},
}


def test_the_document_is_valid_openapi_3_1_and_lists_every_route(api_console: ApiConsole) -> None:
    answer = requests.get(f"{api_console.api}/openapi.json", timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    document = answer.json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {path: set(ops) for path, ops in document["paths"].items()} == ROUTES
    assert document["servers"] == [{"url": "/api/v1"}]
    ingest = document["paths"]["/tags/ingest"]["post"]
    assert set(ingest["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "409", "422", "4XX"} <= set(ingest["responses"])
    assert "application/problem+json" in ingest["responses"]["4XX"]["content"]


def test_the_reference_page_is_rendered_from_the_document(api_console: ApiConsole) -> None:
    page = requests.get(f"{api_console.api}/reference", timeout=TIMEOUT)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in ROUTES:
        assert f"/api/v1{path}" in page.text, path
    assert "<script" not in page.text


def test_every_route_keeps_its_own_schema_and_never_fails_with_a_5xx(fuzz_console: ApiConsole) -> None:
    """Property-based: schemathesis generates requests from the document (valid and not) for every
    operation, sends them as an admin key to the running console, and checks each answer."""
    schema = schemathesis.openapi.from_url(f"{fuzz_console.api}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.path, op.method.lower()) for op in operations} == {
        (path, method) for path, methods in ROUTES.items() for method in methods
    }
    seen: dict[str, Counter[int]] = {}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    for operation in operations:
        _fuzzer(operation, fuzz_console, checks, seen)()
    # Every operation was called, and the generated requests were not all refused at the door.
    assert set(seen) == set(ROUTES), seen
    assert sum(n for path in seen for code, n in seen[path].items() if code < 300) >= len(ROUTES), seen
    print({path: dict(codes) for path, codes in seen.items()})


def _fuzzer(
    operation: Any, console: ApiConsole, checks: list[Any], seen: dict[str, Counter[int]]
) -> Callable[[], None]:
    """A Hypothesis test of one operation: its cases sent to the console and checked."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def fuzz(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            base_url=console.api, headers=console.auth("ops"), checks=checks, timeout=TIMEOUT
        )
        seen.setdefault(operation.path, Counter())[response.status_code] += 1

    return fuzz
