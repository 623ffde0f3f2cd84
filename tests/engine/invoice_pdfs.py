"""Invoice PDFs as vendors send them, generated with fpdf2: one line of text per entry, pages split where
asked, a password or no text at all when a test needs one."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

# Debian's DejaVu Sans covers Arabic-Indic digits and Arabic letters; the core PDF fonts stop at Latin-1.
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def invoice_pdf(*pages: list[str], unicode: bool = False, user_password: str | None = None) -> bytes:
    """A PDF with one page per list of lines; a line with "|" puts its parts in columns."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"  # the core fonts' own encoding: Latin-1 plus €
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    if unicode:
        if not UNICODE_FONT.exists():
            pytest.skip(f"needs {UNICODE_FONT} (Debian's fonts-dejavu-core) for Arabic-Indic digits")
        pdf.add_font("dejavu", fname=str(UNICODE_FONT))
    for lines in pages:
        pdf.add_page()
        pdf.set_font("dejavu" if unicode else "helvetica", size=11)
        for line in lines:
            for part in line.split("|"):
                pdf.cell(w=60, h=7, text=part.strip())
            pdf.ln()
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    """A scan's shape: a page with a drawing and no text."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(120, 120, 120)
    pdf.rect(20, 20, 170, 240, style="F")
    return bytes(pdf.output())
