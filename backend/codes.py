"""Code ids, their printed URLs, and QR rendering (SVG, PNG with the shop's name, print sheets).

A code id is random (never derived from the shop), upper case from an unambiguous
alphabet, so the printed URL stays in QR's alphanumeric mode: version 3 at error
correction H, readable from a metre away and with a scratched corner.
"""

from __future__ import annotations

import io
import os
import secrets
from functools import lru_cache

import img2pdf
import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_H

from backend import clock, lifecycle
from backend.models import ShopCode
from backend.text import as_one_line

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
CODE_LENGTH = 10
QUIET_ZONE_MODULES = 4
MAX_PRINTED_URL = 35
FONT_CANDIDATES = (
    os.environ.get("CJK_FONT_PATH", ""),
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def new_code_id() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code_id(raw: str) -> str:
    return raw.strip().upper()


def looks_like_code_id(raw: str) -> bool:
    code = normalise_code_id(raw)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def printed_url(public_base_url: str, code: str) -> str:
    """The URL as printed: all upper case, so QR can use its compact alphanumeric mode."""
    return f"{public_base_url.rstrip('/')}/s/{code}".upper()


def _qr(data: str, error_correction=ERROR_CORRECT_H) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=error_correction, border=QUIET_ZONE_MODULES)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_version(data: str) -> int:
    return _qr(data).version


def render_svg(data: str, error_correction=ERROR_CORRECT_H) -> bytes:
    # Filled white: a transparent quiet zone vanishes on a dark page or a coloured layout.
    image = _qr(data, error_correction).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def render_png(
    data: str, size: int = 600, caption: str | None = None, error_correction=ERROR_CORRECT_H
) -> bytes:
    """A square QR of about `size` pixels, with `caption` (the shop's name) under it."""
    qr = _qr(data, error_correction)
    modules = qr.modules_count + 2 * QUIET_ZONE_MODULES
    box = max(size // modules, 2)
    qr.box_size = box
    # Greyscale: a sticker is black on white with a smoothed caption. Encoded with zlib's
    # default effort, it is smaller than an optimised RGB file and takes a tenth of the
    # time, which is most of printing a street.
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    if caption:
        image = _with_caption(image, caption)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _font(size: int):
    for path in FONT_CANDIDATES:
        if path and os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _with_caption(qr_image: Image.Image, caption: str) -> Image.Image:
    # One line, whatever the name was stored as before names were checked for it.
    caption = as_one_line(caption)
    width = qr_image.width
    font = _font(max(width // 16, 14))
    draw = ImageDraw.Draw(qr_image)
    text_width = draw.textlength(caption, font=font)
    while text_width > width * 0.92 and len(caption) > 2:
        caption = caption[:-2] + "…"
        text_width = draw.textlength(caption, font=font)
    band = int(font.size * 1.8)
    sheet = Image.new(qr_image.mode, (width, qr_image.height + band), "white")
    sheet.paste(qr_image, (0, 0))
    ImageDraw.Draw(sheet).text(
        ((width - text_width) / 2, qr_image.height - font.size * 0.2),
        caption,
        font=font,
        fill="black",
    )
    return sheet


_PRINT_LAYOUT = img2pdf.get_fixed_dpi_layout_fun((150, 150))


def print_sheet_pdf(entries: list[tuple[str, str]], size: int = 500) -> bytes:
    """One page per (url, caption): the street's codes ready to print as stickers.

    The stickers go into the PDF as the PNGs they are (img2pdf embeds them without
    decoding), so a street of a thousand shops holds a thousand small files in memory,
    not a thousand decoded pictures.
    """
    pages = [render_png(url, size=size, caption=caption) for url, caption in entries]
    if not pages:
        blank = io.BytesIO()
        Image.new("L", (size, size), "white").save(blank, format="PNG")
        pages = [blank.getvalue()]
    return img2pdf.convert(pages, layout_fun=_PRINT_LAYOUT)


# -- issued codes --------------------------------------------------------------
def issue_shop_code(shop, actor: str, reissue: bool = False):
    """Give `shop` a fresh code and revoke the one it replaces, in the caller's transaction."""
    now = clock.now()
    (
        ShopCode.update(revoked_at=now)
        .where((ShopCode.shop == shop) & ShopCode.revoked_at.is_null())
        .execute()
    )
    code = ShopCode.create(code=new_code_id(), kind="shop", shop=shop, issued_at=now)
    # The code id goes into the chain, so a sticker can be traced to when it was valid.
    lifecycle.append(
        shop, "code.reissued" if reissue else "code.issued", actor, {"code": code.code}
    )
    return code


def current_shop_code(shop):
    return ShopCode.select().where((ShopCode.shop == shop) & ShopCode.revoked_at.is_null()).first()
