"""The seed's ``file_url``: fetched only from listed hosts on public addresses, every redirect checked
again, within the size and the time limit. A local HTTP server plays the remote host (the only place
``allow_private=True`` is used)."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from console.api.fetch import MAX_REDIRECTS, check_url, fetch
from engine.errors import ValidationError

BODY = b"description,qty,unit\nphenolic 20mm 80/80,1,m2\n"
LIMIT = 1000  # max_bytes in these tests
TIMEOUT = 1.0  # seconds; the slow bodies below take three times as long
LOCAL = frozenset({"localhost"})


class Remote(BaseHTTPRequestHandler):
    """One route per behaviour of a remote host."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def _head(self, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def do_GET(self) -> None:
        path = self.path
        if path == "/sheet.csv":
            self._head(Content_Length=str(len(BODY)))
            self.wfile.write(BODY)
        elif path == "/sheet.csv.gz":  # compressed in transit: the sheet's own bytes come back
            packed = gzip.compress(BODY)
            self._head(Content_Encoding="gzip", Content_Length=str(len(packed)))
            self.wfile.write(packed)
        elif path.startswith("/hop/"):  # /hop/N redirects N times, then serves the sheet
            left = int(path.removeprefix("/hop/"))
            self._head(302, Location=f"/hop/{left - 1}" if left > 1 else "/sheet.csv", Content_Length="0")
        elif path == "/off-list":
            self._head(302, Location="http://files.evil.example/sheet.csv", Content_Length="0")
        elif path == "/scheme-relative":
            self._head(302, Location="//files.evil.example/sheet.csv", Content_Length="0")
        elif path == "/big-declared":
            self._head(Content_Length=str(LIMIT + 1))
            self.wfile.write(b"x" * (LIMIT + 1))
        elif path == "/big-chunked":  # no Content-Length: the size shows only while reading
            self._head(Transfer_Encoding="chunked")
            for _ in range(4):
                self.wfile.write(b"190\r\n" + b"x" * 400 + b"\r\n")  # 0x190 = 400 bytes per chunk
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/big-until-close":  # HTTP/1.0 style: the body ends when the connection closes
            self.close_connection = True
            self._head(Connection="close")
            self.wfile.write(b"x" * (3 * LIMIT))
        elif path == "/drip":  # a byte every 0.1 s: no single read is slow, the whole body is
            self._head(Content_Length="30")
            self._drip(30)
        elif path == "/drip-chunked":
            self._head(Transfer_Encoding="chunked")
            self._drip(30, chunked=True)
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/stall":  # headers, then nothing for longer than the time limit
            self._head(Content_Length=str(len(BODY)))
            self.wfile.flush()
            time.sleep(3 * TIMEOUT)
            self.wfile.write(BODY)
        else:
            self._head(404, Content_Length="0")

    def _drip(self, count: int, *, chunked: bool = False) -> None:
        try:
            for _ in range(count):
                self.wfile.write(b"1\r\nx\r\n" if chunked else b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass  # the client gave up: that is the point


@pytest.fixture(scope="module")
def remote() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Remote)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def get(url: str, *, max_bytes: int = LIMIT, allowlist: frozenset[str] = LOCAL) -> bytes:
    return fetch(url, allowlist=allowlist, max_bytes=max_bytes, timeout=TIMEOUT, allow_private=True)


