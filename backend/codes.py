"""Code ids, their printed URLs, and QR rendering (SVG, PNG with the shop's name).

A code id is random (never derived from the shop), upper case from an unambiguous
alphabet, so the printed URL stays in QR's alphanumeric mode: version 3 at error
correction H, readable from a metre away and with a scratched corner.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable
from functools import lru_cache

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
# Where Debian puts a font with Chinese glyphs; CJK_FONT_PATH, when set, comes first.
SYSTEM_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
SCAN_PROMPT = "微信扫一扫 查看商户信息"


class FontMissing(RuntimeError):
    """No font with Chinese glyphs: a sticker would print its words as empty boxes."""


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
    data: str,
    size: int = 600,
    caption: str | None = None,
    error_correction=ERROR_CORRECT_H,
    lines: tuple[tuple[str, float], ...] = (),
) -> bytes:
    """A square QR of about `size` pixels, with `caption` (a name) under it, or `lines`
    of text, each (text, its size against the caption's)."""
    qr = _qr(data, error_correction)
    modules = qr.modules_count + 2 * QUIET_ZONE_MODULES
    box = max(size // modules, 2)
    qr.box_size = box
    # Greyscale: a sticker is black on white with smoothed text. Encoded with zlib's
    # default effort, it is smaller than an optimised RGB file and takes a tenth of the
    # time, which is most of printing a street.
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    lines = lines or (((caption, 1.0),) if caption else ())
    if lines:
        image = _with_lines(image, [(text, scale) for text, scale in lines if text])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sticker_png(url: str, name: str, issuer: str, size: int = 600) -> bytes:
    """A shop's sticker: the QR; under it the code id in small print (a damaged sticker
    can still be typed in), the shop's registered name, how to scan it, and who issued it."""
    code_id = url.rsplit("/", 1)[-1]
    lines = ((code_id, 0.6), (name, 1.0), (SCAN_PROMPT, 0.7), (issuer, 0.6))
    return render_png(url, size=size, lines=lines)


def cjk_font_path(candidates: tuple[str, ...] | None = None) -> str:
    """The first font with Chinese glyphs that is there, or FontMissing naming the setting."""
    if candidates is None:
        candidates = (os.environ.get("CJK_FONT_PATH", ""), *SYSTEM_CJK_FONTS)
    for path in candidates:
        if path and os.path.exists(path):
            return path
    raise FontMissing(
        "no font with Chinese glyphs to print the code's text: set CJK_FONT_PATH to a "
        ".ttf, .ttc or .otf that has them (apt-get install fonts-wqy-zenhei gives one)"
    )


def fitted_line(text: str, fits: Callable[[str], bool]) -> str:
    """`text` on one line, shortened with … until `fits` says it fits the sticker."""
    # One line, whatever the text was stored as before names were checked for it.
    text = as_one_line(text)
    while not fits(text) and len(text) > 2:
        text = text[:-2] + "…"
    return text


@lru_cache(maxsize=16)
def _font(path: str, size: int):
    return ImageFont.truetype(path, size)


def _with_lines(qr_image: Image.Image, lines: list[tuple[str, float]]) -> Image.Image:
    width = qr_image.width
    path, base = cjk_font_path(), max(width // 16, 14)
    draw = ImageDraw.Draw(qr_image)
    fitted = []
    for text, scale in lines:
        font = _font(path, max(int(base * scale), 11))
        text = fitted_line(text, lambda t, font=font: draw.textlength(t, font=font) <= width * 0.92)
        fitted.append((text, font, draw.textlength(text, font=font)))
    band = sum(int(font.size * 1.45) for _, font, _ in fitted) + int(base * 0.6)
    sheet = Image.new(qr_image.mode, (width, qr_image.height + band), "white")
    sheet.paste(qr_image, (0, 0))
    pen = ImageDraw.Draw(sheet)
    # The first line sits in the QR's quiet zone, which needs no more than four modules.
    top = qr_image.height - base * 0.2
    for text, font, text_width in fitted:
        pen.text(((width - text_width) / 2, top), text, font=font, fill="black")
        top += font.size * 1.45
    return sheet


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
