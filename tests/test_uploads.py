"""Photo uploads: JPEG/PNG by content, at most 5 MB, random names, only for the shop's people."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from PIL import Image

from backend.db import database
from backend.models import Upload


@pytest.fixture
def shop(make):
    places = make.region_tree()
    return make.shop("owner", places["street_a"])


def _png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(client, shop, data: bytes, filename: str):
    return client.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _stored(config) -> list[str]:
    folder = config.upload_dir
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_png_is_stored_under_a_random_name_and_served_to_the_owner(client, shop, config):
    owner = client.login("owner")
    response = _upload(owner, shop, _png(), "licence.png")
    assert response.status_code == 201
    upload = response.get_json()
    assert upload["content_type"] == "image/png"
    assert "licence" not in upload["id"] and all("licence" not in f for f in _stored(config))
    image = owner.get(f"/api/v1/merchant/shops/{shop.public_id}/uploads/{upload['id']}")
    assert image.status_code == 200 and image.data == _png()


def test_a_stranger_cannot_fetch_the_photo(client, shop):
    upload = _upload(client.login("owner"), shop, _png(), "a.png").get_json()
    stranger = client.login("stranger")
    response = stranger.get(f"/api/v1/merchant/shops/{shop.public_id}/uploads/{upload['id']}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "data,filename,status",
    [
        (b"just some text pretending\n" * 10, "photo.jpg", 422),
        (b"", "empty.png", 422),
        (b"GIF89a" + b"\x00" * 100, "anim.png", 422),
    ],
)
def test_bad_files_are_rejected_and_nothing_is_stored(client, shop, config, data, filename, status):
    response = _upload(client.login("owner"), shop, data, filename)
    assert response.status_code == status
    assert "file" in response.get_json()["errors"]["files"]
    assert _stored(config) == []
    with database.connection_context():
        assert Upload.select().count() == 0


def test_oversized_file_is_rejected_and_nothing_is_stored(client, shop, config):
    big = _png() + b"\x00" * (5 * 1024 * 1024)
    response = _upload(client.login("owner"), shop, big, "big.png")
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
    assert _stored(config) == []
    with database.connection_context():
        assert Upload.select().count() == 0


def test_a_request_beyond_the_service_limit_says_which_limit(client, shop, config):
    huge = _png() + b"\x00" * (7 * 1024 * 1024)
    response = _upload(client.login("owner"), shop, huge, "huge.png")
    assert response.status_code == 413
    assert "5 MB" in response.get_json()["message"]
    assert "file" in response.get_json()["errors"]["files"]
    assert _stored(config) == []


def test_a_phone_camera_jpeg_with_an_embedded_picture_is_a_jpeg(client, shop):
    # Many phones write MPO: a JPEG followed by a second, smaller picture.
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(
        buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (20, 15), "blue")]
    )
    response = _upload(client.login("owner"), shop, buffer.getvalue(), "IMG_0001.jpg")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/jpeg"


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb's calling card)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_picture_of_absurd_size_is_refused_and_nothing_is_stored(client, shop, config):
    response = _upload(client.login("owner"), shop, _png_claiming(20000, 20000), "bomb.png")
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["files"]
    assert _stored(config) == []


def test_missing_file_names_the_field(client, shop):
    owner = client.login("owner")
    response = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["files"]


def test_licence_photo_must_belong_to_the_shop(client, make, shop):
    places_b = make.region("310104099", "另一街道", "street", None)
    other = make.shop("other_owner", places_b, name="别家")
    theirs = _upload(client.login("other_owner"), other, _png(), "x.png").get_json()
    response = client.login("owner").post(
        f"/api/v1/merchant/shops/{shop.public_id}/licences",
        json={
            "type": "food_business",
            "number": "JY12345678",
            "issuer": "区市场监管局",
            "valid_from": "2024-01-01",
            "valid_to": "2029-01-01",
            "photo": theirs["id"],
        },
    )
    assert response.status_code == 422
    assert "photo" in response.get_json()["errors"]["json"]


def _cut_short(fmt: str) -> bytes:
    """A real photo whose upload broke off half way: the header is whole, the picture not."""
    buffer = io.BytesIO()
    noise = Image.effect_noise((200, 150), 60).convert("RGB")
    noise.save(buffer, format=fmt)
    data = buffer.getvalue()
    return data[: len(data) // 2]


@pytest.mark.parametrize("fmt,filename", [("JPEG", "licence.jpg"), ("PNG", "licence.png")])
def test_a_photo_cut_short_is_refused_and_nothing_is_stored(client, shop, config, fmt, filename):
    response = _upload(client.login("owner"), shop, _cut_short(fmt), filename)
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["files"]
    assert _stored(config) == []
    with database.connection_context():
        assert Upload.select().count() == 0


GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def _phone_photo() -> bytes:
    """A JPEG as a phone writes it: stored on its side with an EXIF orientation, and with
    the camera and where it was taken. Its top half is red, the bottom half blue."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown turned 90° clockwise
    exif[MAKE] = "Apple"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 12.0, 30.0), 3: "E", 4: (121.0, 26.0, 40.0)})
    stored = Image.new("RGB", (64, 48), "blue")
    stored.paste("red", (0, 0, 32, 48))  # the left half, stored, is the top half, shown
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_served_photo_no_longer_says_where_it_was_taken(client, shop):
    owner = client.login("owner")
    upload = _upload(owner, shop, _phone_photo(), "IMG_0001.jpg").get_json()

    served = owner.get(f"/api/v1/merchant/shops/{shop.public_id}/uploads/{upload['id']}").data

    assert b"Apple" not in served
    with Image.open(io.BytesIO(served)) as photo:
        exif = photo.getexif()
        assert not exif.get_ifd(GPS_IFD) and GPS_IFD not in exif and MAKE not in exif
        # Still the right way up, with no orientation left for a viewer to apply.
        assert ORIENTATION not in exif and photo.size == (48, 64)
        top, bottom = photo.convert("RGB").getpixel((24, 8)), photo.getpixel((24, 56))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]
    assert upload["size"] == len(served)