def refused(url: str, match: str, **kwargs: object) -> ValidationError:
    with pytest.raises(ValidationError, match=match) as caught:
        get(url, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == "file_url"
    return caught.value


# ---------------------------------------------------------------- fetching


def test_a_listed_local_server_serves_the_bytes(remote: str) -> None:
    assert get(f"{remote}/sheet.csv") == BODY


def test_a_compressed_answer_is_decoded(remote: str) -> None:
    assert get(f"{remote}/sheet.csv.gz") == BODY


def test_a_body_exactly_at_the_limit_is_accepted(remote: str) -> None:
    assert get(f"{remote}/sheet.csv", max_bytes=len(BODY)) == BODY


def test_redirects_within_the_limit_are_followed(remote: str) -> None:
    assert get(f"{remote}/hop/{MAX_REDIRECTS}") == BODY


def test_a_redirect_chain_of_five_is_refused(remote: str) -> None:
    assert MAX_REDIRECTS < 5
    refused(f"{remote}/hop/5", f"redirected more than {MAX_REDIRECTS} times")


@pytest.mark.parametrize("route", ["off-list", "scheme-relative"])
def test_a_redirect_off_the_list_is_refused_naming_the_host(remote: str, route: str) -> None:
    refused(f"{remote}/{route}", "host files.evil.example is not on the allowlist; allowed hosts: localhost")


def test_a_body_over_the_limit_is_refused_by_its_declared_length(remote: str) -> None:
    refused(f"{remote}/big-declared", f"is {LIMIT + 1} bytes; the limit is {LIMIT}")


@pytest.mark.parametrize("route", ["big-chunked", "big-until-close"])
def test_a_body_over_the_limit_without_a_length_is_refused_while_reading(remote: str, route: str) -> None:
    refused(f"{remote}/{route}", f"larger than the limit of {LIMIT} bytes")


@pytest.mark.parametrize("route", ["drip", "drip-chunked"])
def test_a_slow_body_is_cut_off_at_the_time_limit(remote: str, route: str) -> None:
    started = time.monotonic()
    refused(f"{remote}/{route}", "took longer than the time limit")
    assert time.monotonic() - started < 2 * TIMEOUT, (
        "the fetch must stop near its limit, not at the body's end"
    )


def test_a_stalled_body_times_out(remote: str) -> None:
    started = time.monotonic()
    refused(f"{remote}/stall", "could not be fetched")
    assert time.monotonic() - started < 2 * TIMEOUT


def test_an_error_answer_is_refused_with_its_status(remote: str) -> None:
    refused(f"{remote}/missing.csv", "localhost answered HTTP 404")


def test_without_allow_private_the_local_server_is_not_fetched(remote: str) -> None:
    with pytest.raises(ValidationError, match="which is not a public address"):
        fetch(f"{remote}/sheet.csv", allowlist=LOCAL, max_bytes=LIMIT, timeout=TIMEOUT)


# ---------------------------------------------------------------- checking the URL


def test_a_listed_public_host_passes() -> None:
    # A literal address: no name lookup, so no network is needed.
    assert check_url("https://8.8.8.8/sheets/a.xlsx", allowlist=frozenset({"8.8.8.8"})) == "8.8.8.8"
    assert check_url("HTTPS://8.8.8.8./a.xlsx", allowlist=frozenset({"8.8.8.8"})) == "8.8.8.8"


def test_a_host_not_on_the_list_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"host sheets\.example\.org is not on the allowlist") as caught:
        check_url("https://sheets.example.org/a.xlsx", allowlist=frozenset({"contoso.sharepoint.com"}))
    assert "contoso.sharepoint.com" in caught.value.message and caught.value.field == "file_url"
    with pytest.raises(ValidationError, match="OPSLEDGER_FILE_URL_HOSTS is empty"):
        check_url("https://sheets.example.org/a.xlsx", allowlist=frozenset())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1/a.csv", "127.0.0.1"),
        ("http://localhost/a.csv", "localhost"),
        ("http://10.1.2.3/a.csv", "10.1.2.3"),
        ("http://192.168.0.10/a.csv", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/a.csv", "::1"),
        ("http://0.0.0.0/a.csv", "0.0.0.0"),  # noqa: S104 - a URL to refuse, not a bind
    ],
)
def test_private_addresses_are_refused_even_when_listed(url: str, host: str) -> None:
    with pytest.raises(ValidationError, match=f"host {host} resolves to .*not a public address"):
        check_url(url, allowlist=frozenset({host}))


@pytest.mark.parametrize(
    "url", ["ftp://8.8.8.8/a.csv", "file:///etc/passwd", "gopher://8.8.8.8/", "8.8.8.8/a"]
)
def test_only_http_schemes_are_fetched(url: str) -> None:
    with pytest.raises(ValidationError, match="must be an http\\(s\\) URL"):
        check_url(url, allowlist=frozenset({"8.8.8.8", ""}))


@pytest.mark.parametrize("url", ["https://user:pw@8.8.8.8/a.csv", "https://token@8.8.8.8/a.csv"])
def test_credentials_in_the_url_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match=r"for host 8\.8\.8\.8 carries credentials"):
        check_url(url, allowlist=frozenset({"8.8.8.8"}))


def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(ValidationError, match="has no host"):
        check_url("https:///a.csv", allowlist=frozenset({"8.8.8.8"}))
