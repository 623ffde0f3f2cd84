"""Who calls the integration API: an API key sent as ``Authorization: Bearer``, resolved by the
engine to an actor with the key's roles and source ``api``, then held to the key's rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from console.api.guard import RateLimit
from console.handle import get_ledger
from engine import api
from engine.errors import AuthenticationFailed, EngineError

_bearer = HTTPBearer(auto_error=False, description="an API key from the API keys page or `apikeys create`")


class TooManyRequests(EngineError):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(f"Key {name!r} made too many requests; retry after {retry_after} s.")
        self.retry_after = retry_after


_limits: dict[int, RateLimit] = {}


def _limit(per_minute: int) -> RateLimit:
    # One bucket table per configured rate: a settings reload with a new rate starts fresh buckets.
    if per_minute not in _limits:
        _limits[per_minute] = RateLimit(per_minute)
    return _limits[per_minute]


def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> api.Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("Send an API key as 'Authorization: Bearer olk_…'; ask an admin for one.")
    ledger = get_ledger()
    actor = api.api_key_actor(ledger, credentials.credentials)
    key_id = credentials.credentials.strip().split("_")[1]  # a key the engine accepted is olk_<id>_<secret>
    wait = _limit(ledger.settings.api_rate_per_minute).take(key_id)
    if wait is not None:
        raise TooManyRequests(actor.email, wait)
    request.state.actor = actor.email
    return actor


Caller = Annotated[api.Actor, Depends(caller)]
