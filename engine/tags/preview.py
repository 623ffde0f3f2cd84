"""A chosen cut export read without storing anything: the upload form's defaults (the area the sheet
states) come from the same parser the upload itself runs."""

from __future__ import annotations

from decimal import Decimal

from engine.config import Settings
from engine.errors import ValidationError
from engine.tags.models import SheetPreview
from engine.tags.parse import parse_cut_export
from engine.tags.pipeline import inspect_upload

# The required area is stored with four decimals (IngestRequest.required_area_m2).
AREA_PLACES = Decimal("0.0001")


def preview_sheet(file_name: str, content: bytes, settings: Settings) -> SheetPreview:
    try:
        name, kind = inspect_upload(file_name, content, settings)
    except ValidationError as refused:
        return SheetPreview(file_name=file_name, problem=refused.message)
    parsed = parse_cut_export(content, kind=kind)
    if not parsed.usable:
        return SheetPreview(file_name=name, lines=len(parsed.lines), problem=parsed.problem())
    areas = [line.net_area_m2 for line in parsed.lines if line.net_area_m2 is not None]
    total = sum(areas, Decimal(0)).quantize(AREA_PLACES) if areas else None
    return SheetPreview(file_name=name, lines=len(parsed.lines), net_area_m2=total)
