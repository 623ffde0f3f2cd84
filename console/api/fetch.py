"""Fetching a tag sheet from the seed's ``file_url``: only from hosts on the allowlist in settings,
never from loopback, private, link-local or otherwise non-public addresses, no redirect off the
list (each hop is checked again), and within the upload size limit and a time limit."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from engine.errors import ValidationError

MAX_REDIRECTS = 3  # SharePoint and blob links redirect once or twice to a signed download URL
_CHUNK = 64 * 1024


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="file_url")


def check_url(url: str, *, allowlist: frozenset[str], allow_private: bool = False) -> str:
    """The URL's host when it may be fetched, else a ValidationError naming the host and why."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise _refuse(f"file_url must be an http(s) URL, not {parts.scheme or 'no scheme'}.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise _refuse("file_url has no host.")
    if parts.username or parts.password:
        raise _refuse(f"file_url for host {host} carries credentials; give a URL without them.")
    if host not in allowlist:
        listed = ", ".join(sorted(allowlist)) or "none (OPSLEDGER_FILE_URL_HOSTS is empty)"
        raise _refuse(f"file_url host {host} is not on the allowlist; allowed hosts: {listed}.")
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse(f"file_url host {host} cannot be resolved.") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not allow_private and not address.is_global:
            raise _refuse(f"file_url host {host} resolves to {address}, which is not a public address.")
    return host


def fetch(
    url: str,
    *,
    allowlist: frozenset[str],
    max_bytes: int,
    timeout: float,
    allow_private: bool = False,
) -> bytes:
    """The file's bytes. ``allow_private`` exists for tests against a local server only."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        host = check_url(url, allowlist=allowlist, allow_private=allow_private)
        left = deadline - time.monotonic()  # one time limit for the whole fetch, redirects included
        if left <= 0:
            raise _refuse(f"file_url from host {host} took longer than the time limit.")
        try:
            response = requests.get(url, stream=True, allow_redirects=False, timeout=left)
        except requests.RequestException as exc:
            raise _refuse(f"file_url from host {host} could not be fetched: {type(exc).__name__}.") from exc
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("location", ""))
                continue
            if response.status_code != 200:
                raise _refuse(f"file_url from host {host} answered HTTP {response.status_code}.")
            return _read(response, host=host, max_bytes=max_bytes, deadline=deadline)
    raise _refuse(f"file_url redirected more than {MAX_REDIRECTS} times.")


def _read(response: requests.Response, *, host: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _refuse(f"file_url from host {host} is {declared} bytes; the limit is {max_bytes}.")
    content = bytearray()
    try:
        # read1 hands back what has arrived in one read: iter_content waits for a whole chunk, so a body
        # trickling in a byte at a time would only meet the deadline check at its end.
        while chunk := response.raw.read1(_CHUNK, decode_content=True):
            content += chunk
            if len(content) > max_bytes:
                raise _refuse(f"file_url from host {host} is larger than the limit of {max_bytes} bytes.")
            if time.monotonic() > deadline:
                raise _refuse(f"file_url from host {host} took longer than the time limit.")
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:  # a stall or a cut connection
        raise _refuse(f"file_url from host {host} could not be fetched: {type(exc).__name__}.") from exc
    return bytes(content)
