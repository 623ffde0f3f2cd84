"""Finance desk benchmark (issue "Finance desk", §7): 1,000 e-mails with 1–2-page PDF invoices
through the whole pipeline (parse the mail, loop rules, PDF text, vendor, fields, duplicates, one
transaction with the file store and the audit, routing to the AP outbox), no LLM, on a DuckDB store:
the median and p95 per invoice. The anchor, in the same run on the same PDFs: invoice2data
(``pdftotext`` and its bundled templates), installed for the benchmark only (requirements-bench.txt).

Every mail is generated before the timing starts; each is a different invoice (vendors by domain,
by name from another address, and unknown ones), so every message makes one new invoice.
"""

from __future__ import annotations

import logging
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.config import load_settings
from engine.demo.invoices import invoice_mail, invoice_pdf
from engine.invoices.pipeline import prepare
from engine.invoices.sources import Incoming, message_key
from engine.invoices.vendors import list_vendors
from engine.vocab import MailSourceKind, Role, Source
from tests.benchmarks.timing import Sample

FULL, QUICK = 1_000, 100
WARM_UP = 5
TARGET_P95_MS = 100.0
VENDORS = 20
FINANCE = Actor(email="finance@bench.local", roles=frozenset({Role.FINANCE}), source=Source.CLI)


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class InvoiceResults:
    messages: int = 0
    pipeline: Sample = field(default_factory=lambda: Sample("invoice pipeline per e-mail"))
    reading: Sample = field(default_factory=lambda: Sample("reading only: mail, PDF text, vendor, fields"))
    invoice2data: Sample = field(default_factory=lambda: Sample("invoice2data per PDF"))
    anchor_missing: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    two_page: int = 0


def _vendor_csv() -> bytes:
    rows = ["vendor_name,sender_domains,aliases,gl_code,expense_dept,allocation_schedule,product_category"]
    rows += [
        f"Bench Vendor {n:02d} LLC,vendor{n:02d}.example,BV{n:02d},6{n:03d},OPS,1,Direct"
        for n in range(VENDORS)
    ]
    return ("\n".join(rows) + "\n").encode()


def _mails(count: int) -> list[tuple[bytes, bytes, int]]:
    """(raw mail, its PDF, pages) per message: 70 % known by domain, 20 % by name, 10 % unknown."""
    rng = random.Random(7)  # reproducible sample data
    sent = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    out = []
    for n in range(count):
        vendor = rng.randrange(VENDORS)
        kind = rng.random()
        name = f"Bench Vendor {vendor:02d} LLC" if kind < 0.9 else f"Stranger Trading {n}"
        sender = f"billing@vendor{vendor:02d}.example" if kind < 0.7 else f"accounts{n}@mail{n % 50}.example"
        issued = date(2026, 10, 1) + timedelta(days=rng.randrange(60))
        total = f"{rng.randrange(100, 99_999)}.{rng.randrange(100):02d}"
        pages = 1 + (rng.random() < 0.3)
        lines = [
            name,
            "Tax invoice",
            f"Invoice No: B-{n:06d}",
            f"Invoice Date: {issued:%d/%m/%Y}",
            f"Due Date: {issued + timedelta(days=30):%d/%m/%Y}",
            "Payment terms: Net 30",
            "Description        Qty   Amount",
            *[
                f"Item {i}            {i + 1}   {rng.randrange(10, 999)}.00"
                for i in range(rng.randrange(3, 15))
            ],
            f"Total Due: AED {total}",
        ]
        pdf = invoice_pdf(lines, pages=pages)
        raw = invoice_mail(
            sender=sender,
            subject=f"Invoice B-{n:06d}",
            message_id=f"<bench-{n}@bench.example>",
            sent_at=sent + timedelta(days=n),  # one a day: the same day is a duplicate (DOMAIN step 5)
            attachments=[(f"B-{n:06d}.pdf", pdf)],
        )
        out.append((raw, pdf, pages))
    return out


