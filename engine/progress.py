"""Progress of long work: a callback the console renders with st.status/st.progress, jobs write to
their log, and tests record."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, step: str, done: int, total: int) -> None: ...


def no_progress(step: str, done: int, total: int) -> None:
    """The default: nobody is watching."""
