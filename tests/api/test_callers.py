"""Who may call the API, and how much: keys, roles, cookies, CORS, rate and body limits."""

from __future__ import annotations

import psycopg
import requests

from engine.store.migrate import latest_version
from tests.api.client import TIMEOUT, assert_problem, ingest_body, sheet
from tests.api.conftest import TIGHT_RATE, ApiConsole


def _ingest(console: ApiConsole, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{console.api}/tags/ingest", json=ingest_body(sheet(300)), headers=headers, timeout=TIMEOUT
    )


def test_a_call_without_a_live_key_is_401_saying_why(api_console: ApiConsole) -> None:
    nothing = assert_problem(_ingest(api_console, {}), 401, "AUTHENTICATION_FAILED")
    assert "Bearer" in nothing["detail"]
    assert _ingest(api_console, {}).headers["www-authenticate"] == "Bearer"
    garbage = _ingest(api_console, {"Authorization": "Bearer not-a-key"})
    assert "not an OpsLedger API key" in assert_problem(garbage, 401, "AUTHENTICATION_FAILED")["detail"]
    forged = api_console.keys["nesting"][:-4] + "AAAA"
    assert (
        "not known"
        in assert_problem(
            _ingest(api_console, {"Authorization": f"Bearer {forged}"}), 401, "AUTHENTICATION_FAILED"
        )["detail"]
    )
    revoked = assert_problem(_ingest(api_console, api_console.auth("revoked")), 401, "AUTHENTICATION_FAILED")
    assert "revoked" in revoked["detail"]
    expired = assert_problem(_ingest(api_console, api_console.auth("expired")), 401, "AUTHENTICATION_FAILED")
    assert "expired" in expired["detail"]
    basic = _ingest(api_console, {"Authorization": "Basic c2FsZXM6cGFzcw=="})
    assert_problem(basic, 401, "AUTHENTICATION_FAILED")


def test_a_key_without_the_role_is_403_naming_the_roles_needed(api_console: ApiConsole) -> None:
    refused = assert_problem(_ingest(api_console, api_console.auth("finance-flow")), 403, "FORBIDDEN")
    assert "api:finance-flow" in refused["detail"] and "sales" in refused["detail"]
    manual = requests.post(
        f"{api_console.api}/map/manual",
        json={"nesting_description": "x", "canonical_code": "X", "uom": "m"},
        headers=api_console.auth("nesting"),
        timeout=TIMEOUT,
    )
    assert_problem(manual, 403, "FORBIDDEN")


def test_cookies_are_no_credential_and_none_are_set(api_console: ApiConsole) -> None:
    session = requests.Session()
    session.cookies.set("opsledger_session", "anything")
    session.cookies.set("opsledger_binding", "anything")
    answer = session.get(f"{api_console.api}/exceptions", timeout=TIMEOUT)
    assert_problem(answer, 401, "AUTHENTICATION_FAILED")
    for path in ("/health", "/openapi.json", "/reference"):
        assert "set-cookie" not in requests.get(f"{api_console.api}{path}", timeout=TIMEOUT).headers, path


def test_cors_is_closed(api_console: ApiConsole) -> None:
    origin = {"Origin": "https://elsewhere.example.com"}
    preflight = requests.options(
        f"{api_console.api}/tags/ingest",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=TIMEOUT,
    )
    assert preflight.status_code == 405
    assert not any(h.startswith("access-control-") for h in preflight.headers)
    simple = requests.get(
        f"{api_console.api}/exceptions", headers={**origin, **api_console.auth("nesting")}, timeout=TIMEOUT
    )
    assert simple.status_code == 200
    assert not any(h.startswith("access-control-") for h in simple.headers)


def test_unknown_routes_and_things_are_404_problems(api_console: ApiConsole) -> None:
    missing = requests.get(
        f"{api_console.api}/tags/TAG-20990101-0001", headers=api_console.auth("nesting"), timeout=TIMEOUT
    )
    assert assert_problem(missing, 404, "NOT_FOUND")["tag_id"] == "TAG-20990101-0001"
    assert_problem(requests.get(f"{api_console.api}/no/such/route", timeout=TIMEOUT), 404, "NOT_FOUND")


def test_the_rate_limit_is_per_key_and_says_when_to_retry(tight_console: ApiConsole) -> None:
    url = f"{tight_console.api}/exceptions"
    answers = [
        requests.get(url, headers=tight_console.auth("finance-flow"), timeout=TIMEOUT)
        for _ in range(TIGHT_RATE + 1)
    ]
    assert [a.status_code for a in answers[:TIGHT_RATE]] == [200] * TIGHT_RATE
    limited = assert_problem(answers[-1], 429, "RATE_LIMITED")
    assert "finance-flow" in limited["detail"]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    # Another key still has its own allowance.
    assert requests.get(url, headers=tight_console.auth("stores-flow"), timeout=TIMEOUT).status_code == 200


def test_bodies_over_the_limit_are_413_declared_or_streamed(tight_console: ApiConsole) -> None:
    big = ingest_body(b"x" * 200_000)
    declared = requests.post(
        f"{tight_console.api}/tags/ingest", json=big, headers=tight_console.auth("ops"), timeout=TIMEOUT
    )
    assert_problem(declared, 413, "BODY_TOO_LARGE")
    payload = requests.models.complexjson.dumps(big).encode()  # type: ignore[attr-defined]
    chunks = (payload[i : i + 16_384] for i in range(0, len(payload), 16_384))  # no Content-Length: chunked
    streamed = requests.post(
        f"{tight_console.api}/tags/ingest",
        data=chunks,
        headers={**tight_console.auth("ops"), "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert_problem(streamed, 413, "BODY_TOO_LARGE")


def test_what_a_key_changes_is_audited_with_source_api(tight_console: ApiConsole) -> None:
    answer = _ingest(tight_console, tight_console.auth("nesting"))
    assert answer.status_code == 200, answer.text
    trace_id = answer.json()["trace_id"]
    assert tight_console.database_url is not None
    url = tight_console.database_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT action, actor, roles, source, client_request_id FROM user_action_history "
            "WHERE trace_id = %s",
            (trace_id,),
        ).fetchall()
    assert rows, f"no audit row with trace id {trace_id}"
    assert {(r[1], r[2], r[3]) for r in rows} == {("api:nesting", "sales", "api")}
    uploads = [r for r in rows if r[0] == "TAG_UPLOAD"]
    assert len(uploads) == 1 and uploads[0][4] == answer.json()["client_request_id"], rows


def test_health_is_503_while_the_store_is_not_at_this_console_s_schema(tight_console: ApiConsole) -> None:
    url = f"{tight_console.api}/health"
    assert requests.get(url, timeout=TIMEOUT).json()["status"] == "ok"
    assert tight_console.database_url is not None
    database = tight_console.database_url.replace("postgresql+psycopg", "postgresql")
    # A newer release migrated the store: this console's code is behind it.
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO schema_migration (version, name, checksum, applied_at) "
            "VALUES (9999, 'from_a_newer_release', 'x', now())"
        )
    try:
        degraded = requests.get(url, timeout=TIMEOUT)
        assert degraded.status_code == 503
        assert degraded.json() == {
            "status": "degraded",
            "schema_version": 9999,
            "latest_schema_version": latest_version("postgresql"),
        }
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute("DELETE FROM schema_migration WHERE version = 9999")
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
