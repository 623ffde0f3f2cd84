"""One error hierarchy for the engine.

Every error carries a message that tells the user what to do, the ids involved, and a stable ``code``
so the CLI and the console can render it without string matching.
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "ENGINE_ERROR"
    http_status = 500

    def __init__(self, message: str, **ids: Any) -> None:
        super().__init__(message)
        self.message = message
        self.ids = {k: v for k, v in ids.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **{k: str(v) for k, v in self.ids.items()}}


class ValidationError(EngineError):
    """A field or a file is not acceptable. ``field`` names what to fix."""

    code = "VALIDATION_ERROR"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, **ids: Any) -> None:
        super().__init__(message, field=field, **ids)
        self.field = field


class NotFound(EngineError):
    code = "NOT_FOUND"
    http_status = 404


class Conflict(EngineError):
    """Someone else changed the thing first, or the request contradicts what is stored."""

    code = "CONFLICT"
    http_status = 409


class Forbidden(EngineError):
    code = "FORBIDDEN"
    http_status = 403


class AuthenticationFailed(EngineError):
    code = "AUTHENTICATION_FAILED"
    http_status = 401


class SignInAgain(AuthenticationFailed):
    """The identity provider's sign-in is too old to open a session: sign in there again."""

    code = "SIGN_IN_AGAIN"


class ContractMismatch(EngineError):
    code = "CONTRACT_MISMATCH"
    http_status = 422


class ExternalServiceError(EngineError):
    code = "EXTERNAL_SERVICE_ERROR"
    http_status = 502


class StoreUnavailable(EngineError):
    """The database cannot be opened (held by another process, unreachable, not upgraded)."""

    code = "STORE_UNAVAILABLE"
    http_status = 503


class ConfigurationError(EngineError):
    code = "CONFIGURATION_ERROR"
    http_status = 500
