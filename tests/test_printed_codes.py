"""Printed shop codes, read back with a real QR decoder (zxing-cpp) the way a phone reads a
sticker: what URL they hold, how robust they are, where they lead, and who may print them."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from backend import codes
from backend.db import database
from backend.models import AuditEntry, Shop
from tests.test_scan_page import chromium_or_skip, run_chromium

BASE = "HTTPS://C.EXAMPLE.CN"  # config public_base_url is https://c.example.cn in the tests
MERCHANT = "/api/v1/merchant/shops"


def read_qr(image) -> zxingcpp.Barcode:
    """The one QR code in `image` (PNG bytes or a PIL image), as a phone's scanner reads it."""
    if isinstance(image, (bytes, bytearray)):
        image = Image.open(io.BytesIO(image))
    found = zxingcpp.read_barcodes(image.convert("RGB"))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0]


def printed(code: str) -> str:
    return f"{BASE}/S/{code}"


@pytest.fixture
def places(make):
    return make.region_tree()


@pytest.fixture
def shop(make, places):
    return make.shop("shopkeeper", places["street_a"], places["community_a"], name="老王面馆")


@pytest.fixture
def owner(client, shop):
    return client.login("shopkeeper")


def _invite(client, shop, member: str):
    invite = client.login("shopkeeper").post(f"{MERCHANT}/{shop.public_id}/invites")
    assert invite.status_code == 201
    staff = client.login(member)
    accepted = staff.post(
        "/api/v1/merchant/invites/accept", json={"code": invite.get_json()["code"]}
    )
    assert accepted.status_code == 200, accepted.get_json()
    return staff


