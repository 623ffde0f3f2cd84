"""The scheduler: one per process, every run recorded, one lease holder per store, a worker process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from engine import api
from engine.clock import utcnow
from engine.errors import ConfigurationError
from engine.handle import Ledger
from engine.operations.jobs import CATALOGUE, HOST, acquire_lease, fail_orphaned_runs
from engine.store.schema import job_run
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
        # Jobs whose settings do not ask for them (the WMS pull without a WMS database) are not scheduled.
        wanted = {job.name for job in SCHEDULE if job.cron(duck_ledger.settings) is not None}
        assert set(jobs) == wanted and "wms_pull" not in wanted
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
    runs = api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR).items
    assert [(r.job_name, r.triggered_by, r.status) for r in runs] == [
        ("sla_escalation", JobTrigger.SCHEDULED, JobStatus.SUCCEEDED)
    ]
    assert runs[0].started_at and runs[0].finished_at and runs[0].trace_id
    refused = acquire_lease(
        duck_ledger, scheduler.LEASE_NAME, holder="another-host:1", ttl=timedelta(minutes=1)
    )
    assert not refused.acquired and refused.holder == HOST
    scheduler.run_scheduled(duck_ledger, "sla_escalation")  # still ours: runs again
    assert api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR).total == 2
    assert acquire_lease(duck_ledger, "other", holder="another-host:1", ttl=timedelta(seconds=-1)).acquired
    assert acquire_lease(duck_ledger, "other", holder="me", ttl=timedelta(minutes=1)).acquired, (
        "an expired lease is taken"
    )
    assert not acquire_lease(duck_ledger, "other", holder="another-host:1", ttl=timedelta(minutes=1)).acquired


@pytest.mark.parametrize("lapsed", [False, True], ids=["first lease", "lapsed lease"])
def test_of_schedulers_racing_for_the_lease_exactly_one_gets_it(ledger: Ledger, lapsed: bool) -> None:
    if lapsed:
        assert acquire_lease(ledger, "race", holder="gone-host:1", ttl=timedelta(seconds=-5)).acquired
    contenders = [f"host-{n}:{n}" for n in range(6)]
    barrier = threading.Barrier(len(contenders))

    def contend(holder: str) -> bool:
        barrier.wait()
        return acquire_lease(ledger, "race", holder=holder, ttl=timedelta(minutes=5)).acquired

    with ThreadPoolExecutor(max_workers=len(contenders)) as pool:
        won = list(pool.map(contend, contenders))
    assert won.count(True) == 1
    winner = contenders[won.index(True)]
    assert all(
        acquire_lease(ledger, "race", holder=h, ttl=timedelta(minutes=5)).acquired == (h == winner)
        for h in contenders
    )


def test_a_run_skipped_because_another_scheduler_holds_the_lease_is_recorded(duck_ledger: Ledger) -> None:
    assert acquire_lease(
        duck_ledger, scheduler.LEASE_NAME, holder="other-host:7", ttl=timedelta(minutes=9)
    ).acquired
    scheduler.run_scheduled(duck_ledger, "sla_escalation")
    (run,) = api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR).items
    assert (run.job_name, run.triggered_by, run.status) == (
        "sla_escalation",
        JobTrigger.SCHEDULED,
        JobStatus.SKIPPED,
    )
    assert run.error and run.error.startswith("Another scheduler (other-host:7) holds the lease until ")


def _left_running(ledger: Ledger, run_id: str, host: str, *, status: JobStatus, age: timedelta) -> None:
    created = utcnow() - age
    ledger.db.write(
        lambda conn: conn.execute(
            job_run.insert().values(
                run_id=run_id,
                job_name="allocation_t1",
                triggered_by="scheduled",
                status=str(status),
                created_at=created,
                started_at=created,
                host=host,
                trace_id="t",
            )
        )
    )


def test_runs_a_stopped_process_left_running_are_failed_when_a_scheduler_starts(duck_ledger: Ledger) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(finished.stdout)
    here = socket.gethostname()
    minute = timedelta(minutes=1)
    _left_running(duck_ledger, "RUN-DEAD-PID", f"{here}:{dead}", status=JobStatus.RUNNING, age=minute)
    _left_running(duck_ledger, "RUN-MY-OLD-LIFE", HOST, status=JobStatus.PENDING, age=minute)
    _left_running(duck_ledger, "RUN-ALIVE", f"{here}:{os.getppid()}", status=JobStatus.RUNNING, age=minute)
    _left_running(duck_ledger, "RUN-ELSEWHERE", "other-host:12", status=JobStatus.RUNNING, age=minute)
    _left_running(
        duck_ledger, "RUN-LONG-LOST", "other-host:12", status=JobStatus.RUNNING, age=timedelta(hours=3)
    )
    scheduler.start_in_process(duck_ledger)
    scheduler.stop_in_process()
    runs = {run.run_id: run for run in api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR).items}
    failed = {run_id for run_id, run in runs.items() if run.status is JobStatus.FAILED}
    assert failed == {"RUN-DEAD-PID", "RUN-MY-OLD-LIFE", "RUN-LONG-LOST"}
    assert runs["RUN-ALIVE"].status is JobStatus.RUNNING and runs["RUN-ELSEWHERE"].status is JobStatus.RUNNING
    assert f"The process that ran it ({here}:{dead}) stopped before the run finished" in (
        runs["RUN-DEAD-PID"].error or ""
    )
    assert runs["RUN-DEAD-PID"].finished_at is not None


def test_a_run_in_progress_in_this_process_is_not_taken_for_a_stopped_one(
    duck_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.operations import jobs

    seen: list[list[str]] = []

    def sweep_while_running(*args: object) -> jobs.JobOutcome:
        seen.append(fail_orphaned_runs(duck_ledger))
        return jobs.JobOutcome({"swept": 1})

    monkeypatch.setitem(jobs.CATALOGUE, "sweep", jobs.JobDefinition("sweep", "Sweeps", sweep_while_running))
    run = api.run_job(duck_ledger, "sweep", actor=api.CLI_OPERATOR)
    assert seen == [[]], "its own running run is not failed by a sweep of this process"
    assert run.status is JobStatus.SUCCEEDED and run.counts == {"swept": 1}


def test_failed_job_is_recorded_with_its_error(duck_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.operations import jobs

    def explode(*args: object) -> jobs.JobOutcome:
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


def test_a_scheduled_job_can_be_asked_to_run_now(duck_ledger: Ledger) -> None:
    assert not scheduler.run_soon("reconciliation"), "no scheduler runs in this process yet"
    started = scheduler.start_in_process(duck_ledger)
    try:
        assert not scheduler.run_soon("wms_pull")  # not scheduled without a WMS database
        assert scheduler.run_soon("reconciliation")
        deadline = time.monotonic() + 60
        runs: list[api.JobRunView] = []
        while time.monotonic() < deadline and not runs:
            runs = api.list_job_runs(duck_ledger, actor=api.CLI_OPERATOR, job_name="reconciliation").items
            runs = [r for r in runs if r.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)]
            time.sleep(0.1)
        assert [(r.status, r.triggered_by) for r in runs] == [(JobStatus.SUCCEEDED, JobTrigger.AFTER_LOAD)]
        assert started.get_job("reconciliation").next_run_time is not None  # back on its cron
    finally:
        scheduler.stop_in_process()