def _anchor(pdfs: list[bytes], results: InvoiceResults, folder: Path) -> None:
    try:
        from invoice2data import extract_data  # type: ignore[import-untyped]
        from invoice2data.extract.loader import read_templates  # type: ignore[import-untyped]
    except ImportError:
        results.anchor_missing = "invoice2data is not installed (make bench installs requirements-bench.txt)"
        return
    if shutil.which("pdftotext") is None:
        results.anchor_missing = "pdftotext is not installed (make bench installs poppler-utils)"
        return
    templates = read_templates()
    logging.disable(logging.CRITICAL)  # invoice2data logs every template miss
    try:
        paths = []
        for n, pdf in enumerate(pdfs):
            path = folder / f"{n:06d}.pdf"
            path.write_bytes(pdf)
            paths.append(path)
        for n, path in enumerate(paths):
            call = lambda p=path: extract_data(str(p), templates=templates)  # noqa: E731
            call() if n < WARM_UP else results.invoice2data.time(call)
    finally:
        logging.disable(logging.NOTSET)


def run(*, quick: bool = False) -> InvoiceResults:
    count = (QUICK if quick else FULL) + WARM_UP
    results = InvoiceResults(messages=count - WARM_UP)
    _log(f"generating {count} invoice mails")
    mails = _mails(count)
    results.two_page = sum(1 for _, _, pages in mails[WARM_UP:] if pages == 2)
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-invoices-") as tmp:
        root = Path(tmp)
        ledger = api.open_ledger(load_settings(data_dir=root / "data", demo_data=False, jobs_enabled=False))
        try:
            api.import_vendors(ledger, _vendor_csv(), "vendors.csv", actor=CLI_OPERATOR)
            _log(f"pipeline: {count} mails")
            for n, (raw, _, _) in enumerate(mails):
                call = lambda r=raw: api.process_mail(ledger, r, actor=FINANCE)  # noqa: E731
                outcome = call() if n < WARM_UP else results.pipeline.time(call)
                for view in outcome.invoices:
                    results.statuses[str(view.status)] = results.statuses.get(str(view.status), 0) + 1
            # The same mails read again without storing anything: the part comparable to invoice2data.
            with ledger.db.read() as conn:
                vendors = list_vendors(conn, active_only=True)
            for n, (raw, _, _) in enumerate(mails):
                incoming = Incoming(MailSourceKind.FOLDER, message_key(raw), raw, "bench.eml")
                read = lambda i=incoming: prepare(i, vendors, ledger.settings)  # noqa: E731
                read() if n < WARM_UP else results.reading.time(read)
        finally:
            ledger.close()
        _log(f"invoice2data: {count} PDFs")
        (root / "pdfs").mkdir()
        _anchor([pdf for _, pdf, _ in mails], results, root / "pdfs")
    return results


def _row(label: str, sample: Sample) -> str:
    return f"| {label} | {sample.n} | {sample.p50:.1f} ms | {sample.p95:.1f} ms | {sample.max:.1f} ms |"


def render(results: InvoiceResults) -> str:
    pipe, anchor = results.pipeline, results.invoice2data
    mix = ", ".join(f"{k} {v}" for k, v in sorted(results.statuses.items()))
    rows = [
        "## Finance desk: invoice e-mails through the pipeline",
        "",
        f"{results.messages} timed e-mails ({results.two_page} with a 2-page PDF), after {WARM_UP} "
        f"warm-up ones; DuckDB store; no LLM. Statuses: {mix}.",
        "",
        "| Figure | n | median | p95 | max |",
        "| --- | ---: | ---: | ---: | ---: |",
        _row("whole pipeline per e-mail (read, one transaction, route)", pipe),
        _row("↳ reading only: mail, PDF text, vendor, fields (nothing stored)", results.reading),
    ]
    if results.anchor_missing:
        rows.append(f"| invoice2data per PDF | – | – | – | {results.anchor_missing} |")
    else:
        rows.append(
            f"| invoice2data per PDF (pdftotext + its templates) | {anchor.n} | {anchor.p50:.1f} ms | "
            f"{anchor.p95:.1f} ms | {anchor.max:.1f} ms |"
        )
    rows += ["", "| Target | Measured | Limit | Verdict |", "| --- | ---: | ---: | --- |"]
    if not results.anchor_missing:
        verdict = "PASS" if pipe.p50 < anchor.p50 else "MISS"
        rows.append(f"| median per invoice | {pipe.p50:.1f} ms | < {anchor.p50:.1f} ms | **{verdict}** |")
    verdict = "PASS" if pipe.p95 <= TARGET_P95_MS else "MISS"
    rows.append(f"| p95 per invoice | {pipe.p95:.1f} ms | ≤ {TARGET_P95_MS:.0f} ms | **{verdict}** |")
    return "\n".join(rows) + "\n"
