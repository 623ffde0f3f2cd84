"""The AP mailbox in Exchange Online through Microsoft Graph (issue 8 §1): app-only tokens by MSAL's
client-credentials flow, the inbox read by delta query, each message's MIME by ``$value``, marked
read only after the pipeline took it, and AP mail sent by ``sendMail``.

Every request carries ``Prefer: IdType="ImmutableId"`` (it applies per request), so a message's id
-- the processed-message ledger's key -- survives folder moves. Throttling (429/503) is waited out
after ``Retry-After``, a bounded number of times."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote, urlsplit

import msal
import requests
import sqlalchemy as sa

from engine.clock import utcnow
from engine.config import Settings
from engine.errors import ConfigurationError, ExternalServiceError
from engine.invoices.sources import Incoming
from engine.logs import get_logger
from engine.store.gateway import Database
from engine.store.schema import mail_sync_state
from engine.vocab import MailSourceKind

log = get_logger("invoices.graph")
SCOPES = ["https://graph.microsoft.com/.default"]  # app-only: the permissions granted to the app
PUBLIC_AUTHORITY = "login.microsoftonline.com"  # the only host MSAL's instance discovery knows
TIMEOUT_S = 30
ATTEMPTS = 4  # a throttled call is tried this often in all before the poll gives up on it
MAX_WAIT_S = 30.0  # Retry-After is obeyed up to this; a longer wait is the next poll's business
RETRIED = (429, 503, 504)  # Graph's throttling answers (and a gateway timeout): nothing was done
INLINE_LIMIT = 3 * 1024 * 1024  # Graph: attach inline only under 3 MB; larger needs an upload session
SELECT = "id,isRead,internetMessageId,subject,from,receivedDateTime,hasAttachments"
_PREFER = 'IdType="ImmutableId"'


class GraphError(ExternalServiceError):
    """Graph answered with an error; ``status`` and Graph's ``error.code`` say which."""

    def __init__(self, message: str, *, status: int, graph_code: str | None) -> None:
        super().__init__(message, status=status, graph_code=graph_code)
        self.status = status
        self.graph_code = graph_code


