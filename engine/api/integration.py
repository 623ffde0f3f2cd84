"""The integration API's callers: API keys per integration (issue 10), bound to the same roles and
permission table as people."""

from __future__ import annotations

from datetime import date

from engine.api.access import Gate, requires
from engine.auth import apikeys
from engine.auth.apikeys import ApiKeyView, KeyState, NewApiKey
from engine.auth.roles import Actor, Permission
from engine.clock import business_day, utcnow
from engine.handle import Ledger
from engine.logs import traced


@requires(Permission.ADMINISTER)
def create_api_key(
    ledger: Ledger, *, name: str, roles: list[str], expires: date | None = None, actor: Actor
) -> NewApiKey:
    """A new key for an integration. The answer is the only place its secret is ever shown."""
    today = business_day(ledger.settings.zone)
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: apikeys.create_key(
                conn, actor, name=name, roles=roles, expires=expires, today=today, trace_id=trace_id
            )
        )


@requires(Permission.ADMINISTER)
def list_api_keys(ledger: Ledger, *, actor: Actor) -> list[ApiKeyView]:
    """Newest first, each with its state today (active, revoked, expired)."""
    today = business_day(ledger.settings.zone)
    with ledger.db.read() as conn:
        return apikeys.list_keys(conn, today=today)


@requires(Permission.ADMINISTER)
def revoke_api_key(ledger: Ledger, key_id: str, *, actor: Actor) -> ApiKeyView:
    """Stops the key at once: its next call is refused."""
    with traced() as trace_id:
        today = business_day(ledger.settings.zone)
        return ledger.db.write(
            lambda conn: apikeys.revoke_key(conn, actor, key_id, today=today, trace_id=trace_id)
        )


@requires(Gate.OPEN)
def api_key_actor(ledger: Ledger, presented: str) -> Actor:
    """Who a caller of the integration API is, from the key it presented (``AuthenticationFailed``
    names why a key is refused: unknown, revoked, expired). Last use is kept to the minute."""
    today = business_day(ledger.settings.zone)
    with ledger.db.read() as conn:
        view = apikeys.find_key(conn, presented, today=today)
    now = utcnow()
    if apikeys.needs_touch(view, now):
        ledger.db.write(lambda conn: apikeys.touch(conn, view.key_id, now))
    return apikeys.key_actor(view)


__all__ = [
    "ApiKeyView",
    "KeyState",
    "NewApiKey",
    "api_key_actor",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
]
