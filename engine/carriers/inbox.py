"""The carrier drop folder (issue 9 §1): ``<data dir>/inbox/carriers/<tenant>/<carrier>/<account>/``,
as seed 003's blob layout. The ``carrier_inbox`` job loads each file found there (carrier and account
from its folders), moves it to ``done/`` (loaded, partial, skipped) or ``rejected/`` beside it, and then
runs the reconciliation once if anything loaded. One file's failure never stops the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.auth.roles import Actor
from engine.errors import ConfigurationError, EngineError
from engine.handle import Ledger
from engine.logs import get_logger
from engine.vocab import Carrier, CarrierFileStatus

log = get_logger("carriers.inbox")
MAX_FILES_PER_RUN = 200
_DONE, _REJECTED = "done", "rejected"


@dataclass
class InboxRun:
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    reconciled: bool = False


def root(ledger: Ledger) -> Path:
    return ledger.settings.data_dir / "inbox" / "carriers"


def waiting(base: Path) -> list[tuple[Path, str, Carrier, str]]:
    """(file, tenant, carrier, account) for every file in a tenant/carrier/account folder."""
    found = []
    for path in sorted(base.glob("*/*/*/*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        tenant, carrier, account = path.parent.parent.parent.name, path.parent.parent.name, path.parent.name
        try:
            found.append((path, tenant, Carrier(carrier.lower()), account))
        except ValueError:
            log.warning("a carrier folder of no known carrier", extra={"folder": carrier})
    return found[:MAX_FILES_PER_RUN]


def _move(path: Path, to: str) -> None:
    target_dir = path.parent / to
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    number = 1
    while target.exists():
        target = target_dir / f"{path.stem}-{number}{path.suffix}"
        number += 1
    path.replace(target)


def run(ledger: Ledger, actor: Actor) -> InboxRun:
    from engine import api

    result = InboxRun()
    loaded = False
    for path, tenant, carrier, account in waiting(root(ledger)):
        result.files += 1
        try:
            answer = api.ingest_carrier_file(
                ledger,
                path,
                path.name,
                carrier=carrier,
                account=account,
                tenant=tenant,
                actor=actor,
                reconcile=False,  # once, below, after every file
            )
        except ConfigurationError:
            raise
        except EngineError as error:  # unreadable content: the file is set aside with the others refused
            log.warning("carrier file refused", extra={"file": path.name, "error": error.message})
            result.counts["rejected"] = result.counts.get("rejected", 0) + 1
            _move(path, _REJECTED)
            continue
        status = str(answer.status)
        result.counts[status] = result.counts.get(status, 0) + 1
        loaded = loaded or answer.status in (CarrierFileStatus.LOADED, CarrierFileStatus.PARTIAL)
        _move(path, _REJECTED if answer.status is CarrierFileStatus.REJECTED else _DONE)
    if loaded:  # seed 003: the reconciliation follows each load
        api.run_reconciliation(ledger, actor=actor)
        result.reconciled = True
    return result
