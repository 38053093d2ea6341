"""The page a phone camera opens (/s/{code}), rendered by a real browser: headless Chromium
loads it from the app served over HTTP, and we read what a person would see."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from PIL import Image
from werkzeug.serving import make_server

from backend import clock
from backend.db import database
from backend.models import Shop

# A real browser renders the page, and the database kind changes nothing it checks: run
# once, not once per database.
pytestmark = pytest.mark.once

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_TIMEOUT = 20
OFFICIAL_BLUE = (0x16, 0x77, 0xFF)
WARNING_RED = (0xD4, 0x38, 0x0D)
PHONE_WINDOW = "390,844"

_profiles = itertools.count(1)


# -- a real browser ------------------------------------------------------------------------
def chromium_or_skip() -> str:
    """The Chromium binary; skipped without one, except in CI, where it must be there."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    reason = (
        "headless Chromium is not installed (Debian: apt-get install chromium fonts-wqy-zenhei)"
    )
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def run_chromium(binary: str, tmp_path, *args: str) -> str:
    """Run headless Chromium once with a throwaway profile; its stdout (e.g. --dump-dom)."""
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-proxy-server",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / f'chromium-profile-{next(_profiles)}'}",
        *args,
    ]
    # Its own process group, so a hung browser goes down with its renderer children.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=CHROMIUM_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium took longer than {CHROMIUM_TIMEOUT}s: {' '.join(args)}")
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    return stdout.decode("utf-8")


class Page(HTMLParser):
    """The text a person reads on a rendered page (no head, no styles), by element."""

    VOID = {"br", "meta", "link", "img", "input", "hr", "source", "wbr"}

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        element = {
            "tag": tag,
            "id": attrs.get("id"),
            "classes": (attrs.get("class") or "").split(),
            "text": "",
        }
        self.elements.append(element)
        self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        if any(e["tag"] in ("head", "style", "script", "title") for e in self._open):
            return
        for element in self._open:
            element["text"] += data

    @property
    def text(self) -> str:
        body = [e for e in self.elements if e["tag"] == "body"]
        return " ".join(body[0]["text"].split()) if body else ""

    def by_id(self, element_id: str) -> str:
        found = [e for e in self.elements if e["id"] == element_id]
        assert found, f"no #{element_id} on the page"
        return " ".join(found[0]["text"].split())

    def by_class(self, name: str) -> list[str]:
        return [" ".join(e["text"].split()) for e in self.elements if name in e["classes"]]


