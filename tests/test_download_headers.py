"""Files behind a login go out typed, never sniffed, and never kept by a shared cache."""

from __future__ import annotations

import io

import pytest
from PIL import Image

ADMIN = "/api/v1/admin"
MERCHANT = "/api/v1/merchant/shops"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def downloads(client, make):
    """Every binary download, fetched by someone entitled to it: (url, response, type)."""
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"], name="阿明面馆")
    make.staff("admin_a", "admin", places["street_a"])
    owner, admin = client.login("owner"), client.login("admin_a")
    photo = owner.post(
        f"{MERCHANT}/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(_png()), "licence.png")},
        content_type="multipart/form-data",
    ).get_json()["id"]
    street = places["street_a"].code
    resident = client.login("alice")
    fetched = [
        (owner, f"{MERCHANT}/{shop.public_id}/uploads/{photo}", "image/png"),
        (owner, f"{MERCHANT}/{shop.public_id}/code.png", "image/png"),
        (owner, f"{MERCHANT}/{shop.public_id}/code.svg", "image/svg+xml"),
        (resident, "/api/v1/resident/code.png", "image/png"),
        (resident, "/api/v1/resident/code.svg", "image/svg+xml"),
        (admin, f"{ADMIN}/shops/{shop.public_id}/uploads/{photo}", "image/png"),
        (admin, f"{ADMIN}/streets/{street}/codes?format=pdf", "application/pdf"),
        (admin, f"{ADMIN}/streets/{street}/codes?format=zip", "application/zip"),
        (admin, f"{ADMIN}/shops/export.csv", "text/csv"),
    ]
    return [(url, who.get(url), mimetype) for who, url, mimetype in fetched]


def test_every_download_is_typed_and_not_sniffed(downloads):
    for url, response, mimetype in downloads:
        assert response.status_code == 200, url
        assert response.mimetype == mimetype, url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url


def test_no_download_behind_a_login_is_kept_by_a_shared_cache(downloads):
    for url, response, _ in downloads:
        directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
        assert "private" in directives or "no-store" in directives, url
        assert "public" not in directives, url


def test_personal_answers_are_not_stored_by_any_cache(client):
    alice = client.login("alice")
    alice.post("/api/v1/resident/phone", json={"code": "phone-13912345678"})
    me = alice.get("/api/v1/me")
    assert me.status_code == 200
    assert "no-store" in me.headers.get("Cache-Control", "")
    assert me.headers.get("X-Content-Type-Options") == "nosniff"
