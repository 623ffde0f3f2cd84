"""Seed 000 §4 over real HTTP: the tag ingest contract, its retries, its refusals."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.api.client import HELD, TIMEOUT, assert_problem, ingest_body, sha256, sheet
from tests.api.conftest import ApiConsole

TAG = re.compile(r"^TAG-\d{8}-(\d{4})$")


def _post(console: ApiConsole, body: object, key: str = "nesting", **kwargs: object) -> requests.Response:
    return requests.post(
        f"{console.api}/tags/ingest", json=body, headers=console.auth(key), timeout=TIMEOUT, **kwargs
    )


def test_an_upload_answers_the_seeds_200_and_retries_return_it_without_a_second_tag(
    api_console: ApiConsole,
) -> None:
    content = sheet(1)
    body = ingest_body(content)
    first = _post(api_console, body)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["status"] == "UPLOADED" and TAG.match(answer["tag_id"])
    assert answer["file_hash"] == sha256(content)
    assert answer["trace_id"] == first.headers["x-trace-id"]
    assert "set-cookie" not in first.headers
    # The caller retries three times (seed 000: Power Automate retries 3x): one tag, the same answer.
    retries = [_post(api_console, body) for _ in range(3)]
    assert {r.status_code for r in retries} == {200}
    assert {r.json()["tag_id"] for r in retries} == {answer["tag_id"]}
    assert {r.json()["trace_id"] for r in retries} == {answer["trace_id"]}
    assert all(r.headers.get("idempotent-replayed") == "true" for r in retries)
    # No tag was made by the retries: the next upload takes the very next number.
    following = _post(api_console, ingest_body(sheet(2))).json()
    assert int(TAG.match(following["tag_id"])[1]) == int(TAG.match(answer["tag_id"])[1]) + 1  # type: ignore[index]
    shown = requests.get(
        f"{api_console.api}/tags/{answer['tag_id']}", headers=api_console.auth("nesting"), timeout=TIMEOUT
    )
    assert shown.status_code == 200
    tag = shown.json()["data"]["tag"]
    assert tag["uploaded_by"] == "api:nesting" and tag["file_hash"] == sha256(content)
    assert tag["original_file_name"] == "cutexport.xlsx"


def test_the_same_sheet_under_another_request_id_is_the_seeds_409(api_console: ApiConsole) -> None:
    content = sheet(3)
    first = _post(api_console, ingest_body(content)).json()
    again = _post(api_console, ingest_body(content))
    assert again.status_code == 409
    assert again.json()["status"] == "DUPLICATE" and again.json()["existing_tag_id"] == first["tag_id"]
    assert again.json()["trace_id"] == again.headers["x-trace-id"]


def test_an_lpo_on_hold_is_the_seeds_422_with_its_exception(api_console: ApiConsole) -> None:
    blocked = _post(api_console, ingest_body(sheet(4), lpo_id=HELD))
    assert blocked.status_code == 422, blocked.text
    answer = blocked.json()
    assert answer["status"] == "BLOCKED" and answer["exception_id"] and answer["message"]
    listed = requests.get(
        f"{api_console.api}/exceptions",
        params={"tag_id": answer["tag_id"]},
        headers=api_console.auth("nesting"),
        timeout=TIMEOUT,
    ).json()
    assert [e["exception_id"] for e in listed["data"]["items"]] == [answer["exception_id"]]


def test_multipart_upload_and_the_idempotency_key_header(api_console: ApiConsole) -> None:
    content = sheet(5)
    fields = {"lpo_id": "LPO-2025-0412", "required_area_m2": "2.25", "requested_delivery_date": "2027-02-01"}
    headers = {**api_console.auth("nesting"), "Idempotency-Key": "multipart-upload-0005"}
    files = {"file": ("nest-0005.xlsx", content, "application/octet-stream")}
    first = requests.post(
        f"{api_console.api}/tags/ingest", data=fields, files=files, headers=headers, timeout=TIMEOUT
    )
    assert first.status_code == 200, first.text
    again = requests.post(
        f"{api_console.api}/tags/ingest", data=fields, files=files, headers=headers, timeout=TIMEOUT
    )
    assert again.json()["tag_id"] == first.json()["tag_id"] and again.headers["idempotent-replayed"] == "true"
    assert first.json()["file_hash"] == sha256(content)


def test_sixteen_concurrent_clients(api_console: ApiConsole) -> None:
    """Sixteen callers at once, each with its own sheet: sixteen tags with sixteen numbers. Then
    sixteen callers sending the same request at once: one tag, the same answer to all."""
    bodies = [ingest_body(sheet(100 + n)) for n in range(16)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda b: _post(api_console, b), bodies))
    assert [a.status_code for a in answers] == [200] * 16, [a.text for a in answers if a.status_code != 200]
    assert len({a.json()["tag_id"] for a in answers}) == 16
    same = ingest_body(sheet(200))
    with ThreadPoolExecutor(16) as pool:
        repeats = list(pool.map(lambda _: _post(api_console, same), range(16)))
    assert {r.status_code for r in repeats} == {200}, [r.text for r in repeats]
    assert len({r.json()["tag_id"] for r in repeats}) == 1


def test_bad_requests_are_400_problems_naming_the_field(api_console: ApiConsole) -> None:
    body = ingest_body(sheet(6))
    del body["required_area_m2"]
    problem = assert_problem(_post(api_console, body), 400, "VALIDATION_ERROR")
    assert "required_area_m2" in problem["detail"]
    no_key = ingest_body(sheet(6))
    del no_key["client_request_id"]
    assert assert_problem(_post(api_console, no_key), 400, "VALIDATION_ERROR")["field"] == "client_request_id"
    bad_base64 = ingest_body(None, file_content_base64="not base64!!")
    assert "base64" in assert_problem(_post(api_console, bad_base64), 400, "VALIDATION_ERROR")["detail"]
    twice = ingest_body(sheet(6), file_url="https://files.example.com/a.xlsx")
    assert "exactly once" in assert_problem(_post(api_console, twice), 400, "VALIDATION_ERROR")["detail"]
    negative = ingest_body(sheet(6), required_area_m2=-3)
    assert (
        assert_problem(_post(api_console, negative), 400, "VALIDATION_ERROR")["field"] == "required_area_m2"
    )
    not_json = requests.post(
        f"{api_console.api}/tags/ingest",
        data="lpo=1",
        headers={**api_console.auth("nesting"), "Content-Type": "text/plain"},
        timeout=TIMEOUT,
    )
    assert_problem(not_json, 400, "VALIDATION_ERROR")
    unreadable = ingest_body(b"this is not a spreadsheet", original_file_name="cut.xlsx")
    answer = _post(api_console, unreadable)
    assert answer.status_code in (400, 422), answer.text


def test_file_url_is_fetched_only_from_listed_public_hosts(api_console: ApiConsole) -> None:
    off_list = ingest_body(None, file_url="https://attacker.example.net/cut.xlsx")
    problem = assert_problem(_post(api_console, off_list), 400, "VALIDATION_ERROR")
    assert "attacker.example.net" in problem["detail"] and "allowlist" in problem["detail"]
    # 127.0.0.1 and localhost are on this console's list, and still refused: not public addresses.
    for url in (
        "http://127.0.0.1:9/cut.xlsx",
        f"{api_console.url}/api/v1/health",
        "http://localhost/cut.xlsx",
    ):
        problem = assert_problem(_post(api_console, ingest_body(None, file_url=url)), 400, "VALIDATION_ERROR")
        assert "not a public address" in problem["detail"], problem
    scheme = ingest_body(None, file_url="file:///etc/passwd")
    assert "http(s)" in assert_problem(_post(api_console, scheme), 400, "VALIDATION_ERROR")["detail"]
