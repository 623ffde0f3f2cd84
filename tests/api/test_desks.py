"""Seed 000 §5 and seed 001 over real HTTP: exception actions, mapping lookup, manual mapping,
mapping history, allocation run and status."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.api.client import HELD, TIMEOUT, assert_problem, ingest_body, sheet
from tests.api.conftest import ApiConsole


def _call(console: ApiConsole, method: str, path: str, key: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{console.api}{path}", headers=console.auth(key), timeout=TIMEOUT, **kwargs
    )


def test_exception_actions_follow_the_desk_and_the_version(api_console: ApiConsole) -> None:
    blocked = _call(
        api_console, "POST", "/tags/ingest", "nesting", json=ingest_body(sheet(400), lpo_id=HELD)
    ).json()
    exception_id = blocked["exception_id"]
    shown = _call(api_console, "GET", "/exceptions", "nesting", params={"tag_id": blocked["tag_id"]}).json()
    version = shown["data"]["items"][0]["version"]
    # The stores desk does not work an LPO hold (a sales exception): refused.
    other_desk = _call(
        api_console, "POST", "/exceptions/action", "stores-flow",
        json={"exception_id": exception_id, "action": "acknowledge"},
    )  # fmt: skip
    assert_problem(other_desk, 403, "FORBIDDEN")
    body = {
        "exception_id": exception_id,
        "action": "acknowledge",
        "notes": "on it",
        "expected_version": version,
    }
    acted = _call(
        api_console,
        "POST",
        "/exceptions/action",
        "nesting",
        json={**body, "client_request_id": str(uuid.uuid4())},
    )
    assert acted.status_code == 200, acted.text
    assert acted.json()["data"]["status"] == "ACKNOWLEDGED"
    assert acted.json()["trace_id"] == acted.headers["x-trace-id"]
    stale = _call(api_console, "POST", "/exceptions/action", "nesting", json={**body, "action": "resolve"})
    assert_problem(stale, 409, "CONFLICT")
    missing = _call(
        api_console, "POST", "/exceptions/action", "nesting", json={**body, "exception_id": "EX-NOPE"}
    )
    assert_problem(missing, 404, "NOT_FOUND")
    bad_action = _call(
        api_console, "POST", "/exceptions/action", "nesting", json={**body, "action": "explode"}
    )
    assert assert_problem(bad_action, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "action"


def test_a_lookup_previews_and_a_lookup_with_a_line_id_is_recorded_once(api_console: ApiConsole) -> None:
    lookup = {
        "nesting_description": "Aluminium Tape 75mm",
        "qty": 110.55,
        "uom": "m",
        "lpo_id": "LPO-2025-0412",
    }
    preview = _call(api_console, "POST", "/map/lookup", "nesting", json=lookup)
    assert preview.status_code == 200, preview.text
    assert (
        preview.json()["decision"] in ("AUTO", "OVERRIDE", "REVIEW") and preview.json()["history_id"] is None
    )
    line = {**lookup, "nesting_description": "Mystery panel 9000", "ingest_line_id": "line-api-0001"}
    # Recording a line's decision is the stores desk's.
    assert_problem(_call(api_console, "POST", "/map/lookup", "nesting", json=line), 403, "FORBIDDEN")
    first = _call(api_console, "POST", "/map/lookup", "stores-flow", json=line)
    assert first.status_code == 200, first.text
    decided = first.json()
    assert decided["decision"] == "REVIEW" and decided["exception_id"] and decided["history_id"]
    again = _call(api_console, "POST", "/map/lookup", "stores-flow", json=line).json()
    assert (again["history_id"], again["exception_id"]) == (decided["history_id"], decided["exception_id"])
    history = _call(api_console, "GET", "/map/history", "nesting", params={"ingest_line_id": "line-api-0001"})
    assert history.status_code == 200
    assert [h["history_id"] for h in history.json()["history"]] == [decided["history_id"]]
    unknown_unit = _call(api_console, "POST", "/map/lookup", "nesting", json={**lookup, "uom": "furlong"})
    assert assert_problem(unknown_unit, 400, "VALIDATION_ERROR")["field"] == "uom"
    assert (
        _call(
            api_console, "GET", "/map/history", "nesting", params={"ingest_line_id": "never-seen-1"}
        ).json()["history"]
        == []
    )


def test_a_manual_mapping_is_a_master_row_and_maps_the_waiting_line(api_console: ApiConsole) -> None:
    line = {
        "nesting_description": "Mystery gasket 77",
        "qty": 4,
        "uom": "pcs",
        "ingest_line_id": "line-api-0002",
    }
    waiting = _call(api_console, "POST", "/map/lookup", "stores-flow", json=line).json()
    assert waiting["decision"] == "REVIEW"
    canonical = _call(
        api_console,
        "POST",
        "/map/lookup",
        "nesting",
        json={"nesting_description": "Aluminium Tape 75mm", "qty": 1, "uom": "m"},
    ).json()["canonical_code"]
    row = {
        "nesting_description": "Mystery gasket 77",
        "canonical_code": canonical,
        "uom": "m",
        "client_request_id": str(uuid.uuid4()),
    }
    saved = _call(api_console, "POST", "/map/manual", "stores-flow", json=row)
    assert saved.status_code == 200, saved.text
    assert saved.json()["created"] == 1 and saved.json()["kind"] == "master"
    unknown = _call(
        api_console,
        "POST",
        "/map/manual",
        "stores-flow",
        json={**row, "uom": "furlong", "client_request_id": None},
    )
    assert_problem(unknown, 400, "VALIDATION_ERROR")
    history = _call(
        api_console, "GET", "/map/history", "stores-flow", params={"ingest_line_id": "line-api-0002"}
    ).json()
    assert history["history"][0]["decision"] == "REVIEW"


def test_an_allocation_runs_for_a_tag_and_its_status_is_read_back(api_console: ApiConsole) -> None:
    tag_id = _call(api_console, "POST", "/tags/ingest", "nesting", json=ingest_body(sheet(500))).json()[
        "tag_id"
    ]
    before = _call(api_console, "GET", "/allocation/status", "nesting", params={"tag_id": tag_id})
    assert before.status_code == 200, before.text
    assert before.json()["data"]["run_date"] is None and before.json()["data"]["lines"] == []
    assert_problem(
        _call(api_console, "POST", "/allocation/run", "nesting", json={"tag_id": tag_id}), 403, "FORBIDDEN"
    )
    body = {"tag_id": tag_id, "accept_stale": True, "client_request_id": str(uuid.uuid4())}
    run = _call(api_console, "POST", "/allocation/run", "stores-flow", json=body)
    assert run.status_code == 200, run.text
    result = run.json()
    # A retry of the same request is the same run; the same key for another request is refused.
    again = _call(api_console, "POST", "/allocation/run", "stores-flow", json=body)
    assert again.json()["run_id"] == result["run_id"]
    reused = _call(
        api_console, "POST", "/allocation/run", "stores-flow", json={**body, "accept_stale": False}
    )
    assert_problem(reused, 409, "CONFLICT")
    assert result["tag_id"] == tag_id and result["lines_total"] > 0 and result["run_id"]
    after = _call(api_console, "GET", "/allocation/status", "nesting", params={"tag_id": tag_id}).json()[
        "data"
    ]
    assert after["run_date"] == result["run_date"]
    assert {line["run_id"] for line in after["lines"]} == {result["run_id"]}
    missing = _call(
        api_console, "GET", "/allocation/status", "nesting", params={"tag_id": "TAG-20990101-0001"}
    )
    assert_problem(missing, 404, "NOT_FOUND")


def test_an_invoices_status_is_read_by_a_finance_key_only(api_console: ApiConsole) -> None:
    listed = _call(api_console, "GET", "/exceptions", "ops", params={"desk": "finance"}).json()["data"][
        "items"
    ]
    unknown = next(e for e in listed if e["kind"] == "UNKNOWN_VENDOR")
    answer = _call(api_console, "GET", f"/invoices/{unknown['invoice_id']}", "finance-flow")
    assert answer.status_code == 200, answer.text
    assert (
        answer.json()["data"]["status"] == "unknown"
        and answer.json()["data"]["exception_id"] == unknown["exception_id"]
    )
    assert_problem(
        _call(api_console, "GET", f"/invoices/{unknown['invoice_id']}", "nesting"), 403, "FORBIDDEN"
    )
    assert_problem(
        _call(api_console, "GET", "/invoices/01HNOSUCHINVOICE0000000000", "finance-flow"), 404, "NOT_FOUND"
    )


def test_a_carrier_bill_is_uploaded_and_the_reconciliation_read(api_console: ApiConsole) -> None:
    from engine.demo.carriers import ACCOUNT, FedexRow, fedex_csv

    bill = fedex_csv(
        [FedexRow(invoice="977000001", date="20261130", tracking="797700000001", freight="12.00")]
    )
    form = {"carrier": "fedex", "account": ACCOUNT}
    files = {"file": ("fedex-api.csv", bill, "text/csv")}
    refused = _call(api_console, "POST", "/carriers/bills", "nesting", data=form, files=files)
    assert_problem(refused, 403, "FORBIDDEN")
    loaded = _call(api_console, "POST", "/carriers/bills", "ops", data=form, files=files)
    assert loaded.status_code == 200, loaded.text
    answer = loaded.json()
    assert answer["status"] == "loaded" and answer["invoices"][0]["invoice_number"] == "977000001"
    assert answer["trace_id"] == loaded.headers["x-trace-id"]
    again = _call(api_console, "POST", "/carriers/bills", "ops", data=form, files=files).json()
    assert again["status"] == "skipped"
    other = fedex_csv(
        [FedexRow(invoice="977000002", date="20261130", tracking="797700000002", freight="9.00")]
    )
    wrong = _call(
        api_console,
        "POST",
        "/carriers/bills",
        "ops",
        data={**form, "account": "000000042"},
        files={"file": ("fedex-other.csv", other, "text/csv")},
    )
    assert wrong.json()["status"] == "rejected" and wrong.json()["exception_id"]
    # Neither carrier nor account: both read from the file.
    third = fedex_csv(
        [FedexRow(invoice="977000003", date="20261130", tracking="797700000003", freight="7.00")]
    )
    read = _call(
        api_console, "POST", "/carriers/bills", "ops", files={"file": ("fedex-3.csv", third, "text/csv")}
    )
    assert read.status_code == 200, read.text
    assert (read.json()["status"], read.json()["carrier"], read.json()["account"]) == (
        "loaded",
        "fedex",
        ACCOUNT,
    )
    listed = _call(api_console, "GET", "/reconciliation", "finance-flow", params={"status": "MATCHED"})
    assert listed.status_code == 200 and all(r["status"] == "MATCHED" for r in listed.json()["data"])