class GraphClient:
    """One per mailbox app registration and process (``graph_client``): MSAL keeps its token cache
    in the application object, so a long-lived one asks Entra ID for a token once an hour, not once
    a call."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        missing = [
            f"OPSLEDGER_{name.upper()}"
            for name in ("graph_tenant_id", "graph_client_id", "graph_client_secret")
            if not getattr(settings, name)
        ]
        if missing:
            raise ConfigurationError(
                f"The Graph mail source needs {', '.join(missing)} (the app registration of the AP "
                "mailbox); set them, or set OPSLEDGER_MAIL_SOURCE=folder and OPSLEDGER_AP_DELIVERY=outbox."
            )
        assert settings.graph_client_secret is not None  # checked above; for the type checker
        self.base_url = settings.graph_base_url.rstrip("/")
        self.authority = f"{settings.graph_authority_host.rstrip('/')}/{settings.graph_tenant_id}"
        self._client_id = str(settings.graph_client_id)
        self._secret = settings.graph_client_secret
        self._sleep = sleep
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()
        self.session = _GraphSession()
        self.session.verify = settings.graph_ca_bundle or True

    def _application(self) -> msal.ConfidentialClientApplication:
        """Built on first use: the constructor already asks the authority for its endpoints."""
        if self._app is None:
            host = urlsplit(self.authority).hostname or ""
            try:
                self._app = msal.ConfidentialClientApplication(
                    self._client_id,
                    client_credential=self._secret.get_secret_value(),
                    authority=self.authority,
                    http_client=self.session,  # the CA bundle and timeout apply to MSAL's calls too
                    instance_discovery=host == PUBLIC_AUTHORITY,
                )
            except requests.RequestException as error:
                raise ExternalServiceError(
                    f"The Graph authority {self.authority} did not answer ({type(error).__name__}); "
                    "check OPSLEDGER_GRAPH_AUTHORITY_HOST and the network, then poll again."
                ) from error
            except ValueError as error:  # not https, or no openid-configuration there
                raise ConfigurationError(
                    f"MSAL refused the authority {self.authority}: {error} Check "
                    "OPSLEDGER_GRAPH_AUTHORITY_HOST (https) and OPSLEDGER_GRAPH_TENANT_ID."
                ) from error
        return self._app

    def token(self) -> str:
        with self._lock:
            answer = self._application().acquire_token_for_client(scopes=SCOPES)
        if "access_token" not in answer:
            # error and error_description only: the request's secret is never part of the answer.
            raise ExternalServiceError(
                f"Entra ID gave no Graph token: {answer.get('error', 'unknown error')}: "
                f"{answer.get('error_description', '')} Check OPSLEDGER_GRAPH_CLIENT_ID, "
                "OPSLEDGER_GRAPH_CLIENT_SECRET (expired?) and the app's admin consent.",
                error=answer.get("error"),
            )
        return str(answer["access_token"])

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self, method: str, url: str, *, json: dict[str, Any] | None = None, expect: tuple[int, ...] = (200,)
    ) -> requests.Response:
        """One Graph call; throttling waited out, any other error a ``GraphError``."""
        for attempt in range(1, ATTEMPTS + 1):
            headers = {"Authorization": f"Bearer {self.token()}", "Prefer": _PREFER}
            try:
                answer = self.session.request(method, url, json=json, headers=headers)
            except requests.RequestException as error:
                raise ExternalServiceError(
                    f"Graph did not answer {method} ({type(error).__name__}); the next poll tries again.",
                    url=_without_query(url),
                ) from error
            if answer.status_code in expect:
                return answer
            if answer.status_code not in RETRIED or attempt == ATTEMPTS:
                raise _graph_error(method, url, answer)
            wait = answer.headers.get("Retry-After", "")
            self._sleep(min(float(wait), MAX_WAIT_S) if wait.isdigit() else float(2 ** (attempt - 1)))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _without_query(url: str) -> str:
    """Delta and next links carry their state in the query: logged and shown without it."""
    return url.split("?", 1)[0]


def _graph_error(method: str, url: str, answer: requests.Response) -> GraphError:
    code, text = None, ""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code, text = body["error"].get("code"), str(body["error"].get("message", ""))
    hint = {
        401: "the token was refused: check the tenant and the app registration",
        403: "the app lacks Mail.ReadWrite/Mail.Send, or an Application Access Policy excludes the mailbox",
        404: "no such mailbox or message: check OPSLEDGER_INVOICE_MAILBOX",
        413: "the request is too large for Graph (4 MB)",
    }.get(answer.status_code, "the next poll tries again")
    return GraphError(
        f"Graph refused {method} {_without_query(url)}: {answer.status_code} {code or ''} {text[:300]} "
        f"({hint}).",
        status=answer.status_code,
        graph_code=code,
    )


class _GraphSession(requests.Session):
    """The session for the authority (MSAL's ``http_client``) and Graph. A configured CA bundle
    wins over ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, which plain requests lets override
    ``Session.verify`` (psf/requests#3829, #4650); every call has a timeout."""

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_S)
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if isinstance(self.verify, str) and verify in (None, True):
            merged["verify"] = self.verify
        return merged


_clients: dict[tuple[str, ...], GraphClient] = {}
_clients_lock = threading.Lock()


def graph_client(settings: Settings) -> GraphClient:
    """The process's client for these settings (a changed secret makes a new one)."""
    secret = settings.graph_client_secret.get_secret_value() if settings.graph_client_secret else ""
    key = (
        str(settings.graph_tenant_id),
        str(settings.graph_client_id),
        hashlib.sha256(secret.encode()).hexdigest(),
        settings.graph_authority_host,
        settings.graph_base_url,
        str(settings.graph_ca_bundle),
    )
    with _clients_lock:
        if key not in _clients:
            _clients[key] = GraphClient(settings)
        return _clients[key]


def mailbox_path(mailbox: str) -> str:
    return f"users/{quote(mailbox, safe='@')}"


class GraphSource:
    """The inbox by delta query. The delta link is saved only once every message of the poll was
    taken and marked read: a poll that stops half-way, or a message that could not be fetched or
    marked, makes the next poll start from the old link again, and the ledger answers what it
    already has."""

    kind = MailSourceKind.GRAPH

    def __init__(self, client: GraphClient, db: Database, mailbox: str) -> None:
        self.client = client
        self.db = db
        self.mailbox = mailbox
        self._open: set[str] = set()  # handed out this poll, not yet done or failed
        self._left_behind = 0  # messages the next poll must meet again (not read, not marked)

    def _start(self) -> str:
        return self.client.url(
            f"{mailbox_path(self.mailbox)}/mailFolders/inbox/messages/delta?$select={SELECT}"
        )

    def waiting(self) -> Iterator[Incoming]:
        self._open.clear()
        self._left_behind = 0
        stored = self._stored_link()
        try:
            page = self._get(stored or self._start())
        except GraphError as error:
            if stored is None or not (error.status == 410 or error.graph_code == "syncStateNotFound"):
                raise
            # The link expired (Graph's sync state is cache-based): a full sync, deduped by the ledger.
            log.warning(
                "Graph delta link expired; reading the whole inbox again", extra={"mailbox": self.mailbox}
            )
            self._drop_link()
            page = self._get(self._start())
        while True:
            for item in page.get("value", []):
                if "@removed" in item or item.get("isRead") or not item.get("id"):
                    continue
                message_id = str(item["id"])
                try:
                    raw = self.client.request("GET", self._message_url(message_id) + "/$value").content
                except GraphError as error:  # one message's failure never stops the poll
                    self._left_behind += int(error.status != 404)  # 404: deleted since the delta page
                    log.warning("Graph message not read", extra={"key": message_id, "error": error.message})
                    continue
                self._open.add(message_id)
                yield Incoming(source=self.kind, key=message_id, raw=raw, handle=message_id)
            if "@odata.nextLink" in page:
                page = self._get(str(page["@odata.nextLink"]))  # applied verbatim, as Graph asks
                continue
            delta_link = page.get("@odata.deltaLink")
            break
        if delta_link and not self._open and not self._left_behind:
            self._save_link(str(delta_link))
        elif self._open or self._left_behind:
            log.warning(
                "Graph delta link kept back: some messages were not taken or not marked read",
                extra={"mailbox": self.mailbox, "unanswered": len(self._open), "left": self._left_behind},
            )

    def done(self, incoming: Incoming) -> None:
        self._open.discard(incoming.handle)
        try:
            self.client.request("PATCH", self._message_url(incoming.handle), json={"isRead": True})
        except ExternalServiceError as error:
            # Left unread: the next poll meets it again and the ledger answers it without an invoice.
            self._left_behind += 1
            log.warning("Graph message not marked read", extra={"key": incoming.key, "error": error.message})

    def failed(self, incoming: Incoming, reason: str) -> None:
        self._open.discard(incoming.handle)
        log.warning("Graph message left unread", extra={"key": incoming.key, "reason": reason})

    def _message_url(self, message_id: str) -> str:
        return self.client.url(f"{mailbox_path(self.mailbox)}/messages/{quote(message_id, safe='')}")

    def _get(self, url: str) -> dict[str, Any]:
        body = self.client.request("GET", url).json()
        if not isinstance(body, dict):
            raise ExternalServiceError(f"Graph answered {_without_query(url)} with no JSON object.")
        return body

    def _where(self) -> sa.ColumnElement[bool]:
        return sa.and_(mail_sync_state.c.source == str(self.kind), mail_sync_state.c.mailbox == self.mailbox)

    def _stored_link(self) -> str | None:
        with self.db.read() as conn:
            link = conn.execute(sa.select(mail_sync_state.c.delta_link).where(self._where())).scalar()
        return str(link) if link else None

    def _drop_link(self) -> None:
        self.db.write(lambda conn: conn.execute(mail_sync_state.delete().where(self._where())))

    def _save_link(self, link: str) -> None:
        def save(conn: sa.Connection) -> None:
            conn.execute(mail_sync_state.delete().where(self._where()))
            conn.execute(
                mail_sync_state.insert().values(
                    source=str(self.kind), mailbox=self.mailbox, delta_link=link, updated_at=utcnow()
                )
            )

        self.db.write(save, retry_integrity=True)


def graph_message(message: EmailMessage) -> dict[str, Any]:
    """The sendMail JSON of a composed mail: subject, text body, recipients, PDFs inline."""
    body = message.get_body(preferencelist=("plain",))
    attachments = []
    total = 0
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        data = content if isinstance(content, bytes) else b""
        total += len(data)
        attachments.append(
            {
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": part.get_filename() or "attachment",
                "contentType": part.get_content_type(),
                "contentBytes": base64.b64encode(data).decode("ascii"),
            }
        )
    if total >= INLINE_LIMIT:
        raise ExternalServiceError(
            f"The AP mail's attachments are {total / 1048576:.1f} MB; Graph sendMail takes them inline "
            "only under 3 MB, and the upload-session path is not built. Route it by the outbox "
            "(OPSLEDGER_AP_DELIVERY=outbox) or forward the PDF by hand.",
            subject=str(message["Subject"]),
        )
    return {
        "subject": str(message["Subject"] or ""),
        "body": {"contentType": "Text", "content": body.get_content() if body is not None else ""},
        "toRecipients": [
            {"emailAddress": {"address": address}}
            for _, address in getaddresses([str(v) for v in message.get_all("To", [])])
            if address
        ],
        "attachments": attachments,
        "internetMessageHeaders": [
            {"name": name, "value": str(value)}
            for name, value in message.items()
            if name.lower().startswith("x-")
        ],
    }


def send_mail(client: GraphClient, settings: Settings, message: EmailMessage) -> str:
    """Send as the AP mailbox; 202 means Graph accepted it (not that it was delivered). Returns
    where it went, for the invoice's ``routed_to``."""
    payload = {"message": graph_message(message), "saveToSentItems": False}
    client.request(
        "POST", client.url(f"{mailbox_path(settings.invoice_mailbox)}/sendMail"), json=payload, expect=(202,)
    )
    return f"{message['To']} (Graph sendMail)"
