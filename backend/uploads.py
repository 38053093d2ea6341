"""Photo uploads: JPEG or PNG by content (not by name), at most 5 MB, stored under random names,
without the metadata a phone writes into them."""
from __future__ import annotations

import hashlib
import io
import os
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from backend.errors import DomainError, Invalid
from backend.models import Shop, Upload, User

MAX_BYTES = 5 * 1024 * 1024
# Phone cameras write JPEGs with a second, embedded picture, which Pillow calls MPO: still a JPEG.
ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "MPO": ("image/jpeg", "jpg"),
           "PNG": ("image/png", "png")}


class TooLarge(DomainError):
    status = 413


def upload_dir() -> Path:
    path = Path(current_app.config["CITYCODE"].upload_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_image(data: bytes) -> str:
    """The image's format if it is a JPEG or PNG; otherwise a 4xx naming the field."""
    if not data:
        raise Invalid.field("file", "is empty", location="files")
    if len(data) > MAX_BYTES:
        raise TooLarge("file: larger than 5 MB", errors={"files": {"file": ["larger than 5 MB"]}})
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.verify()
    except Image.DecompressionBombError:
        raise Invalid.field("file", "has too many pixels for a photo", location="files")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid.field("file", "is not a JPEG or PNG image", location="files")
    if fmt not in ALLOWED:
        raise Invalid.field("file", f"is {fmt}; only JPEG or PNG are accepted", location="files")
    _decode(data)
    return fmt


def _decode(data: bytes) -> None:
    """Decode every pixel: verify() reads a JPEG's headers only, so a photo whose upload
    broke off half way would be stored and show grey or broken wherever it is looked at.

    Pillow only warns between its pixel limit and twice that; here the limit is a limit,
    checked before decoding, so a crafted header cannot make us allocate gigabytes.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > Image.MAX_IMAGE_PIXELS:
                raise Invalid.field("file", "has too many pixels for a photo", location="files")
            image.load()
    except Image.DecompressionBombError:
        raise Invalid.field("file", "has too many pixels for a photo", location="files")
    except (OSError, SyntaxError, ValueError):
        raise Invalid.field("file", "is damaged or incomplete; send the photo again",
                            location="files")


def store(shop: Shop | None, user: User | None, stream) -> Upload:
    """Check, then write the bytes and the row; a failure leaves neither behind.

    Call inside the caller's write transaction: if it rolls back after this
    returns, `discard` the file.
    """
    data = stream.read(MAX_BYTES + 1)
    fmt = check_image(data)
    data = without_metadata(data, fmt)
    content_type, ext = ALLOWED[fmt]
    public_id = secrets.token_urlsafe(18)
    path = upload_dir() / f"{public_id}.{ext}"
    path.write_bytes(data)
    try:
        return Upload.create(
            public_id=public_id, shop=shop, uploaded_by=user, content_type=content_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise


ORIENTATION = 0x0112
_EXIF = b"Exif\x00\x00"
_MPF = b"MPF\x00"
_APP1, _APP2, _APP13, _COMMENT, _START_OF_SCAN = 0xE1, 0xE2, 0xED, 0xFE, 0xDA
_PNG_TEXT = (b"eXIf", b"tEXt", b"zTXt", b"iTXt")


def without_metadata(data: bytes, fmt: str) -> bytes:
    """The photo without where and when it was taken, the device, or any second picture.

    A phone writes its GPS position (a resident's home, often) into every photo; no one
    looking at a licence or a broken street lamp needs it. Only the orientation stays,
    so the photo still shows the right way up. The picture's own bytes are copied, not
    re-encoded; a file laid out in a way this does not follow is kept as it came.
    """
    try:
        if fmt == "PNG":
            return _png_without_text(data)
        with Image.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(ORIENTATION)
            if fmt == "MPO":
                # The first picture alone: the others carry metadata of their own.
                data = data[:image.mpinfo[0xB002][0]["Size"]]
        return _jpeg_without_metadata(data, orientation)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError, OSError):
        return data


def _jpeg_without_metadata(data: bytes, orientation: int | None) -> bytes:
    kept, pos = [data[:2]], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == _START_OF_SCAN:
            kept.append(data[pos:])
            return b"".join(kept)
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        payload = data[pos + 4:end]
        if marker == _APP1 and payload.startswith(_EXIF) and orientation:
            kept.append(_exif_segment(orientation))
        elif not (marker in (_APP1, _APP13, _COMMENT)
                  or (marker == _APP2 and payload.startswith(_MPF))):
            kept.append(data[pos:end])
        pos = end
    raise ValueError("no image data found")


def _exif_segment(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    body = exif.tobytes()  # starts with Exif\0\0
    return b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body


def _png_without_text(data: bytes) -> bytes:
    kept, pos = [data[:8]], 8
    while pos + 12 <= len(data):
        end = pos + 12 + int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] not in _PNG_TEXT:
            kept.append(data[pos:end])
        if data[pos + 4:pos + 8] == b"IEND":
            return b"".join(kept)
        pos = end
    raise ValueError("no end chunk found")


def path_of(upload: Upload) -> Path:
    return upload_dir() / f"{upload.public_id}.{ALLOWED_EXT[upload.content_type]}"


def discard(upload: Upload) -> None:
    os.unlink(path_of(upload))


ALLOWED_EXT = {content_type: ext for content_type, ext in ALLOWED.values()}
