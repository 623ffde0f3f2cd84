"""``python -m jobs``: the scheduler without the console (for a server database deployment)."""

from __future__ import annotations

import signal
import sys
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from engine.api import open_ledger
from engine.errors import EngineError
from jobs.scheduler import configure, recover


def main() -> int:
    try:
        ledger = open_ledger(log_to_stream=True)
    except EngineError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    recover(ledger)
    scheduler = configure(BlockingScheduler(timezone=ledger.settings.zone), ledger)

    def stop(signum: int, frame: FrameType | None) -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:  # the signal came before the scheduler started
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(
        f"OpsLedger worker on {ledger.db.describe()}: jobs {', '.join(j.id for j in scheduler.get_jobs())}",
        file=sys.stderr,
    )
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
