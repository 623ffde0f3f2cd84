"""Readable ids and batch ids."""

from __future__ import annotations

import re
from datetime import date

from engine.ids import format_exception_id, format_tag_id, is_tag_id, new_ulid, new_ulids

CROCKFORD_26 = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def test_readable_formats() -> None:
    assert format_tag_id(date(2026, 1, 5), 7) == "TAG-20260105-0007"
    assert format_exception_id(2026, 42) == "EX-2026-000042"
    assert is_tag_id("TAG-20260105-0001")
    assert not is_tag_id("TAG-20261305-0001") and not is_tag_id("TAG-20260105-0000")


def test_batches_from_one_millisecond_never_collide() -> None:
    """python-ulid increments the random part within a millisecond; batch prefixes must not rely on it."""
    batches = [new_ulids(50) for _ in range(2000)]  # thousands of batches inside a few milliseconds
    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every)
    assert all(CROCKFORD_26.match(i) for i in every[:500])
    assert all(batch == sorted(batch) for batch in batches[:50]), "a batch sorts in issue order"
    assert new_ulid()[:6] == every[0][:6], "the same time prefix as a ULID made now"
