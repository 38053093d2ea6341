"""The printed sticker as a print shop and a phone's camera meet it: what it says under
the code, and that it still scans when the photo of it is poor."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from backend import codes
from tests.test_printed_codes import MERCHANT, printed, read_qr


@pytest.fixture
def shop(make):
    return make.shop("shopkeeper", make.region_tree()["street_a"], name="老王面馆")


def _sticker(client, shop) -> Image.Image:
    png = client.login("shopkeeper").get(f"{MERCHANT}/{shop.public_id}/code.png?size=600")
    assert png.status_code == 200
    return Image.open(io.BytesIO(png.data)).convert("L")


def _text_lines(band: Image.Image) -> list[tuple[int, int]]:
    """The runs of rows that carry any ink (the glyphs' smoothed edges too), top to
    bottom: one per line of text."""
    rows = [band.crop((0, y, band.width, y + 1)).getextrema()[0] < 250 for y in range(band.height)]
    runs, start = [], None
    for y, inked in enumerate([*rows, False]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            runs.append((start, y))
            start = None
    return runs


def test_the_sticker_says_its_code_id_name_how_to_scan_and_who_issued_it(client, make, shop):
    image = _sticker(client, shop)
    assert read_qr(image).text == printed(make.code_of(shop))
    lines = _text_lines(image.crop((0, image.width, image.width, image.height)))
    # code id (small), the name (largest), 微信扫一扫 查看商户信息, the issuer (small)
    assert len(lines) == 4, lines
    heights = [bottom - top for top, bottom in lines]
    assert heights[1] == max(heights) and heights[0] < heights[1] and heights[3] < heights[1]


def test_the_issuer_printed_is_the_one_configured(app, client, make, shop, config):
    from backend import create_app
    from tests.factories import ApiClient

    default = _sticker(client, shop)
    other = create_app(config.replace(sticker_issuer="上海市黄浦区市场监督管理局"))
    elsewhere = _sticker(ApiClient(other), shop)
    # Everything but the issuer's line is the same.
    issuer_tops = [
        _text_lines(im.crop((0, im.width, im.width, im.height)))[3][0]
        for im in (default, elsewhere)
    ]
    above_issuer = default.width + min(issuer_tops)
    width = default.width
    assert default.crop((0, 0, width, above_issuer)).tobytes() == (
        elsewhere.crop((0, 0, width, above_issuer)).tobytes()
    )
    assert default.tobytes() != elsewhere.tobytes()


@pytest.mark.once
def test_without_a_chinese_font_printing_stops_naming_the_setting(tmp_path):
    with pytest.raises(codes.FontMissing, match="CJK_FONT_PATH"):
        codes.cjk_font_path((str(tmp_path / "absent.ttc"), ""))
    assert (
        codes.cjk_font_path((str(tmp_path / "absent.ttc"), codes.SYSTEM_CJK_FONTS[0]))
        == (codes.SYSTEM_CJK_FONTS[0])
    )


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def _shadowed(image: Image.Image) -> Image.Image:
    shade = image.copy()
    half = shade.crop((0, 0, shade.width // 2, shade.height))
    shade.paste(ImageEnhance.Brightness(half).enhance(0.55), (0, 0))
    return shade


# What a phone's camera makes of a sticker on a shop's door.
CAMERA = {
    "far away": lambda im: im.resize((im.width // 4, im.height // 4), Image.BILINEAR),
    "further": lambda im: im.resize((im.width // 5, im.height // 5), Image.BILINEAR),
    "out of focus": lambda im: im.filter(ImageFilter.GaussianBlur(2)),
    "shaky": lambda im: im.filter(ImageFilter.BoxBlur(3)),
    "tilted": lambda im: im.rotate(8, expand=True, fillcolor=255),
    "askew": lambda im: im.rotate(30, expand=True, fillcolor=255),
    "upside down": lambda im: im.rotate(180),
    "sheared": lambda im: im.transform(
        im.size, Image.AFFINE, (1, 0.15, -40, 0.05, 1, -10), fillcolor=255
    ),
    "compressed": lambda im: _jpeg(im, 15),
    "faded": lambda im: ImageEnhance.Contrast(im).enhance(0.35),
    "in a shadow": _shadowed,
    "dim": lambda im: ImageEnhance.Brightness(im).enhance(0.45),
}


def test_a_camera_reads_the_sticker_in_eleven_of_twelve_poor_photos(client, make, shop):
    image, url = _sticker(client, shop), printed(make.code_of(shop))
    read = {}
    for name, photograph in CAMERA.items():
        try:
            read[name] = read_qr(photograph(image)).text == url
        except AssertionError:
            read[name] = False
    assert sum(read.values()) >= 11, read
