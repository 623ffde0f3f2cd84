"""The text of a PDF invoice, page by page, through PDFium (pypdfium2), and the reasons a PDF cannot be
read told in words finance understands. Pure: bytes in, text out."""

from __future__ import annotations

import threading
from enum import StrEnum

import pypdfium2 as pdfium
from pydantic import BaseModel, ConfigDict

from engine.errors import ValidationError

# PDFium keeps global state and is not thread-safe (pypdfium2 README): one document at a time per process.
_PDFIUM = threading.Lock()
# FPDF_ERR_PASSWORD (wrong or missing password) and FPDF_ERR_SECURITY (unsupported security handler).
_ENCRYPTED_CODES = (4, 5)
_MAGIC_WINDOW = 1024  # PDF readers accept the header anywhere in the first 1024 bytes (Acrobat's rule)


class PdfProblem(StrEnum):
    ENCRYPTED = "encrypted"
    BROKEN = "broken"
    IMAGE_ONLY = "image_only"
    TOO_LARGE = "too_large"


_MESSAGES = {
    PdfProblem.ENCRYPTED: (
        "The PDF is password-protected, so its text cannot be read. Ask the vendor for a copy without a "
        "password, or enter the invoice's fields by hand."
    ),
    PdfProblem.BROKEN: (
        "The file is damaged or is not a PDF, so it cannot be opened. Ask the vendor to send the "
        "invoice again."
    ),
    PdfProblem.IMAGE_ONLY: (
        "The PDF has no text (a scan?), so its fields cannot be read. Enter them by hand, or ask the vendor "
        "for a PDF made by their invoicing software."
    ),
    PdfProblem.TOO_LARGE: (
        "The PDF is larger than the {limit:.3g} MB an invoice may be. Ask the vendor for a smaller file, or "
        "enter the invoice's fields by hand."
    ),
}


class UnreadablePdf(ValidationError):
    """A PDF whose text cannot be read; ``problem`` says why."""

    code = "UNREADABLE_PDF"

    def __init__(
        self, problem: PdfProblem, *, detail: str | None = None, limit_mb: float | None = None
    ) -> None:
        super().__init__(
            _MESSAGES[problem].format(limit=limit_mb), field="pdf", problem=problem.value, detail=detail
        )
        self.problem = problem


class PdfText(BaseModel):
    """A PDF's text, one string per page read; ``truncated`` when pages beyond the limit were not read."""

    model_config = ConfigDict(frozen=True)

    pages: list[str]
    page_count: int
    truncated: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def looks_like_pdf(content: bytes) -> bool:
    """Whether the bytes are a PDF (its header, not the file's name, says so)."""
    return b"%PDF-" in content[:_MAGIC_WINDOW]


def read_pdf(content: bytes, *, max_pages: int = 50, max_bytes: int = 20 * 1024 * 1024) -> PdfText:
    """The text of each of a PDF's first ``max_pages`` pages. Raises ``UnreadablePdf`` when the PDF is
    larger than ``max_bytes`` (TOO_LARGE), password-protected (ENCRYPTED), not a PDF or damaged
    (BROKEN), or has no text on any page read (IMAGE_ONLY)."""
    if len(content) > max_bytes:
        raise UnreadablePdf(PdfProblem.TOO_LARGE, limit_mb=max_bytes / (1024 * 1024))
    if not looks_like_pdf(content):
        raise UnreadablePdf(PdfProblem.BROKEN, detail="no %PDF- header in the first 1024 bytes")
    with _PDFIUM:
        pages, page_count = _read_pages(content, max_pages)
    if not any(page.strip() for page in pages):
        raise UnreadablePdf(
            PdfProblem.IMAGE_ONLY if page_count else PdfProblem.BROKEN, detail=f"{page_count} pages"
        )
    return PdfText(pages=pages, page_count=page_count, truncated=page_count > max_pages)


def _read_pages(content: bytes, max_pages: int) -> tuple[list[str], int]:
    try:
        document = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        problem = PdfProblem.ENCRYPTED if exc.err_code in _ENCRYPTED_CODES else PdfProblem.BROKEN
        raise UnreadablePdf(problem, detail=str(exc)) from exc
    try:
        page_count = len(document)
        return [_page_text(document, index) for index in range(min(page_count, max_pages))], page_count
    except pdfium.PdfiumError as exc:
        raise UnreadablePdf(PdfProblem.BROKEN, detail=str(exc)) from exc
    finally:
        document.close()


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    textpage = page.get_textpage()
    try:
        # get_text_bounded is full Unicode; get_text_range is UCS-2 only in pypdfium2 5 (INVOICES.md §4).
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
        page.close()
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def first_page_png(content: bytes, *, width_px: int = 900) -> bytes | None:
    """The first page as a PNG about ``width_px`` wide (the Invoices page shows it), or None when
    PDFium cannot open the file."""
    import io

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(content)
        except pdfium.PdfiumError:
            return None
        try:
            if len(document) == 0:
                return None
            page = document[0]
            try:
                scale = width_px / max(page.get_width(), 1.0)
                image = page.render(scale=scale).to_pil()
            finally:
                page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
