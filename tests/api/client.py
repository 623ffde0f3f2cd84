"""What the API tests send: tag sheets as real xlsx files and the seed's ingest body."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import requests

from engine.demo.builder import cut_export_lines, xlsx_bytes
from tests.conftest import DELIVERY

LPO = "LPO-2025-0412"  # ACTIVE with room left in the demo data and the sample LPO master
HELD = "LPO-2025-0391"  # ON_HOLD: an upload is stored BLOCKED
PROBLEM = "application/problem+json"
TIMEOUT = 60


def sheet(seed: int, lines: int = 6) -> bytes:
    """A cut export no other test uploads (its lines differ by seed)."""
    return xlsx_bytes(cut_export_lines(lines, seed=10_000 + seed))


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def ingest_body(content: bytes | None, *, request_id: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_request_id": request_id or str(uuid.uuid4()),
        "lpo_id": LPO,
        "required_area_m2": 1.5,
        "requested_delivery_date": DELIVERY.isoformat(),
        "original_file_name": "cutexport.xlsx",
        "uploaded_by": "sales@demo.local",
        "metadata": {"truck_size": "small", "notes": "from the nesting PC"},
    }
    if content is not None:
        body["file_content_base64"] = base64.b64encode(content).decode()
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def assert_problem(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with the engine's code and the request's trace id in body and header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["code"] == code, problem
    assert problem["detail"] and problem["title"]
    assert problem["trace_id"] == response.headers["x-trace-id"]
    return problem
