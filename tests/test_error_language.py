"""Errors speak Chinese first, English on request, and carry keys a frontend can switch on."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import repo_root

HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = {"Accept-Language": "en"}


def _details(response) -> list[dict]:
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "details", "request_id"}, body
    for detail in body["details"]:
        assert set(detail) == {"location", "field", "key", "message"}, detail
        assert re.fullmatch(r"[a-z][a-z0-9_]*", detail["key"]), detail
    return body["details"]


def _said_in_chinese(response, key: str, field: str | None = None) -> dict:
    """The response's detail with `key` (about `field`), its words and its message Chinese."""
    details = _details(response)
    found = [d for d in details if d["key"] == key and (field is None or d["field"] == field)]
    assert found, details
    assert HAN.search(found[0]["message"]), found[0]
    assert HAN.search(response.get_json()["message"]), response.get_json()
    return found[0]


def _registration(street, **changes) -> dict:
    return {
        "name": "街角咖啡",
        "credit_code": "91310104MA1FL3LD4J",
        "category": "catering",
        "address": "天平路 100 号",
        "street": street.code,
        "location": {"lat": 31.2001, "lng": 121.4402},
        **changes,
    }


def test_one_bad_request_per_family_is_answered_in_chinese_with_a_key(client, make, places):
    shop = make.shop("owner", places["street_a"])
    owner, alice = client.login("owner"), client.login("alice")
    admin = client.login("street_admin")
    answers = {
        "auth": (client.post("/api/v1/auth/login", json={}), "required", "code"),
        "account": (client.get("/api/v1/me"), "unauthenticated", None),
        "merchant": (
            owner.post(
                "/api/v1/merchant/shops",
                json=_registration(places["street_a"], credit_code="91310104MA1FL3LD4K"),
            ),
            "credit_code_checksum",
            "credit_code",
        ),
        "resident": (
            alice.post(
                f"/api/v1/resident/shops/{shop.public_id}/ratings",
                json={"rating_ticket": "x", "stars": 9},
            ),
            "too_large",
            "stars",
        ),
        "admin": (
            admin.post(
                "/api/v1/admin/notices",
                json={"region": places["street_a"].code, "title": "通" * 300, "body": "b"},
            ),
            "too_long",
            "title",
        ),
        "scan": (client.get("/api/v1/scan/ABCDEFGHJK/nothing-here"), "not_found", None),
    }
    for family, (response, key, field) in answers.items():
        assert 400 <= response.status_code < 500, (family, response.get_json())
        _said_in_chinese(response, key, field)


def test_english_is_given_when_asked_for_and_the_key_stays(client, make, places):
    admin = client.login("street_admin")
    notice = {"region": places["street_a"].code, "title": "通" * 300, "body": "b"}
    chinese = admin.post("/api/v1/admin/notices", json=notice)
    english = admin.post("/api/v1/admin/notices", json=notice, headers=ENGLISH)
    said_zh, said_en = _details(chinese)[0], _details(english)[0]
    assert said_zh["key"] == said_en["key"] == "too_long"
    assert said_zh["field"] == said_en["field"] == "title"
    assert HAN.search(said_zh["message"]) and "100" in said_zh["message"]
    assert said_en["message"] == "Length must be between 1 and 100."
    assert not HAN.search(english.get_json()["message"])
    # The errors tree a client may already read says the same words.
    assert english.get_json()["errors"]["json"]["title"] == [said_en["message"]]
    assert chinese.get_json()["errors"]["json"]["title"] == [said_zh["message"]]


def test_a_browser_asking_for_chinese_first_gets_chinese(client):
    answer = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert HAN.search(answer.get_json()["message"])
    english_first = client.get("/api/v1/me", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english_first.get_json()["message"] == "authentication required"


def test_every_missing_field_is_named_with_its_own_detail(client):
    response = client.post("/api/v1/auth/login", json={"unexpected": 1})
    details = {(d["field"], d["key"]) for d in _details(response)}
    assert details == {("code", "required"), ("unexpected", "unknown_field")}
    assert all(d["location"] == "json" for d in _details(response))


def test_a_rule_of_the_domain_says_its_own_key(client, make, places):
    shop = make.shop("owner", places["street_a"])
    owner = client.login("owner")
    admin = client.login("street_admin")
    closed = admin.post(
        f"/api/v1/admin/shops/{shop.public_id}/status",
        json={"status": "closed", "reason": "停止经营"},
    )
    assert closed.status_code == 200, closed.get_json()
    refused = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/honours",
        json={"title": "文明商户", "issuer": "街道"},
    )
    assert refused.status_code == 409
    detail = _said_in_chinese(refused, "shop_closed")
    assert (detail["location"], detail["field"]) == ("path", "shop_id")
    # The path's reason is a token ("closed"): the detail says the whole refusal instead.
    assert detail["message"] == refused.get_json()["message"]
    assert refused.get_json()["errors"] == {"path": {"shop_id": ["closed"]}}
    english = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/honours",
        json={"title": "文明商户", "issuer": "街道"},
        headers=ENGLISH,
    )
    assert "closed" in english.get_json()["message"]


def test_the_method_and_route_errors_of_the_framework_are_chinese_too(client):
    wrong_method = client.delete("/api/v1/auth/login")
    assert wrong_method.status_code == 405
    _said_in_chinese(wrong_method, "method_not_allowed")
    assert "Allow" in wrong_method.headers
    bad_json = client.post("/api/v1/auth/login", data=b"{not json", content_type="application/json")
    assert bad_json.status_code == 400
    _said_in_chinese(bad_json, "invalid_json")


def test_every_message_has_its_chinese_and_the_compiled_catalog_is_current():
    tools = repo_root() / "tools"
    checked = subprocess.run(
        [sys.executable, str(tools / "messages.py"), "check"],
        capture_output=True,
        text=True,
        cwd=repo_root(),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    sys.path.insert(0, str(tools))
    try:
        import messages
    finally:
        sys.path.remove(str(tools))
    assert messages.MO.read_bytes() == messages.compiled(), "run tools/messages.py compile"


def test_the_documented_error_shape_names_details(client):
    schemas = client.http.get("/api/openapi.json").get_json()["components"]["schemas"]
    error = schemas["Error"]
    assert "details" in error["required"]
    detail = schemas["ErrorDetail"]
    assert set(detail["properties"]) == {"location", "field", "key", "message"}
    assert set(detail["required"]) == {"key", "message"}


def test_a_choice_outside_the_list_says_so_with_its_key(client, places):
    response = client.login("newcomer").post(
        "/api/v1/merchant/shops", json=_registration(places["street_a"], category="spaceship")
    )
    assert response.status_code == 422
    detail = _said_in_chinese(response, "not_one_of", "category")
    assert "catering" in detail["message"]
