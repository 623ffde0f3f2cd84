"""The one permission table of the public engine API.

Every public function of ``engine.api`` is declared here through ``@requires``: the permission the
acting user must hold (checked before anything is read or written), ``SIGNED_IN`` for what any
user with a role may do to their own account or inbox, or ``OPEN`` for what needs no actor at all
(sign-in itself, the schema version, the operator's store commands). The console hides what a role
cannot do; this table is what the engine enforces, and ``tests/engine/test_access.py`` calls every
function as every role to prove the refusals.

Checks that depend on the data (the desk that owns an exception, the assignee's desk) live beside
the data, in the engine module that reads it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from engine.auth.roles import Actor, Permission, require
from engine.errors import Forbidden

P = ParamSpec("P")
R = TypeVar("R")


class Gate(StrEnum):
    """What a function needs besides (or instead of) a permission."""

    SIGNED_IN = "any signed-in user with a role"
    OPEN = "no actor (sign-in, schema version, operator commands)"


Need = Permission | Gate


@dataclass(frozen=True)
class Entry:
    name: str
    module: str
    need: Need

    @property
    def permission(self) -> Permission | None:
        return self.need if isinstance(self.need, Permission) else None


TABLE: dict[str, Entry] = {}


def requires(need: Need) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare (and enforce) what a public API function needs. The acting user is its ``actor``
    keyword argument; a function that needs a permission without taking one is a programming error."""

    def declare(fn: Callable[P, R]) -> Callable[P, R]:
        if fn.__name__ in TABLE:
            raise RuntimeError(f"engine.api.{fn.__name__} is declared twice")
        TABLE[fn.__name__] = Entry(fn.__name__, fn.__module__, need)
        if need is Gate.OPEN:
            return fn

        @functools.wraps(fn)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            _check(fn.__name__, kwargs.get("actor"), need)
            return fn(*args, **kwargs)

        return checked

    return declare


def _check(name: str, actor: Any, need: Need) -> None:
    if not isinstance(actor, Actor):
        raise Forbidden(f"engine.api.{name} needs a signed-in actor.")
    if isinstance(need, Permission):
        require(actor, need)
    elif not actor.roles:
        raise Forbidden(f"{actor.email} has no roles yet; ask an admin.", actor=actor.email)
