"""A street's stickers as a print shop takes them: an A4 cover page, then six stickers a
page with cut marks, each QR drawn as vector rectangles, the text in STSong-Light (one of
the CJK fonts every PDF reader brings, so nothing is embedded).

A sticker carries what the PNG sticker carries (codes.sticker_png): the QR, its code id in
small print, the shop's registered name, how to scan it and who issued it.
"""

from __future__ import annotations

import io
import math
from datetime import date
from functools import lru_cache

import numpy as np
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from backend import codes, progress, qrsymbols

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = A4
COLUMNS, ROWS = 2, 3
PER_PAGE = COLUMNS * ROWS
MARGIN = 10 * mm
CELL_WIDTH = (PAGE_WIDTH - 2 * MARGIN) / COLUMNS
CELL_HEIGHT = (PAGE_HEIGHT - 2 * MARGIN) / ROWS
# Each sticker sits in its cell with this much paper around it, where the cut marks go.
GUTTER = 5 * mm
STICKER_WIDTH = CELL_WIDTH - 2 * GUTTER  # 85 mm
STICKER_HEIGHT = CELL_HEIGHT - 2 * GUTTER  # 82 mm
QR_SIDE = 63 * mm  # quiet zone included: a version-3 module is 1.7 mm, as large as fits
# Cut marks continue each edge outside the sticker, clear of the corner so a cut that
# strays by a hair leaves no line on the sticker, and clear of the next cell's marks.
CUT_MARK_FROM, CUT_MARK_TO = 1.5 * mm, 4.5 * mm
CUT_MARK_WIDTH = 0.25
TEXT_WIDTH = STICKER_WIDTH * 0.92
# (points, baseline below the previous one) for the code id, name, scan prompt, issuer.
CODE_ID, NAME, PROMPT, ISSUER = (7, 8.5), (12, 16), (8.5, 12.5), (7, 10.5)
FRAME = "sticker"


def street_sheet(
    street_name: str,
    street_code: str,
    entries: list[tuple[str, str]],
    issuer: str,
    printed_on: date,
    shown=progress.quietly,
) -> bytes:
    """The cover, then a sticker for each (printed url, shop name), in that order; `shown`
    counts the pages off."""
    _register_font()
    buffer = io.BytesIO()
    # Invariant: no timestamp or random id in the file, so a reprint is byte for byte the same.
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"{street_name} 商户码")
    canvas.setAuthor(issuer)
    pages = math.ceil(len(entries) / PER_PAGE)
    _cover(canvas, street_name, street_code, len(entries), pages, issuer, printed_on)
    if entries:
        _frame(canvas, issuer)
        paths = _qr_paths(qrsymbols.symbols([url for url, _ in entries]))
        for page in shown(range(pages), "pages"):
            for slot in range(min(PER_PAGE, len(entries) - page * PER_PAGE)):
                i = page * PER_PAGE + slot
                url, name = entries[i]
                _sticker(canvas, slot, url, name, paths[i])
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _fitted(text: str, size: float) -> str:
    return codes.fitted_line(text, lambda t: pdfmetrics.stringWidth(t, FONT, size) <= TEXT_WIDTH)


def _cover(canvas, street_name, street_code, shops, pages, issuer, printed_on) -> None:
    """What the print shop and whoever hands the stickers out check the run against."""
    left, top = 30 * mm, PAGE_HEIGHT - 40 * mm
    canvas.setFont(FONT, 22)
    canvas.drawString(left, top, "汇商码 商户张贴码")
    canvas.setFont(FONT, 16)
    canvas.drawString(left, top - 16 * mm, f"{street_name}（{street_code}）")
    lines = (
        f"商户数：{shops}",
        f"打印日期：{printed_on.isoformat()}",
        f"发码单位：{issuer}",
        f"共 {pages} 页张贴码，每页 {PER_PAGE} 张，A4 原尺寸（100%）打印，沿裁切线裁开",
    )
    canvas.setFont(FONT, 12)
    for n, line in enumerate(lines):
        canvas.drawString(left, top - (32 + 10 * n) * mm, line)
    canvas.showPage()


