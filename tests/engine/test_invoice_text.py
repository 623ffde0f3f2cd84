"""PDF text through PDFium: real PDFs in, pages of text or a problem finance can act on out."""

from __future__ import annotations

import threading

import pytest

from engine.errors import ValidationError
from engine.invoices.pdftext import PdfProblem, UnreadablePdf, looks_like_pdf, read_pdf
from tests.engine.invoice_pdfs import image_only_pdf, invoice_pdf

ENGLISH = ["ACME Tools LLC", "Tax invoice", "Invoice No: INV-2026-1142", "Total Due: AED 315.00"]


def test_reads_each_page_in_order() -> None:
    result = read_pdf(invoice_pdf(ENGLISH[:3], ["Carried over", "Total Due: AED 315.00"]))
    assert result.page_count == 2
    assert not result.truncated
    assert result.pages[0].splitlines() == ENGLISH[:3]
    assert result.pages[1].splitlines() == ["Carried over", "Total Due: AED 315.00"]
    assert result.text == "\n".join(result.pages)
    assert "\r" not in result.text


def test_keeps_latin_1_letters_and_unicode_digits() -> None:
    german = read_pdf(invoice_pdf(["Rechnungsnummer: RE-7", "Fälligkeitsdatum: 03.12.2026", "Facture n° 9"]))
    assert german.pages[0].splitlines() == [
        "Rechnungsnummer: RE-7",
        "Fälligkeitsdatum: 03.12.2026",
        "Facture n° 9",
    ]
    arabic_digits = read_pdf(invoice_pdf(["Date: ١٥/٠٣/٢٠٢٦", "Total: ١٬٢٣٤٫٥٠ AED"], unicode=True))
    assert arabic_digits.pages[0].splitlines() == ["Date: ١٥/٠٣/٢٠٢٦", "Total: ١٬٢٣٤٫٥٠ AED"]


def test_pages_beyond_the_limit_are_not_read() -> None:
    content = invoice_pdf(*[[f"Page {n}"] for n in range(1, 6)])
    result = read_pdf(content, max_pages=3)
    assert result.pages == ["Page 1", "Page 2", "Page 3"]
    assert result.page_count == 5
    assert result.truncated


def test_too_large_is_refused_before_it_is_opened() -> None:
    content = invoice_pdf(ENGLISH)
    with pytest.raises(UnreadablePdf) as raised:
        read_pdf(content, max_bytes=len(content) - 1)
    assert raised.value.problem is PdfProblem.TOO_LARGE
    assert "larger than the 0.00" in raised.value.message
    with pytest.raises(UnreadablePdf, match="larger than the 20 MB"):
        read_pdf(b"%PDF-1.7" + bytes(20 * 1024 * 1024))
    assert read_pdf(content, max_bytes=len(content)).pages[0].startswith("ACME")


def test_password_protected_pdf_is_encrypted() -> None:
    content = invoice_pdf(ENGLISH, user_password="vendor-secret")
    with pytest.raises(UnreadablePdf) as raised:
        read_pdf(content)
    error = raised.value
    assert error.problem is PdfProblem.ENCRYPTED
    assert isinstance(error, ValidationError)
    assert error.message.startswith("The PDF is password-protected")
    assert error.to_dict()["problem"] == "encrypted"
    assert error.field == "pdf"


def test_truncated_pdf_is_broken() -> None:
    content = invoice_pdf(ENGLISH)
    with pytest.raises(UnreadablePdf) as raised:
        read_pdf(content[: len(content) // 2])
    assert raised.value.problem is PdfProblem.BROKEN
    assert "damaged" in raised.value.message


def test_page_with_only_a_drawing_is_image_only() -> None:
    with pytest.raises(UnreadablePdf) as raised:
        read_pdf(image_only_pdf())
    assert raised.value.problem is PdfProblem.IMAGE_ONLY
    assert raised.value.message.startswith("The PDF has no text (a scan?)")


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 an xlsx sheet", b"", b"<html><body>%PDF- too late</body></html>".rjust(2000)],
    ids=["zip", "empty", "header-after-1024-bytes"],
)
def test_bytes_that_are_not_a_pdf(content: bytes) -> None:
    assert not looks_like_pdf(content)
    with pytest.raises(UnreadablePdf) as raised:
        read_pdf(content)
    assert raised.value.problem is PdfProblem.BROKEN


def test_the_type_comes_from_the_bytes() -> None:
    assert looks_like_pdf(invoice_pdf(ENGLISH))
    assert looks_like_pdf(b"\xef\xbb\xbf junk before the header %PDF-1.7\n")


def test_concurrent_reads_share_pdfium_safely() -> None:
    contents = [invoice_pdf([f"Invoice No: INV-{n}", "Total: 1.00"]) for n in range(8)]
    results: dict[int, str] = {}

    def read(n: int) -> None:
        results[n] = read_pdf(contents[n]).pages[0].splitlines()[0]

    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: f"Invoice No: INV-{n}" for n in range(8)}
