"""What every integration API request passes before a route sees it: no cookies (a bearer key is
the only credential, so a browser cannot be tricked into calling the API: no CSRF surface), a
request body limit, and a per-key rate limit."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.api.problems import TRACE_HEADER, BodyTooLarge, problem_response
from engine.ids import new_trace_id


class ApiGuard:
    """Gives the request its trace id (answered in ``X-Trace-Id``), drops the Cookie header (nothing
    on ``/api/v1/`` reads a cookie or sets one) and refuses a body larger than the limit, by its
    Content-Length or, when streamed, as it arrives. A route that takes larger files (a carrier bill)
    has its own limit in ``larger``, by path."""

    def __init__(self, app: ASGIApp, *, max_body: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = new_trace_id()
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k != b"cookie"],
            "state": {**scope.get("state", {}), "trace_id": trace_id},
        }
        path = str(scope.get("path", "")).removeprefix(str(scope.get("root_path", "")))
        limit = self.larger.get(path, self.max_body)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            error = BodyTooLarge(limit)
            response = problem_response(413, "BODY_TOO_LARGE", str(error), trace_id=trace_id)
            await response(scope, receive, send)
            return

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if TRACE_HEADER not in headers:
                    headers[TRACE_HEADER] = scope["state"].get("trace_id", trace_id)
            await send(message)

        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send_traced)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """A token bucket per key: ``per_minute`` requests, refilled evenly, bursts up to the same
    number. One console process serves the API, so the buckets live in its memory."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """None when the request may go ahead, else the seconds to wait (for ``Retry-After``)."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(self.capacity, now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return max(1, math.ceil((1 - bucket.tokens) / self.per_second))
