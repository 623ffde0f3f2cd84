"""Identifiers: ULIDs for technical ids and trace ids; formats for the readable ledger ids.

Readable ids (``TAG-YYYYMMDD-NNNN``, ``EX-YYYY-NNNNNN``) take their numbers from DB-backed
sequences in ``ledger.sequences``; this module only formats and validates them.
"""

from __future__ import annotations

import re
from datetime import date

from ulid import ULID

TAG_ID_PATTERN = re.compile(r"^TAG-(\d{8})-(\d{4})$")
EXCEPTION_ID_PATTERN = re.compile(r"^EX-(\d{4})-(\d{6})$")
# Four digits per day in the seed's format: the ten-thousandth tag of one day has no id to take.
MAX_TAGS_PER_DAY = 9999
MAX_EXCEPTIONS_PER_YEAR = 999_999


def new_ulid() -> str:
    return str(ULID())


def new_trace_id() -> str:
    return str(ULID()).lower()


def format_tag_id(day: date, number: int) -> str:
    return f"TAG-{day:%Y%m%d}-{number:04d}"


def format_exception_id(year: int, number: int) -> str:
    return f"EX-{year:04d}-{number:06d}"


def is_tag_id(value: str) -> bool:
    match = TAG_ID_PATTERN.match(value)
    if not match:
        return False
    try:
        date(int(match[1][:4]), int(match[1][4:6]), int(match[1][6:]))
    except ValueError:
        return False
    return int(match[2]) > 0
