"""Render the stub's stand-in for a mini-program code: a plain QR code of the scene string."""

from __future__ import annotations

import io

import qrcode
from PIL import Image

BORDER_MODULES = 4


def render_png(text: str, width: int) -> bytes:
    """A square PNG about `width` pixels wide that scans back to `text`."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=BORDER_MODULES, box_size=1
    )
    qr.add_data(text)
    qr.make(fit=True)
    modules = qr.modules_count + 2 * BORDER_MODULES
    qr.box_size = max(1, width // modules)
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    # Whole-pixel modules first, then NEAREST to the exact width so edges stay sharp.
    image = image.resize((width, width), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
