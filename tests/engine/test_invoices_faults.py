"""A poll that dies between processing a message and moving its file: the next poll answers the
message from the processed-message ledger (no second invoice) and moves the file. Simulated in
process on both stores, and for real with SIGKILL on a `python -m engine invoices poll` mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from engine import api
from engine.api import CLI_OPERATOR, Ledger
from engine.config import Settings
from engine.invoices.sources import message_key
from engine.store.schema import invoice, mail_message
from engine.vocab import InvoiceStatus
from tests.conftest import make_settings
from tests.engine.invoice_mails import (
    FINANCE,
    SENT_AT,
    acme_pdf,
    drop,
    invoices,
    mail,
    messages,
    outbox,
    seed_vendors,
)


def test_a_poll_after_a_crash_before_the_move_makes_no_second_invoice(ledger: Ledger) -> None:
    seed_vendors(ledger)
    raw = mail()
    path = drop(ledger, "acme-1142.eml", raw)
    # The crashed poll: the message went through the pipeline (and was routed), the file stayed.
    [made] = api.process_mail(ledger, raw, actor=FINANCE, file_name=path.name).invoices
    assert path.exists() and invoices(ledger) == 1
    result = api.poll_mail(ledger, actor=FINANCE)
    assert (result.messages, result.invoices, result.skipped, result.errors) == (1, 0, 1, 0)
    assert invoices(ledger) == 1 and messages(ledger) == 1
    assert not path.exists() and (ledger.settings.mail_dir / "done" / path.name).is_file()
    assert [p.stem for p in outbox(ledger)] == [made.invoice_id]
    assert api.poll_mail(ledger, actor=FINANCE).messages == 0, "nothing waits any more"


def test_a_poll_routes_what_a_crash_left_unrouted(ledger: Ledger) -> None:
    """The crash between the invoice's commit and its routing: the next poll routes it (the outbox)."""
    seed_vendors(ledger)
    [made] = api.process_mail(ledger, mail(), actor=FINANCE).invoices
    ledger.db.write(lambda conn: conn.execute(invoice.update().values(routed_at=None, routed_to=None)))
    for path in outbox(ledger):
        path.unlink()
    result = api.poll_mail(ledger, actor=FINANCE)
    assert result.routed == 1 and result.messages == 0
    assert [p.stem for p in outbox(ledger)] == [made.invoice_id]
    assert api.show_invoice(ledger, made.invoice_id, actor=FINANCE).routed_at is not None


MAILS = 80  # enough that a poll is still busy a moment after its first files are done


def _folder_with_mails(settings: Settings) -> list[bytes]:
    ledger = api.open_ledger(settings)
    try:
        seed_vendors(ledger)
        api.add_user(ledger, email=FINANCE.email, roles=["finance"], password=None, actor=CLI_OPERATOR)
        raws = [
            mail(
                subject=f"Invoice INV-K-{n}",
                message_id=f"<kill-{n}@acme-tools.example>",
                sent_at=SENT_AT - timedelta(days=n),  # a day each: no same-sender-same-day duplicates
                attachments=[(f"INV-K-{n}.pdf", acme_pdf(f"INV-K-{n}", f"{n + 1}.00"))],
            )
            for n in range(MAILS)
        ]
        for n, raw in enumerate(raws):
            drop(ledger, f"kill-{n:03d}.eml", raw)
    finally:
        ledger.close()
    return raws


def test_sigkill_mid_batch_then_a_rerun_finishes_without_a_second_invoice(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    raws = _folder_with_mails(settings)
    inbox, done = settings.mail_dir, settings.mail_dir / "done"
    env = {
        **os.environ,
        "OPSLEDGER_DATA_DIR": str(settings.data_dir),
        "OPSLEDGER_DEMO_DATA": "false",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    env.pop("OPSLEDGER_DATABASE_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "engine", "invoices", "poll", "--user", FINANCE.email],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        while worker.poll() is None and time.monotonic() < deadline:
            if done.is_dir() and len(list(done.glob("*.eml"))) >= 5:
                break
            time.sleep(0.005)
        assert worker.poll() is None, f"the poll ended before it could be killed: {worker.stderr}"
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    moved = len(list(done.glob("*.eml")))
    assert 0 < moved < MAILS, "killed mid-batch"

    ledger = api.open_ledger(settings)
    try:
        result = api.poll_mail(ledger, actor=FINANCE)
        assert result.errors == 0
        assert result.messages == MAILS - moved
        assert not list(inbox.glob("*.eml")) and len(list(done.glob("*.eml"))) == MAILS
        with ledger.db.read() as conn:
            keys = conn.execute(sa.select(invoice.c.message_key, invoice.c.status)).all()
            ledger_rows = conn.execute(sa.select(sa.func.count()).select_from(mail_message)).scalar_one()
        assert sorted(k for k, _ in keys) == sorted(message_key(raw) for raw in raws), "one invoice a mail"
        assert {str(s) for _, s in keys} == {str(InvoiceStatus.PROCESSED)}
        assert ledger_rows == MAILS
        assert len(outbox(ledger)) == MAILS, "what the kill left unrouted was routed by the rerun"
        assert api.poll_mail(ledger, actor=FINANCE).messages == 0
    finally:
        ledger.close()
