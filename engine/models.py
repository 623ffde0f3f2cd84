"""Helpers shared by the request models of every desk."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from engine.errors import ValidationError

M = TypeVar("M", bound=BaseModel)

_FRIENDLY = {
    "greater_than": "must be greater than {gt}",
    "missing": "is required",
    "date_from_datetime_parsing": "must be a date like 2026-12-15",
    "date_parsing": "must be a date like 2026-12-15",
    "date_from_datetime_inexact": "must be a date like 2026-12-15",
    "decimal_parsing": "must be a number",
    "decimal_max_places": "has more than {decimal_places} decimal places",
    "string_pattern_mismatch": "has an unexpected format",
    "string_too_long": "is longer than {max_length} characters",
    "string_too_short": "needs at least {min_length} characters",
    "bytes_too_short": "is empty",
}


def build(model: type[M], **data: Any) -> M:
    """Construct a request model; a bad field becomes a ValidationError that names it in the words of
    the form (the field's ``title``, else its name) and says what is wrong."""
    try:
        return model(**data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "request"
        described = model.model_fields.get(field)
        label = described.title if described is not None and described.title else field
        template = _FRIENDLY.get(first["type"])
        reason = template.format(**(first.get("ctx") or {})) if template else first["msg"].lower()
        shown = first.get("input")
        value = "" if shown is None or isinstance(shown, (bytes, dict)) else f" (got {str(shown)[:60]!r})"
        raise ValidationError(f"{label} {reason}{value}.", field=field) from exc


T = TypeVar("T")
MAX_PAGE = 1000


class Page(BaseModel, Generic[T]):
    """One page of a list the engine reads: the rows, how many match in all, and where this page
    starts, so no screen or command ever drops rows without saying so."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when the page is empty)."""
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.items)


def check_paging(offset: int, limit: int) -> None:
    if offset < 0:
        raise ValidationError("The page offset cannot be negative.", field="offset")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"A page holds 1 to {MAX_PAGE} rows.", field="limit")