def test_a_served_png_carries_none_of_its_text_or_exif(client, shop):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "31.2071,121.4488")
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 12.0, 30.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG", pnginfo=info, exif=exif)
    owner = client.login("owner")
    upload = _upload(owner, shop, buffer.getvalue(), "screen.png").get_json()

    served = owner.get(f"/api/v1/merchant/shops/{shop.public_id}/uploads/{upload['id']}").data

    assert b"31.2071" not in served and b"eXIf" not in served
    with Image.open(io.BytesIO(served)) as photo:
        assert photo.size == (40, 30) and not photo.getexif().get_ifd(GPS_IFD)


def test_only_the_first_picture_of_a_phone_jpeg_is_kept(client, shop):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(
        buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (20, 15), "blue")]
    )
    owner = client.login("owner")
    upload = _upload(owner, shop, buffer.getvalue(), "IMG_0002.jpg").get_json()

    served = owner.get(f"/api/v1/merchant/shops/{shop.public_id}/uploads/{upload['id']}").data

    with Image.open(io.BytesIO(served)) as photo:
        assert photo.format == "JPEG" and photo.size == (40, 30)
        photo.load()


def test_a_text_field_beside_the_photo_is_refused_and_named(client, shop, config):
    owner = client.login("owner")
    response = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(_png()), "shop.png"), "shop_id": "someone-elses"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    assert "shop_id" in response.get_json()["errors"]["files"]
    assert _stored(config) == []
    # Text sent under the photo's own name is not a photo.
    text_as_file = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": "hello"},
        content_type="multipart/form-data",
    )
    assert text_as_file.status_code == 422, text_as_file.get_json()
    assert "file" in text_as_file.get_json()["errors"]["files"]