def near(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


@pytest.fixture
def chromium():
    return chromium_or_skip()


@pytest.fixture
def served(app):
    """The app on a real port, as a phone's browser would reach it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def licensed_shop(make):
    """A shop with a valid, an expiring, an expired and a not yet valid licence."""
    places = make.region_tree()
    shop = make.shop("shopkeeper", places["street_a"], places["community_a"], name="老王面馆")
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=3 * 365), "food_business", "JY13101040012345")
    make.licence(shop, today + timedelta(days=10), "public_health", "WS31010420230077")
    make.licence(shop, today - timedelta(days=10), "business_licence", "YY91310104000099")
    make.licence(
        shop,
        today + timedelta(days=400),
        "special_trade",
        "TH31010420260001",
        valid_from=today + timedelta(days=30),
    )
    with database.connection_context():
        return Shop.get_by_id(shop.id)


# -- the official page -----------------------------------------------------------------------
def test_official_page_shows_the_registered_shop_and_its_licences(
    chromium, served, make, licensed_shop, tmp_path
):
    code = make.code_of(licensed_shop)
    # The path exactly as the sticker prints it: upper case.
    page = Page(run_chromium(chromium, tmp_path, "--dump-dom", f"{served}/S/{code}"))

    assert page.by_id("shop-name") == "老王面馆"
    assert page.by_id("shop-address") == "天平路 88 号"
    assert "官方认证" in page.by_id("verdict")
    # Never inspected: 待评级, never a letter; and the regulator's risk letter is not here.
    assert page.by_id("grade") == "待评" and page.by_id("grade-meaning") == "待评级"
    assert "年度等级：待评级" in page.by_id("annual-grade")
    assert not [e for e in page.elements if e["id"] == "risk-grade"]

    rows = page.by_class("licence")
    assert len(rows) == 4
    expected = {
        "食品经营许可证": ("JY13********2345", "有效"),
        "公共场所卫生许可证": ("WS31********0077", "即将到期"),
        "营业执照": ("YY91********0099", "已过期"),
        "特种行业许可证": ("TH31********0001", "未生效"),
    }
    for label, (masked, status) in expected.items():
        row = next((r for r in rows if r.startswith(label)), None)
        assert row is not None, (label, rows)
        assert masked in row and row.endswith(status), row
    for full_number in ("JY13101040012345", "WS31010420230077", "YY91310104000099"):
        assert full_number not in page.text
    assert "此码已被更换" not in page.text and "不是官方发放" not in page.text


def test_official_page_looks_official_on_a_phone(chromium, served, make, licensed_shop, tmp_path):
    code = make.code_of(licensed_shop)
    shot = tmp_path / "page.png"
    run_chromium(
        chromium,
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={PHONE_WINDOW}",
        f"{served}/s/{code.lower()}",
    )

    assert shot.exists() and shot.stat().st_size > 0
    image = Image.open(shot).convert("RGB")
    assert image.size == (390, 844)
    assert near(image.getpixel((10, 8)), OFFICIAL_BLUE)
    assert near(image.getpixel((380, 8)), OFFICIAL_BLUE)
    # Not a blank page: the header carries white text and the body has several colours.
    header_colours = [colour for _, colour in image.crop((0, 0, 390, 90)).getcolors(1 << 24)]
    assert any(near(colour, (255, 255, 255), 40) for colour in header_colours)
    assert len(image.getcolors(1 << 24)) > 20


# -- the warnings ------------------------------------------------------------------------------
def test_old_sticker_warns_that_the_code_was_replaced(
    chromium, served, client, make, licensed_shop, tmp_path
):
    old = make.code_of(licensed_shop)
    owner = client.login("shopkeeper")
    reissued = owner.post(f"/api/v1/merchant/shops/{licensed_shop.public_id}/code/reissue")
    assert reissued.status_code == 201

    page = Page(run_chromium(chromium, tmp_path, "--dump-dom", f"{served}/S/{old}"))
    assert "此码已被更换" in page.by_id("verdict")
    assert "官方认证" not in page.text

    shot = tmp_path / "replaced.png"
    run_chromium(
        chromium,
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={PHONE_WINDOW}",
        f"{served}/S/{old}",
    )
    assert near(Image.open(shot).convert("RGB").getpixel((10, 8)), WARNING_RED)


@pytest.mark.parametrize("path", ["S/ABCDEFGH23", "s/not-a-code", "s/%E6%B1%87%E5%95%86%E7%A0%81"])
def test_unknown_code_warns_that_it_is_not_official(chromium, served, make, tmp_path, path):
    make.region_tree()
    page = Page(run_chromium(chromium, tmp_path, "--dump-dom", f"{served}/{path}"))
    assert "不是官方发放" in page.by_id("verdict")
    assert "官方认证" not in page.text

    shot = tmp_path / "unknown.png"
    run_chromium(
        chromium,
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={PHONE_WINDOW}",
        f"{served}/{path}",
    )
    assert near(Image.open(shot).convert("RGB").getpixel((10, 8)), WARNING_RED)


def test_the_page_shows_the_latest_comments_with_the_shops_reply(client, make, licensed_shop):
    code = make.code_of(licensed_shop)
    resident = client.login("alice")
    resident.patch("/api/v1/resident/profile", json={"display_name": "王小明"})
    ticket = resident.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    rating = resident.post(
        f"/api/v1/resident/shops/{licensed_shop.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": 4, "text": "汤头很鲜", "tags": ["干净"]},
    ).get_json()
    client.login("shopkeeper").post(
        f"/api/v1/merchant/shops/{licensed_shop.public_id}/ratings/{rating['id']}/reply",
        json={"text": "谢谢光临"},
    )

    page = Page(client.http.get(f"/s/{code}").get_data(as_text=True))

    [comment] = page.by_class("comment")
    assert comment.startswith("★★★★☆王** ·")
    assert "汤头很鲜" in comment and "干净" in comment and "店家回复：谢谢光临" in comment
    assert "王小明" not in page.text
    assert "★ 4.0（1 条评价）" in page.by_id("rating")


def test_a_shop_nobody_has_rated_shows_no_comments_section(client, make, licensed_shop):
    page = Page(client.http.get(f"/s/{make.code_of(licensed_shop)}").get_data(as_text=True))
    assert page.by_class("comment") == [] and "暂无评价" in page.by_id("rating")


def test_the_page_gives_days_as_people_in_the_district_count_them(client, make, licensed_shop):
    # 23:30 UTC is already half past seven the next morning in Shanghai.
    now = clock.now()
    late_evening = now.replace(hour=23, minute=30, second=0, microsecond=0)
    if late_evening <= now:
        late_evening += timedelta(days=1)
    clock.travel(late_evening - now)
    code = make.code_of(licensed_shop)
    resident = client.login("alice")
    ticket = resident.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    rated = resident.post(
        f"/api/v1/resident/shops/{licensed_shop.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": 5, "text": "早饭很好"},
    )
    assert rated.status_code == 201
    with database.connection_context():
        Shop.update(
            last_inspection_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
            last_inspection_result="pass",
        ).where(Shop.id == licensed_shop.id).execute()

    page = Page(client.http.get(f"/s/{code}").get_data(as_text=True))

    assert page.by_id("last-inspection") == "最近检查：2026-03-02 合格"
    [comment] = page.by_class("comment")
    morning_in_shanghai = (late_evening + timedelta(hours=8)).date().isoformat()
    assert f"· {morning_in_shanghai}" in comment, comment
    # The app's view of the same shop gives the same day.
    scanned = resident.get(f"/api/v1/scan/{code}").get_json()
    assert scanned["shop"]["last_inspection"]["date"] == "2026-03-02"


HOSTILE = {
    "name": '<script>alert("name")</script>',
    "address": '"><img src=x onerror=alert(1)>',
    "title": "javascript:alert('honour')",
    "issuer": "<svg onload=alert(2)>",
    "comment": "</p><script>alert(3)</script>",
    "reply": '<a href="javascript:alert(4)">点我</a>',
}


def test_text_shopkeepers_and_customers_typed_shows_as_text_not_markup(client, make):
    places = make.region_tree()
    shop = make.shop("shopkeeper", places["street_a"], name="王记")
    owner = client.login("shopkeeper")
    base = f"/api/v1/merchant/shops/{shop.public_id}"
    assert (
        owner.patch(base, json={"name": HOSTILE["name"], "address": HOSTILE["address"]}).status_code
        == 200
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    [change] = admin.get("/api/v1/admin/shop-requests").get_json()
    assert admin.post(f"/api/v1/admin/shop-requests/{change['id']}/approve").status_code == 200
    assert (
        owner.post(
            f"{base}/honours", json={"title": HOSTILE["title"], "issuer": HOSTILE["issuer"]}
        ).status_code
        == 201
    )
    code = make.code_of(shop)
    resident = client.login("alice")
    ticket = resident.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    rating = resident.post(
        f"/api/v1/resident/shops/{shop.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": 3, "text": HOSTILE["comment"]},
    ).get_json()
    assert owner.post(
        f"{base}/ratings/{rating['id']}/reply", json={"text": HOSTILE["reply"]}
    ).status_code in (200, 201)

    html = client.http.get(f"/s/{code}").get_data(as_text=True)

    page = Page(html)
    tags = {e["tag"] for e in page.elements}
    assert not tags & {"script", "img", "svg"}
    # The one link is the page's own, to the grading rules.
    assert [e["id"] for e in page.elements if e["tag"] == "a"] == ["grading-rules"]
    assert page.by_id("shop-name") == HOSTILE["name"]
    assert page.by_id("shop-address") == HOSTILE["address"]
    for typed in HOSTILE.values():
        assert " ".join(typed.split()) in page.text


def test_a_suspended_or_closed_shop_leads_with_its_state_not_a_tick(client, make, licensed_shop):
    code = make.code_of(licensed_shop)
    with database.connection_context():
        street = licensed_shop.street
    admin = client.login(make.approver(street).user.openid.removeprefix("oStub_"))
    status_url = f"/api/v1/admin/shops/{licensed_shop.public_id}/status"
    resident = client.login("alice")

    trading = Page(client.http.get(f"/s/{code}").get_data(as_text=True))
    assert trading.by_id("verdict").startswith("✔")
    assert resident.get(f"/api/v1/scan/{code}").get_json()["shop"]["status_text"] == "营业中"

    admin.post(status_url, json={"status": "suspended", "reason": "无证经营，责令整改"})
    html = client.http.get(f"/s/{code}").get_data(as_text=True)
    assert Page(html).by_id("verdict") == "⚠ 停业整改中（监管部门决定）"
    assert "✔" not in html and 'class="suspended"' in html
    scanned = resident.get(f"/api/v1/scan/{code}").get_json()["shop"]
    assert (scanned["status"], scanned["status_text"]) == (
        "suspended",
        "停业整改中（监管部门决定）",
    )

    admin.post(status_url, json={"status": "closed", "reason": "经营者申请注销"})
    html = client.http.get(f"/s/{code}").get_data(as_text=True)
    assert Page(html).by_id("verdict") == "⚠ 该商户已注销"
    assert "✔" not in html and 'class="closed"' in html
    scanned = resident.get(f"/api/v1/scan/{code}").get_json()["shop"]
    assert (scanned["status"], scanned["status_text"]) == ("closed", "该商户已注销")


def test_the_grade_is_named_for_what_the_shop_does_and_its_letter_explained(client, make):
    places = make.region_tree()
    noodles = make.shop("cook", places["street_a"], name="老王面馆", category="catering")
    shoes = make.shop("cobbler", places["street_a"], name="老街修鞋", category="repair")
    resident = client.login("alice")
    for shop, label in ((noodles, "食品安全等级"), (shoes, "经营规范等级")):
        code = make.code_of(shop)
        grade = resident.get(f"/api/v1/scan/{code}").get_json()["shop"]["grade"]
        assert (grade["value"], grade["meaning"], grade["label"]) == (None, "待评级", label)
        page = Page(client.http.get(f"/s/{code}").get_data(as_text=True))
        assert page.by_id("grade-label").startswith(label)
        assert page.by_id("grade-meaning") == "待评级"
        assert page.by_id("grade-legend") == (
            "A 良好（笑脸） · B 一般（平脸） · C 较差（哭脸） · 待评级：尚无计入的检查 · 评分规则"
        )
    assert "食品安全" not in client.http.get(f"/s/{make.code_of(shoes)}").get_data(as_text=True)
