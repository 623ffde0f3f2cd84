"""One builder of realistic data for tests, the demo database and the benchmarks alike.

The sample files in ``data/`` are the invented-but-realistic master data of a pre-insulated duct
fabricator (LPOs, material master, SKUs, stock, four cut exports); generated cut exports draw their
descriptions, units and sheet sizes from them.
"""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal
from functools import cache
from pathlib import Path

from openpyxl import Workbook

DATA_DIR = Path(__file__).with_name("data")
CUT_EXPORT_COLUMNS = (
    "line",
    "part_no",
    "nesting_description",
    "thickness_mm",
    "qty",
    "unit",
    "length_mm",
    "width_mm",
    "net_area_m2",
    "sheet_size_mm",
    "sheets",
    "utilization_pct",
    "weight_kg",
    "remarks",
)
SAMPLE_SHEETS = {
    "0007": "TAG-20250615-0007_cutexport_v1.xlsx",
    "0007csv": "TAG-20250615-0007_cutexport_v1.csv",
    "0008": "TAG-20250615-0008_cutexport_v1.csv",
    "0009": "TAG-20250615-0009_cutexport_v1.csv",
    "0010": "TAG-20250615-0010_cutexport_v1.csv",
}


def sample_bytes(name: str) -> bytes:
    return (DATA_DIR / name).read_bytes()


@cache
def sample_rows(name: str) -> tuple[dict[str, str], ...]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def master_descriptions() -> list[tuple[str, str]]:
    return [(row["nesting_description"], row["uom"]) for row in sample_rows("material_master.csv")]


def cut_export_lines(count: int, *, seed: int = 0, description_suffix: str = "") -> list[dict[str, object]]:
    """``count`` lines as a nesting program exports them: panels in sheets with a sheet size and
    net area, profiles and tapes in metres, accessories in pieces."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
    descriptions = master_descriptions()
    lines: list[dict[str, object]] = []
    for number in range(1, count + 1):
        description, uom = descriptions[rng.randrange(len(descriptions))]
        line: dict[str, object] = dict.fromkeys(CUT_EXPORT_COLUMNS, "")
        line.update(
            line=number, part_no=f"P-{number:04d}", nesting_description=description + description_suffix
        )
        if uom == "m2":
            sheets = rng.randint(1, 12)
            line.update(
                qty=sheets,
                unit="sheets",
                sheet_size_mm=rng.choice(["1200x4000", "1200x3000"]),
                sheets=sheets,
                thickness_mm=rng.choice([20, 30]),
                net_area_m2=str(Decimal(sheets * 48 * rng.randint(80, 95)) / 1000),
                utilization_pct=rng.randint(80, 95),
            )
        elif uom == "m":
            line.update(qty=str(Decimal(rng.randint(10, 2000)) / 10), unit=rng.choice(["m", "mtr", "M"]))
        elif uom == "kg":
            line.update(qty=str(Decimal(rng.randint(5, 80)) / 4), unit="kg")
        else:
            line.update(qty=rng.randint(1, 400), unit=rng.choice(["pcs", "Nos", "ea"]))
        lines.append(line)
    return lines


def xlsx_bytes(
    lines: list[dict[str, object]],
    *,
    title_rows: list[str] | None = None,
    sheet: str = "Parts",
    columns: tuple[str, ...] = CUT_EXPORT_COLUMNS,
) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for title in title_rows or []:
        worksheet.append([title])
    worksheet.append(list(columns))
    for line in lines:
        worksheet.append([_cell(line.get(name, "")) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, str) and value and value.replace(".", "", 1).isdigit():
        return float(value) if "." in value else int(value)
    return None if value == "" else value


def csv_bytes(
    lines: list[dict[str, object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    columns: tuple[str, ...] = CUT_EXPORT_COLUMNS,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), delimiter=delimiter, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for line in lines:
        writer.writerow(line)
    return buffer.getvalue().encode(encoding)


def lpo_csv_bytes(rows: list[dict[str, object]]) -> bytes:
    columns = [
        "lpo_id",
        "customer_lpo_ref",
        "customer",
        "project_id",
        "plant_id",
        "po_quantity_m2",
        "delivered_quantity_m2",
        "status",
        "currency",
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in columns})
    return buffer.getvalue().encode()
