"""Uploads: photos, JPEG or PNG by content (not by name), without the metadata a phone
writes into them; and PDF documents (a policy's attachments). At most 5 MB, stored under
random names."""

from __future__ import annotations

import hashlib
import io
import secrets

from PIL import Image, ImageOps, UnidentifiedImageError

from backend import storage
from backend.db import write_transaction
from backend.errors import DomainError, Invalid
from backend.models import Shop, Upload, User

MAX_BYTES = 5 * 1024 * 1024
# Phone cameras write JPEGs with a second, embedded picture, which Pillow calls MPO: still a JPEG.
ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "MPO": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
PDF = "application/pdf"


class TooLarge(DomainError):
    status = 413
    key = "too_large"


def check_image(data: bytes) -> str:
    """The image's format if it is a JPEG or PNG; otherwise a 4xx naming the field."""
    if not data:
        raise Invalid.field("file", "is empty", location="files", key="empty_file")
    if len(data) > MAX_BYTES:
        raise TooLarge.field(
            "file", "larger than %(limit)s", location="files", params={"limit": "5 MB"}
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.verify()
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid.field(
            "file", "is not a JPEG or PNG image", location="files", key="not_jpeg_or_png"
        ) from None
    if fmt not in ALLOWED:
        raise Invalid.field(
            "file",
            "is %(format)s; only JPEG or PNG are accepted",
            location="files",
            key="not_jpeg_or_png",
            params={"format": fmt},
        )
    return fmt


def _too_many_pixels() -> Invalid:
    return Invalid.field(
        "file", "has too many pixels for a photo", location="files", key="too_many_pixels"
    )


def store(shop: Shop | None, user: User | None, stream) -> Upload:
    """Check, then write the bytes and the row; a failure leaves neither behind.

    Call inside the caller's write transaction: if it rolls back after this
    returns, `discard` the file.
    """
    data = stream.read(MAX_BYTES + 1)
    fmt = check_image(data)
    content_type, _ = ALLOWED[fmt]
    return _written(shop, user, resaved(data, fmt), content_type)


def store_document(user: User, stream) -> Upload:
    """A PDF, by its content: its header, and the end-of-file mark a complete one has
    (an upload broken off half way has none). In a write transaction of its own."""
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise Invalid.field("file", "is empty", location="files", key="empty_file")
    if len(data) > MAX_BYTES:
        raise TooLarge.field(
            "file", "larger than %(limit)s", location="files", params={"limit": "5 MB"}
        )
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise Invalid.field("file", "is not a PDF document", location="files", key="not_pdf")
    with write_transaction():
        return _written(None, user, data, PDF)


def _written(shop: Shop | None, user: User | None, data: bytes, content_type: str) -> Upload:
    public_id = secrets.token_urlsafe(18)
    key = f"{public_id}.{ALLOWED_EXT[content_type]}"
    storage.files().put(key, data, content_type)
    try:
        return Upload.create(
            public_id=public_id,
            shop=shop,
            uploaded_by=user,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    except Exception:
        storage.files().delete(key)
        raise


# High enough that a re-saved phone photo shows no loss at the sizes it is looked at.
JPEG_QUALITY = 90


def store_personal(user: User, stream) -> Upload:
    """A photo that belongs to no shop (a report's, a work order's), kept as its
    uploader's, in a write transaction of its own."""
    with write_transaction():
        return store(None, user, stream)


def personal(
    user_id: int, public_ids: list[str], field: str, documents: bool = False
) -> list[Upload]:
    """The uploads named, in the order named, when each is `user_id`'s own and belongs to
    no shop, photos (or with `documents`, PDFs); any other is a 422 on `field`."""
    kind = (Upload.content_type == PDF) if documents else (Upload.content_type != PDF)
    found = {
        upload.public_id: upload
        for upload in Upload.select().where(
            Upload.public_id.in_(public_ids)
            & (Upload.uploaded_by == user_id)
            & Upload.shop.is_null()
            & kind
        )
    }
    if set(public_ids) - set(found):
        if documents:
            raise Invalid.field(field, "not a PDF you uploaded", key="not_your_document")
        raise Invalid.field(field, "not a photo you uploaded", key="not_your_photo")
    return [found[public_id] for public_id in public_ids]


def resaved(data: bytes, fmt: str) -> bytes:
    """The photo as it is seen, every pixel decoded, without where and when it was taken,
    the device, or any second picture; a damaged photo is a 4xx naming the field.

    verify() reads a JPEG's headers only: a photo whose upload broke off half way would
    be stored and show grey or broken wherever it is looked at. Pillow only warns between
    its pixel limit and twice that; here the limit is a limit, checked before decoding,
    so a crafted header cannot make us allocate gigabytes.

    A phone writes its GPS position (a resident's home, often) into every photo; no one
    looking at a licence or a broken street lamp needs it. Pillow writes the picture
    afresh: turned upright (the orientation applied to the pixels), with its colour
    profile and nothing else of the original's metadata, however the file was laid out.
    Only the first picture of a phone's MPO file is kept.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > Image.MAX_IMAGE_PIXELS:
                raise _too_many_pixels()
            image.load()
            upright = ImageOps.exif_transpose(image)
            profile = image.info.get("icc_profile")
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError):
        raise Invalid.field(
            "file",
            "is damaged or incomplete; send the photo again",
            location="files",
            key="damaged_image",
        ) from None
    # What Pillow carried over into `info` (EXIF, XMP, text chunks) is not written back.
    keep = {"icc_profile": profile} if profile else {}
    if "transparency" in upright.info:
        keep["transparency"] = upright.info["transparency"]
    upright.info = {}
    out = io.BytesIO()
    if fmt == "PNG":
        upright.save(out, format="PNG", **keep)
    else:
        upright.save(out, format="JPEG", quality=JPEG_QUALITY, **keep)
    return out.getvalue()


def key_of(upload: Upload) -> str:
    return f"{upload.public_id}.{ALLOWED_EXT[upload.content_type]}"


def send(upload: Upload):
    """The upload's bytes as a response (404 JSON if storage has lost them)."""
    return storage.send(key_of(upload), upload.content_type)


def discard(upload: Upload) -> None:
    storage.files().delete(key_of(upload))


ALLOWED_EXT = {content_type: ext for content_type, ext in ALLOWED.values()} | {PDF: "pdf"}
