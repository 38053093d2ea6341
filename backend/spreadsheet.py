"""CSV that staff open in Excel: the Chinese read as UTF-8, and nobody's text run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A spreadsheet program runs a cell that starts with one of these as a formula; shop
# names, addresses and residents' answers are typed by people we do not know.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_document(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """The rows as CSV, every cell made safe, with the BOM Excel needs to read UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
