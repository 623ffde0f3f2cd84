"""The IMAP mail source, for mailboxes outside Microsoft 365 (standard library ``imaplib``).

Unseen messages of the folder are read with ``BODY.PEEK[]`` (reading does not mark them) and keyed
``<UIDVALIDITY>:<UID>``, the pair that names one message for as long as the folder exists; a message
is flagged ``\\Seen`` only after its invoices are recorded. A crash in between leaves it unseen, and
the next poll finds it in the processed-message ledger: no second invoice."""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator
from typing import Any

from engine.config import Settings
from engine.errors import ConfigurationError, ExternalServiceError
from engine.invoices.sources import Incoming
from engine.logs import get_logger
from engine.vocab import MailSourceKind

log = get_logger("invoices.imap")
MAX_PER_POLL = 200  # the rest waits for the next minute's poll
TIMEOUT_S = 30
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


def _connect(settings: Settings) -> imaplib.IMAP4:
    if not (settings.imap_host and settings.imap_user and settings.imap_password):
        raise ConfigurationError(
            "The IMAP source needs OPSLEDGER_IMAP_HOST, OPSLEDGER_IMAP_USER and OPSLEDGER_IMAP_PASSWORD."
        )
    try:
        if settings.imap_security == "ssl":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.imap_host,
                settings.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_S,
            )
        else:
            client = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=TIMEOUT_S)
            if settings.imap_security == "starttls":
                client.starttls(ssl.create_default_context())
        client.login(settings.imap_user, settings.imap_password.get_secret_value())
    except (OSError, imaplib.IMAP4.error) as error:
        # The server's words, never the password.
        raise ExternalServiceError(
            f"The IMAP server {settings.imap_host} refused the connection: {error}"
        ) from error
    return client


def _ok(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        raise ExternalServiceError(f"IMAP {what} failed: {data!r}")
    return data


class ImapSource:
    kind = MailSourceKind.IMAP

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: imaplib.IMAP4 | None = None

    def waiting(self) -> Iterator[Incoming]:
        client = _connect(self.settings)
        self._client = client
        try:
            _ok(client.select(self.settings.imap_folder), f"SELECT {self.settings.imap_folder}")
            status = _ok(client.status(self.settings.imap_folder, "(UIDVALIDITY)"), "STATUS")
            found = _UIDVALIDITY.search(status[0] if isinstance(status[0], bytes) else b"")
            if found is None:
                raise ExternalServiceError("The IMAP server gave no UIDVALIDITY for the folder.")
            validity = found[1].decode()
            found_uids = _ok(client.uid("SEARCH", "UNSEEN"), "SEARCH")[0]
            uids = found_uids.split() if isinstance(found_uids, bytes) else []
            for number in uids[:MAX_PER_POLL]:
                uid = number.decode()
                data = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}")
                raw = next((part[1] for part in data if isinstance(part, tuple)), None)
                if not isinstance(raw, bytes):
                    log.warning("an IMAP message had no body", extra={"uid": uid})
                    continue
                yield Incoming(source=self.kind, key=f"{validity}:{uid}", raw=raw, handle=uid)
        finally:
            self._client = None
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def done(self, incoming: Incoming) -> None:
        if self._client is None:
            return
        _ok(self._client.uid("STORE", incoming.handle, "+FLAGS", "(\\Seen)"), f"STORE {incoming.handle}")

    def failed(self, incoming: Incoming, reason: str) -> None:
        log.warning("IMAP message left unseen", extra={"uid": incoming.handle, "reason": reason})