# -- the PNG and SVG stickers ------------------------------------------------------------------
def test_png_sticker_holds_the_short_upper_case_url_at_version_3_h(client, make, shop, owner):
    code = make.code_of(shop)
    response = owner.get(f"{MERCHANT}/{shop.public_id}/code.png?size=600")
    assert response.status_code == 200 and response.mimetype == "image/png"

    qr = read_qr(response.data)
    assert qr.text == printed(code)
    assert len(qr.text) <= 35
    assert qr.ec_level == "H"
    assert qr.extra["Version"] == "3"
    assert codes.qr_version(qr.text) == 3
    assert owner.get(f"{MERCHANT}/{shop.public_id}/code").get_json()["url"] == qr.text

    # Where the phone goes: the printed path (upper case) opens the shop's own page.
    page = client.http.get(urlsplit(qr.text).path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "老王面馆" in html and "天平路 88 号" in html


def test_png_sticker_is_about_the_asked_size_with_the_shop_name_under_the_code(make, shop, owner):
    image = Image.open(io.BytesIO(owner.get(f"{MERCHANT}/{shop.public_id}/code.png?size=600").data))
    width, height = image.size
    assert 500 <= width <= 600
    assert height > width
    # The band under the square QR carries ink: the caption.
    caption = image.convert("L").crop((0, width, width, height))
    assert caption.getextrema()[0] < 100


def test_png_sticker_still_scans_with_a_scratched_corner(make, shop, owner):
    image = Image.open(io.BytesIO(owner.get(f"{MERCHANT}/{shop.public_id}/code.png").data))
    image = image.convert("RGB")
    side = image.width  # the QR part is square at the top; the caption sits below it
    symbol = 4 * 3 + 17  # modules across a version-3 symbol
    box = side // (symbol + 2 * codes.QUIET_ZONE_MODULES)
    # Scratch off a 10×10-module block (about an eighth of the symbol) at its bottom-right
    # corner: level H reads through it; level M at the same size would not.
    edge = (codes.QUIET_ZONE_MODULES + symbol) * box
    scratch = 10 * box
    ImageDraw.Draw(image).rectangle(
        (edge - scratch, edge - scratch, edge - 1, edge - 1), fill="white"
    )
    assert read_qr(image).text == printed(make.code_of(shop))


def test_png_size_out_of_range_is_refused_naming_size(shop, owner):
    response = owner.get(f"{MERCHANT}/{shop.public_id}/code.png?size=20")
    assert response.status_code == 422
    assert "size" in response.get_json()["errors"]["query"]


def test_svg_sticker_holds_the_same_url(make, shop, owner, tmp_path):
    chromium = chromium_or_skip()
    response = owner.get(f"{MERCHANT}/{shop.public_id}/code.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    # Rasterised by a real SVG renderer (headless Chromium), at sticker size.
    (tmp_path / "code.svg").write_bytes(response.data)
    (tmp_path / "sticker.html").write_text(
        # On a black page: the code must bring its own white quiet zone.
        '<!doctype html><body style="margin:0;background:#000">'
        '<img src="code.svg" style="display:block;width:600px;height:600px"></body>'
    )
    shot = tmp_path / "svg.png"
    run_chromium(
        chromium,
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=600,600",
        (tmp_path / "sticker.html").as_uri(),
    )

    qr = read_qr(Image.open(shot))
    assert qr.text == printed(make.code_of(shop))
    assert qr.ec_level == "H" and qr.extra["Version"] == "3"


# -- reissue, and what a scan says -----------------------------------------------------------
def test_after_a_reissue_the_old_sticker_scans_as_replaced(client, make, shop, owner):
    old_url = read_qr(owner.get(f"{MERCHANT}/{shop.public_id}/code.png").data).text
    reissued = owner.post(f"{MERCHANT}/{shop.public_id}/code/reissue")
    assert reissued.status_code == 201
    new_url = read_qr(owner.get(f"{MERCHANT}/{shop.public_id}/code.png").data).text
    assert new_url != old_url and new_url == reissued.get_json()["url"]
    old, new = old_url.rsplit("/", 1)[1], new_url.rsplit("/", 1)[1]

    resident = client.login("alice")
    before = resident.get(f"/api/v1/scan/{old}")
    assert before.status_code == 200
    assert before.get_json()["verdict"] == "replaced"
    assert "此码已被更换" in before.get_json()["message"]
    assert before.get_json()["shop"] is None
    now = resident.get(f"/api/v1/scan/{new}").get_json()
    assert now["verdict"] == "official" and now["shop"]["name"] == "老王面馆"

    page = client.http.get(urlsplit(old_url).path)
    assert page.status_code == 404 and "此码已被更换" in page.get_data(as_text=True)
    events = owner.get(f"{MERCHANT}/{shop.public_id}/lifecycle").get_json()
    assert events[0]["type"] == "code.reissued" and events[0]["payload"]["code"] == new


@pytest.mark.parametrize(
    "raw",
    [
        "hello",
        "ABCDEFGH2",  # the alphabet, one short
        "ABCDEFGH2I",  # right length, a letter never used
        "Z" * 300,
        "%E6%B1%87%E5%95%86%E7%A0%81",
        "%00",
        "' OR 1=1 --",
    ],
)
def test_garbage_scans_as_not_official_in_chinese(client, shop, raw):
    response = client.login("alice").get(f"/api/v1/scan/{raw}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] == "not_official" and body["shop"] is None
    assert "不是官方" in body["message"]


def test_a_well_formed_code_that_was_never_issued_scans_as_not_official(client, make, shop):
    issued = make.code_of(shop)
    made_up = next(c for c in iter(codes.new_code_id, None) if c != issued)
    assert codes.looks_like_code_id(made_up)
    body = client.login("alice").get(f"/api/v1/scan/{made_up}").get_json()
    assert body["verdict"] == "not_official" and "不是官方" in body["message"]
    page = client.http.get(f"/S/{made_up}")
    assert page.status_code == 404 and "不是官方发放" in page.get_data(as_text=True)


def test_scanning_ignores_case(client, make, shop):
    code = make.code_of(shop)
    resident = client.login("alice")
    for variant in (code.lower(), code.capitalize(), code):
        body = resident.get(f"/api/v1/scan/{variant}").get_json()
        assert body["verdict"] == "official" and body["shop"]["name"] == "老王面馆", variant
    page = client.http.get(f"/s/{code.lower()}")
    assert page.status_code == 200 and "老王面馆" in page.get_data(as_text=True)


# -- who may print and reissue -------------------------------------------------------------
def test_shop_staff_print_the_code_but_cannot_reissue_it(client, make, shop):
    code = make.code_of(shop)
    staff = _invite(client, shop, "clerk")
    png = staff.get(f"{MERCHANT}/{shop.public_id}/code.png")
    assert png.status_code == 200 and read_qr(png.data).text == printed(code)
    assert staff.get(f"{MERCHANT}/{shop.public_id}/code.svg").status_code == 200

    refused = staff.post(f"{MERCHANT}/{shop.public_id}/code/reissue")
    assert refused.status_code == 403
    assert make.code_of(shop) == code
    assert client.login("alice").get(f"/api/v1/scan/{code}").get_json()["verdict"] == "official"


@pytest.mark.parametrize("suffix", ["/code.png", "/code.svg", "/code", "/code/wxacode.png"])
def test_a_stranger_cannot_print_another_shops_code(client, make, shop, suffix):
    code = make.code_of(shop)
    response = client.login("stranger").get(f"{MERCHANT}/{shop.public_id}{suffix}")
    assert response.status_code == 404
    assert code not in response.get_data(as_text=True)
    assert "老王面馆" not in response.get_data(as_text=True)


# -- the mini-program code -----------------------------------------------------------------
def test_mini_program_code_carries_the_code_id_as_scene(make, shop, owner, wechat_stub):
    code = make.code_of(shop)
    response = owner.get(f"{MERCHANT}/{shop.public_id}/code/wxacode.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert read_qr(response.data).text == code  # the stub draws a plain QR of the scene
    sent = wechat_stub.sent("getwxacodeunlimit")
    assert len(sent) == 1 and sent[0]["body"]["scene"] == code


# -- a street's print run (its PDF sheets: tests/test_print_sheet.py) --------------------------
@pytest.fixture
def street_print(client, make, places):
    """Street A: three active shops (one reissued), a pending and a suspended one; street B: one."""
    make.staff("admin_a", "admin", places["street_a"])
    make.staff("admin_b", "admin", places["street_b"])
    make.staff("inspector_a", "inspector", places["street_a"])
    active = [
        make.shop(f"owner_{i}", places["street_a"], name=name)
        for i, name in enumerate(["甲记小吃", "乙家超市", "丙丙理发"])
    ]
    make.shop("owner_p", places["street_a"], name="丁丁待审", approved=False)
    suspended = make.shop("owner_s", places["street_a"], name="戊戊停业")
    make.shop("owner_b", places["street_b"], name="己己花店")

    admin = client.login("admin_a")
    assert (
        admin.post(
            f"/api/v1/admin/shops/{suspended.public_id}/status",
            json={"status": "suspended", "reason": "无证经营"},
        ).status_code
        == 200
    )
    assert (
        client.login("owner_0").post(f"{MERCHANT}/{active[0].public_id}/code/reissue").status_code
        == 201
    )
    expected = {printed(make.code_of(s)): s.name for s in active}
    return places["street_a"].code, expected


def test_street_admin_downloads_a_zip_of_one_png_per_active_shop(client, street_print):
    street, expected = street_print
    response = client.login("admin_a").get(f"/api/v1/admin/streets/{street}/codes?format=zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = [n for n in archive.namelist() if n.endswith(".png")]
        assert len(names) == len(archive.namelist()) == 3
        found = {}
        for name in names:
            image = Image.open(io.BytesIO(archive.read(name)))
            assert image.height > image.width  # the shop's name under the code
            url = read_qr(image).text
            found[url] = name
            assert expected[url] in name and url.rsplit("/", 1)[1] in name
    assert set(found) == set(expected)


def test_a_shop_name_with_a_slash_stays_one_file_in_the_zip(client, make, places):
    make.staff("admin_a", "admin", places["street_a"])
    make.shop("owner_247", places["street_a"], name="24/7便利店")
    response = client.login("admin_a").get(
        f"/api/v1/admin/streets/{places['street_a'].code}/codes?format=zip"
    )
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
    assert [n for n in names if "/" in n] == []
    assert any(n.endswith("-24_7便利店.png") for n in names)


@pytest.mark.parametrize("fmt", ["pdf", "zip"])
def test_another_streets_admin_cannot_print_this_street(client, street_print, fmt):
    street, expected = street_print
    response = client.login("admin_b").get(f"/api/v1/admin/streets/{street}/codes?format={fmt}")
    assert response.status_code == 404
    assert not response.data.startswith((b"%PDF", b"PK"))


def test_a_try_to_print_another_street_is_on_the_audit_record(client, street_print):
    street, _ = street_print
    assert client.login("admin_b").get(f"/api/v1/admin/streets/{street}/codes").status_code == 404
    assert client.login("admin_b").get("/api/v1/admin/streets/999999999/codes").status_code == 404
    with database.connection_context():
        denied = [
            (e.target_type, e.target_id)
            for e in AuditEntry.select().where(AuditEntry.action == "scope.denied")
        ]
    assert denied == [("street", street)]


def test_an_inspector_cannot_print_a_streets_codes(client, street_print):
    street, _ = street_print
    response = client.login("inspector_a").get(f"/api/v1/admin/streets/{street}/codes")
    assert response.status_code == 403


def test_a_name_stored_with_a_line_break_still_prints_on_one_line(client, make, shop, owner):
    # Names are checked for line breaks now; rows from before still have to print.
    with database.connection_context():
        Shop.update(name="老王面馆\n(总店)").where(Shop.id == shop.id).execute()
    sticker = owner.get(f"{MERCHANT}/{shop.public_id}/code.png")
    assert sticker.status_code == 200
    assert read_qr(sticker.data).text == printed(make.code_of(shop))


@pytest.mark.parametrize(
    "name", ["老王面馆\n(总店)", "老王\r面馆", "老王\u2028面馆", "老王\x1c面馆"]
)
def test_a_name_is_one_line(owner, shop, name):
    response = owner.patch(f"{MERCHANT}/{shop.public_id}", json={"name": name})
    assert response.status_code == 422 and "name" in response.get_json()["errors"]["json"]


def test_spaces_around_a_name_are_not_part_of_it(owner, shop):
    response = owner.patch(f"{MERCHANT}/{shop.public_id}", json={"name": "  老王面馆（总店） "})
    assert response.status_code == 200
    assert response.get_json()["pending_change"]["name"] == "老王面馆（总店）"
    blank = owner.patch(f"{MERCHANT}/{shop.public_id}", json={"name": "     "})
    assert blank.status_code == 422 and "name" in blank.get_json()["errors"]["json"]