def _frame(canvas, issuer: str) -> None:
    """What every sticker has alike, drawn once: its cut marks, how to scan, the issuer."""
    reach = CUT_MARK_TO
    canvas.beginForm(FRAME, -reach, -reach, STICKER_WIDTH + reach, STICKER_HEIGHT + reach)
    canvas.setLineWidth(CUT_MARK_WIDTH)
    marks = []
    for x in (0, STICKER_WIDTH):
        for y in (0, STICKER_HEIGHT):
            out_x = -1 if x == 0 else 1
            out_y = -1 if y == 0 else 1
            marks.append((x + out_x * CUT_MARK_FROM, y, x + out_x * CUT_MARK_TO, y))
            marks.append((x, y + out_y * CUT_MARK_FROM, x, y + out_y * CUT_MARK_TO))
    canvas.lines(marks)
    baseline = STICKER_HEIGHT - QR_SIDE - CODE_ID[1] - NAME[1]
    for (size, below), text in ((PROMPT, codes.SCAN_PROMPT), (ISSUER, issuer)):
        baseline -= below
        canvas.setFont(FONT, size)
        canvas.drawCentredString(STICKER_WIDTH / 2, baseline, _fitted(text, size))
    canvas.endForm()


def _sticker(canvas, slot: int, url: str, name: str, qr_path: str) -> None:
    column, row = slot % COLUMNS, slot // COLUMNS
    x = MARGIN + column * CELL_WIDTH + GUTTER
    y = PAGE_HEIGHT - MARGIN - (row + 1) * CELL_HEIGHT + GUTTER
    canvas.saveState()
    canvas.translate(x, y)
    canvas.doForm(FRAME)
    canvas.addLiteral(qr_path)
    centre, baseline = STICKER_WIDTH / 2, STICKER_HEIGHT - QR_SIDE - CODE_ID[1]
    canvas.setFont(FONT, CODE_ID[0])
    canvas.drawCentredString(centre, baseline, url.rsplit("/", 1)[-1])
    canvas.setFont(FONT, NAME[0])
    canvas.drawCentredString(centre, baseline - NAME[1], _fitted(name, NAME[0]))
    canvas.restoreState()


def _qr_paths(symbols: list[np.ndarray]) -> list[str]:
    """Each symbol as PDF path operators in sticker space, filled black: one rectangle per
    horizontal run of dark modules, in units of one module (so the numbers are small
    integers), all in one path so no renderer shows seams between them."""
    paths: list[str] = [""] * len(symbols)
    for side in {len(symbol) for symbol in symbols}:
        at = [i for i, symbol in enumerate(symbols) if len(symbol) == side]
        for i, path in zip(at, _paths_of(np.stack([symbols[i] for i in at])), strict=True):
            paths[i] = path
    return paths


def _paths_of(stack: np.ndarray) -> list[str]:
    count, side = stack.shape[0], stack.shape[-1]
    module = QR_SIDE / (side + 2 * codes.QUIET_ZONE_MODULES)
    left = (STICKER_WIDTH - QR_SIDE) / 2 + codes.QUIET_ZONE_MODULES * module
    bottom = STICKER_HEIGHT - QR_SIDE + codes.QUIET_ZONE_MODULES * module
    head = f"q 0 g {module:.4f} 0 0 {module:.4f} {left:.3f} {bottom:.3f} cm "
    # Where each run of dark modules starts (+1) and ends (-1), symbol by symbol, row by row.
    edges = np.diff(np.pad(stack, ((0, 0), (0, 0), (1, 1))).astype(np.int8), axis=-1)
    symbol, row, start = np.nonzero(edges == 1)
    width = np.nonzero(edges == -1)[2] - start
    corners, widths = _rect_words(side)
    words = np.empty(2 * len(start), dtype=object)
    words[0::2] = corners[(side - 1 - row) * side + start]  # PDF counts rows from the bottom
    words[1::2] = widths[width]
    words = words.tolist()
    ends = 2 * np.cumsum(np.bincount(symbol, minlength=count))
    return [
        head + " ".join(words[begin:end]) + " f Q"
        for begin, end in zip([0, *ends[:-1].tolist()], ends.tolist(), strict=True)
    ]


@lru_cache(maxsize=4)
def _rect_words(side: int) -> tuple[np.ndarray, np.ndarray]:
    """The words of `x y width 1 re`, made once: "x y" for every module, "width 1 re"
    for every width, so a street's hundreds of thousands of runs are looked up."""
    corners = np.array([f"{x} {y}" for y in range(side) for x in range(side)], dtype=object)
    widths = np.array([f"{width} 1 re" for width in range(side + 1)], dtype=object)
    return corners, widths
