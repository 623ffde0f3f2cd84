"""The scheduler: one per process, every run recorded, one lease holder per store, a worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from engine import api
from engine.errors import ConfigurationError
from engine.handle import Ledger
from engine.operations.jobs import CATALOGUE, acquire_lease
from engine.vocab import JobStatus, JobTrigger
from jobs import scheduler
from jobs.schedule import SCHEDULE
from tests.conftest import make_settings


def test_schedule_names_known_jobs_with_single_instance_options(duck_ledger: Ledger) -> None:
    assert {job.name for job in SCHEDULE} <= set(CATALOGUE)
    started = scheduler.start_in_process(duck_ledger)
    try:
        assert scheduler.start_in_process(duck_ledger) is started, "never a second scheduler on a rerun"
        jobs = {job.id: job for job in started.get_jobs()}
        assert set(jobs) == {job.name for job in SCHEDULE}
        job = jobs["sla_escalation"]
        assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time == 300
        assert job.next_run_time is not None
    finally:
        scheduler.stop_in_process()
    assert scheduler.running_scheduler() is None


def test_invalid_cron_is_a_configuration_error(tmp_path: Path) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, sla_escalation_cron="every now and then"))
    try:
        with pytest.raises(ConfigurationError, match="cron of job sla_escalation"):
            scheduler.configure(scheduler.BackgroundScheduler(), ledger)
    finally:
        ledger.close()


def test_scheduled_run_is_recorded_and_the_lease_is_exclusive(duck_ledger: Ledger) -> None:
    scheduler.run_scheduled(duck_ledger, "sla_escalation")
    runs = api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR)
    assert [(r.job_name, r.triggered_by, r.status) for r in runs] == [
        ("sla_escalation", JobTrigger.SCHEDULED, JobStatus.SUCCEEDED)
    ]
    assert runs[0].started_at and runs[0].finished_at and runs[0].trace_id
    assert not acquire_lease(
        duck_ledger, scheduler.LEASE_NAME, holder="another-host:1", ttl=timedelta(minutes=1)
    )
    scheduler.run_scheduled(duck_ledger, "sla_escalation")  # still ours: runs again
    assert len(api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR)) == 2
    assert acquire_lease(duck_ledger, "other", holder="another-host:1", ttl=timedelta(seconds=-1))
    assert acquire_lease(duck_ledger, "other", holder="me", ttl=timedelta(minutes=1)), (
        "an expired lease is taken"
    )


def test_failed_job_is_recorded_with_its_error(duck_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.operations import jobs

    def explode(*args: object) -> dict[str, int]:
        raise RuntimeError("snapshot share unreachable")

    monkeypatch.setitem(jobs.CATALOGUE, "boom", jobs.JobDefinition("boom", "Always fails", explode))
    run = api.run_job(duck_ledger, "boom", actor=api.CLI_OPERATOR)
    assert run.status is JobStatus.FAILED and run.error == "RuntimeError: snapshot share unreachable"


def test_worker_process_starts_and_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "OPSLEDGER_DATA_DIR": str(tmp_path / "data"), "OPSLEDGER_DEMO_DATA": "false"}
    worker = subprocess.Popen([sys.executable, "-m", "jobs"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        banner = ""
        assert worker.stderr is not None
        while time.monotonic() < deadline and "OpsLedger worker" not in banner:
            banner += worker.stderr.readline()
        assert "jobs sla_escalation" in banner
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
