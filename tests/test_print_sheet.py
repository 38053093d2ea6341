"""A street's PDF as the print shop and then a phone meet it: A4 sheets, a cover to check
the run against, six stickers a page drawn as vectors, every code scanning to its shop;
and the fast QR symbols module for module what the qrcode library makes."""

from __future__ import annotations

import io
import math
import random
import zipfile
from datetime import timedelta

import numpy as np
import pypdf
import pypdfium2
import pytest
import qrcode
import zxingcpp
from qrcode import util
from qrcode.constants import ERROR_CORRECT_H

from backend import clock, codes, qrsymbols, stickersheet
from tests import test_printed_codes
from tests.test_printed_codes import printed
from tests.test_progress import on_terminal

# The shops and streets tests/test_printed_codes.py prints, as fixtures of this module too.
places, street_print = test_printed_codes.places, test_printed_codes.street_print

A4_POINTS = (595, 842)
ISSUER = "徐汇区市场监督管理局"  # the configured STICKER_ISSUER's default


def _street_pdf(client, street: str, admin: str = "admin_a") -> bytes:
    response = client.login(admin).get(f"/api/v1/admin/streets/{street}/codes?format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def _pages(pdf: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _scanned(pdf: bytes) -> list[list[zxingcpp.Barcode]]:
    """What a scanner reads on each sticker page, rendered at 108 dpi (7 pixels a module)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = [document[i].render(scale=1.5).to_pil() for i in range(1, len(document))]
    finally:
        document.close()
    return [zxingcpp.read_barcodes(page.convert("RGB")) for page in pages]


@pytest.fixture
def busy_street(make, places):
    """Street A with seven active shops: a full page of stickers and one more."""
    make.staff("admin_a", "admin", places["street_a"])
    shops = [make.shop(f"owner_{i}", places["street_a"], name=f"第{i}家小店") for i in range(7)]
    return places["street_a"].code, {printed(make.code_of(s)): s.name for s in shops}


def test_the_street_pdf_is_a4_a_cover_then_six_stickers_a_page(client, busy_street):
    street, expected = busy_street
    pdf = _street_pdf(client, street)
    pages = _pages(pdf)
    assert len(pages) == 1 + math.ceil(len(expected) / stickersheet.PER_PAGE) == 3
    for page in pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_POINTS, abs=1)
    scanned = _scanned(pdf)
    assert [len(found) for found in scanned] == [6, 1]
    assert {code.text for found in scanned for code in found} == set(expected)


def test_the_cover_names_the_street_its_shop_count_the_shanghai_date_and_the_issuer(
    client, street_print
):
    # 17:30 UTC is already tomorrow in Shanghai: the date printed is Shanghai's.
    now = clock.now()
    evening = now.replace(hour=17, minute=30) + timedelta(days=1)
    clock.travel(evening - now)
    street, expected = street_print
    cover = _pages(_street_pdf(client, street))[0].extract_text()
    assert "天平路街道" in cover and street in cover
    assert f"商户数：{len(expected)}" in cover and len(expected) == 3
    shanghai_day = evening.date() + timedelta(days=1)
    assert f"打印日期：{shanghai_day.isoformat()}" in cover
    assert f"发码单位：{ISSUER}" in cover


def test_the_stickers_are_drawn_as_vectors_with_no_picture_in_the_file(client, street_print):
    street, _ = street_print
    pages = _pages(_street_pdf(client, street))
    for page in pages:
        assert len(page.images) == 0
        xobjects = page["/Resources"].get("/XObject", {})
        assert all(xobjects[name].get_object()["/Subtype"] == "/Form" for name in xobjects)


def test_every_sticker_scans_to_one_of_the_streets_printed_urls_at_level_h(client, street_print):
    street, expected = street_print
    found = [code for page in _scanned(_street_pdf(client, street)) for code in page]
    assert sorted(code.text for code in found) == sorted(expected)
    assert {(code.ec_level, code.extra["Version"]) for code in found} == {("H", "3")}


def test_each_sticker_says_its_code_id_name_how_to_scan_and_the_issuer(client, street_print):
    street, expected = street_print
    text = _pages(_street_pdf(client, street))[1].extract_text()
    for url, name in expected.items():
        assert url.rsplit("/", 1)[1] in text and name in text
    assert text.count(codes.SCAN_PROMPT) == len(expected) == 3
    assert text.count(ISSUER) == 3


def test_a_long_name_is_shortened_on_its_sticker(client, make, places):
    make.staff("admin_a", "admin", places["street_a"])
    long_name = "上海市徐汇区天平路街道老王家传手工面馆餐饮管理有限公司第一分店（总店）"
    make.shop("owner_long", places["street_a"], name=long_name)
    text = _pages(_street_pdf(client, places["street_a"].code))[1].extract_text()
    shortened = next(line for line in text.splitlines() if line.startswith("上海市徐汇区"))
    assert shortened.endswith("…") and long_name.startswith(shortened[:-1])


def test_an_empty_street_prints_a_cover_saying_no_shops(client, make, places):
    make.staff("admin_b", "admin", places["street_b"])
    pages = _pages(_street_pdf(client, places["street_b"].code, admin="admin_b"))
    assert len(pages) == 1
    assert "商户数：0" in pages[0].extract_text()


# -- the QR symbols -------------------------------------------------------------------------
def _library_symbol(url: str) -> np.ndarray:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_H, border=codes.QUIET_ZONE_MODULES)
    qr.add_data(url)
    qr.make(fit=True)
    return np.array(qr.modules, dtype=bool)


def _mask_of(symbol: np.ndarray) -> int:
    """The mask a symbol says it has: its format bits along row 8, from the right edge."""
    side = len(symbol)
    for mask in range(8):
        bits = util.BCH_type_info((ERROR_CORRECT_H << 3) | mask)
        if all(symbol[8, side - 1 - i] == bool(bits >> i & 1) for i in range(8)):
            return mask
    raise AssertionError("no mask's format bits")


@pytest.mark.once
def test_symbols_are_the_qrcode_librarys_own_with_the_mask_it_chooses():
    rng = random.Random(20240601)  # noqa: S311  the same codes every run
    bases = ["https://c.example.cn", "http://127.0.0.1:8000", "https://shop.xuhui.gov.cn"]
    urls = [
        codes.printed_url(rng.choice(bases), "".join(rng.choices(codes.CODE_ALPHABET, k=10)))
        for _ in range(800)
    ]
    # Longer and mixed data: other versions, byte and numeric segments, and past version 11.
    urls += ["https://c.example.cn/s/" + "ab" * n for n in range(1, 40, 3)]
    urls += ["HTTPS://C.EXAMPLE.CN/S/" + "1234567890" * 3, "商户" * 40]
    symbols = qrsymbols.symbols(urls)
    for url, symbol in zip(urls, symbols, strict=True):
        assert np.array_equal(symbol, _library_symbol(url)), url
    masks = {_mask_of(symbol) for symbol in symbols[:800]}
    assert masks == set(range(8))  # the choice is made code by code, not fixed


def test_an_operator_prints_a_street_from_the_command_line_as_the_api_prints_it(
    app, client, busy_street, tmp_path
):
    street, expected = busy_street
    sheets, stickers = tmp_path / "street.pdf", tmp_path / "street.zip"
    runner = app.test_cli_runner()
    printed_pdf = runner.invoke(args=["print-codes", street, "--out", str(sheets)])
    printed_zip = runner.invoke(args=["print-codes", street, "--zip", "--out", str(stickers)])

    assert printed_pdf.exit_code == 0, printed_pdf.output
    assert "天平路街道: 7 shops" in printed_pdf.output
    assert sheets.read_bytes() == _street_pdf(client, street)
    assert printed_zip.exit_code == 0, printed_zip.output
    with zipfile.ZipFile(stickers) as archive:
        names = {name.split("-", 1)[0] for name in archive.namelist()}
    assert names == {url.rsplit("/", 1)[-1] for url in expected}
    unknown = runner.invoke(args=["print-codes", "999999"])
    assert unknown.exit_code == 2 and "no street with code 999999" in unknown.output


def test_on_a_terminal_printing_counts_its_pages_off(config, busy_street, tmp_path):
    street, _ = busy_street
    done, shown = on_terminal(config, "print-codes", street, "--out", str(tmp_path / "s.pdf"))
    assert done.returncode == 0, shown
    assert "pages" in shown and "2/2" in shown
    assert done.stdout.decode().endswith(f"→ {tmp_path / 's.pdf'}\n")
