"""Bad input gets a 4xx JSON error that names the field; every response has a request id."""

from __future__ import annotations

import json
import re

from tests.factories import error_keys


def test_malformed_json_body_is_400_json(client):
    response = client.http.post(
        "/api/v1/auth/login", data="{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert response.get_json()["code"] == response.status_code


def test_wrong_type_names_the_field(client):
    response = client.http.post("/api/v1/auth/login", json={"code": 12345})
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]


def test_unknown_field_is_named(client):
    response = client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": "x" * 40, "admin": True}
    )
    assert response.status_code == 422
    assert "admin" in response.get_json()["errors"]["json"]


def test_unknown_route_is_json_404(client):
    response = client.http.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_wrong_method_is_json_405(client):
    response = client.http.get("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405
    # RFC 9110: a 405 says which methods the resource does take.
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_request_id_is_echoed_or_made(client):
    made = client.http.get("/healthz")
    assert len(made.headers["X-Request-ID"]) >= 8
    echoed = client.http.get("/healthz", headers={"X-Request-ID": "gate-7-abcdef"})
    assert echoed.headers["X-Request-ID"] == "gate-7-abcdef"
    error = client.http.get("/api/v1/me", headers={"X-Request-ID": "gate-7-abcdef"})
    assert error.get_json()["request_id"] == "gate-7-abcdef"


def test_chinese_goes_out_as_utf8_not_escapes(client):
    response = client.login("alice").get("/api/v1/scan/ZZZZZZZZZZ")
    assert response.status_code == 200 and response.content_type == "application/json"
    assert "这不是官方发放的汇商码".encode() in response.data and b"\\u" not in response.data


def test_a_body_json_cannot_carry_is_refused(client):
    for body in ('{"code": NaN}', '{"code": "\\ud800"}', '{"code": "a"} trailing'):
        response = client.http.post(
            "/api/v1/auth/login", data=body, content_type="application/json"
        )
        assert 400 <= response.status_code < 500, body
        assert response.get_json()["code"] == response.status_code


HUGE = 99999999999999999999  # no row id, and more than a 64-bit integer


def test_a_huge_id_in_any_path_is_a_404_not_a_500(app, client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    rules = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert len(rules) >= 5, "the paths that take a row id"
    for rule in rules:
        # Every id part huge, every other part a word.
        url = re.sub(
            r"<([a-z]+:)?[a-z_]+>",
            lambda part: str(HUGE) if part.group().startswith("<int:") else "x",
            rule.rule,
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = admin.open(method, url, json=None if method == "GET" else {})
            assert response.status_code == 404, (method, url, response.get_json())


def test_a_page_far_past_the_end_is_empty(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    response = client.login("admin_a").get(f"/api/v1/admin/shops?page={HUGE}")
    assert response.status_code == 200 and response.get_json() == []


def test_a_huge_id_in_a_body_names_the_field(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    for number in (HUGE, 2**31):
        body = json.dumps(
            {
                "name": "王五",
                "role": "inspector",
                "region": places["street_a"].code,
                "department": number,
            }
        )
        response = admin.post(
            "/api/v1/admin/staff", data=body.encode(), content_type="application/json"
        )
        assert response.status_code == 422, (number, response.get_json())
        assert "department" in response.get_json()["errors"]["json"]


def test_a_nul_in_a_body_is_refused_naming_the_field(client, make):
    places = make.region_tree()
    owner = client.login("owner")
    registration = (
        '{"name": "老王\\u0000面馆", "credit_code": "x", "category": "catering",'
        f' "address": "天平路 88 号", "street": "{places["street_a"].code}"}}'
    )
    response = owner.post(
        "/api/v1/merchant/shops", data=registration.encode(), content_type="application/json"
    )
    assert response.status_code == 422, response.get_json()
    assert "name" in response.get_json()["errors"]["json"]
    joining = owner.post(
        "/api/v1/resident/memberships",
        data=b'{"code": "AB12CD34E\\u0000"}',
        content_type="application/json",
    )
    assert joining.status_code == 422 and "code" in joining.get_json()["errors"]["json"]


def test_a_nul_in_a_path_names_nothing(client):
    owner = client.login("owner")
    assert owner.get("/api/v1/merchant/shops/abc%00def").status_code == 404
    scanned = owner.get("/api/v1/scan/AB12CD%00")
    assert scanned.status_code == 200 and scanned.get_json()["verdict"] == "not_official"


def test_blank_names_and_titles_are_refused(client, make):
    places = make.region_tree()
    make.staff("cadre_a", "cadre", places["community_a"])
    blank_name = client.login("alice").patch(
        "/api/v1/resident/profile", json={"display_name": "   "}
    )
    assert blank_name.status_code == 422
    assert "display_name" in blank_name.get_json()["errors"]["json"]
    blank_notice = client.login("cadre_a").post(
        "/api/v1/admin/notices",
        json={"region": places["community_a"].code, "title": "   ", "body": "  "},
    )
    assert blank_notice.status_code == 422
    assert {"title", "body"} <= set(blank_notice.get_json()["errors"]["json"])


def test_a_nul_in_a_query_names_the_field(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    response = client.login("admin_a").get("/api/v1/admin/shops?q=%00")
    assert response.status_code == 422 and "q" in response.get_json()["errors"]["query"]


def test_a_time_at_the_calendars_edge_names_the_field(client, make):
    """9999-12-31 late in the evening west of Greenwich is already past the last day
    that can be kept in UTC; the answer names the field and nothing is written."""
    places = make.region_tree()
    make.staff("cadre_a", "cadre", places["community_a"])
    cadre = client.login("cadre_a")
    edge, fine = "9999-12-31T23:00:00-05:00", "2030-01-01T10:00:00"
    region = places["community_a"].code
    cases = [
        (
            "/api/v1/admin/polls",
            {
                "region": region,
                "title": "意见征询",
                "options": ["同意", "反对"],
                "opens_at": fine,
                "closes_at": edge,
            },
            ["closes_at"],
        ),
        (
            "/api/v1/admin/events",
            {
                "region": region,
                "title": "口罩领取",
                "slots": [{"starts_at": fine, "ends_at": edge, "capacity": 5}],
            },
            ["slots", "0", "ends_at"],
        ),
        (
            "/api/v1/admin/forms",
            {
                "region": region,
                "title": "人口登记",
                "closes_at": edge,
                "fields": [{"name": "a", "label": "姓名", "type": "text"}],
            },
            ["closes_at"],
        ),
    ]
    for url, body, field in cases:
        response = cadre.post(url, json=body)
        assert response.status_code == 422, (url, response.get_json())
        errors = response.get_json()["errors"]["json"]
        for key in field:
            errors = errors[key]
        assert cadre.get(url).get_json() == [], url


def test_a_body_nested_ten_thousand_deep_is_400_not_a_crash(client):
    deep_list = "[" * 10_000 + "]" * 10_000
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    for body in (deep_list, deep_object, '{"code": ' + deep_list + "}"):
        response = client.http.post(
            "/api/v1/auth/login", data=body, content_type="application/json"
        )
        assert response.status_code == 400, response.get_json()
        assert "json" in response.get_json()["errors"]


def test_a_body_that_is_not_utf8_is_400_not_a_missing_field(client):
    # Read as absent, the body would be answered "code: missing", sending the
    # client's developer to look for a field they did send.
    for body in (b'{"code": "\xff\xfe"}', b'{"code": "\xc3"}', "{}".encode("utf-16")):
        response = client.http.post(
            "/api/v1/auth/login", data=body, content_type="application/json"
        )
        assert response.status_code == 400, (body, response.get_json())
        assert error_keys(response) == ["invalid_json"]
        assert response.get_json()["details"][0]["location"] == "json"


def test_a_body_sent_as_another_content_type_is_not_read_as_json(client):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        response = client.http.post(
            "/api/v1/auth/login", data='{"code": "alice.t"}', content_type=content_type
        )
        assert response.status_code == 422, content_type
        assert "code" in response.get_json()["errors"]["json"]


def test_paging_below_one_or_beyond_reason_names_the_parameter(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    for query, name in [
        ("page=-1", "page"),
        ("page=0", "page"),
        ("page=1e9", "page"),
        ("page_size=-5", "page_size"),
        ("page_size=0", "page_size"),
        (f"page_size={HUGE}", "page_size"),
        ("page=1&page_size=100000", "page_size"),
    ]:
        response = admin.get(f"/api/v1/admin/shops?{query}")
        assert response.status_code == 422, (query, response.get_json())
        assert name in response.get_json()["errors"]["query"], query


def test_a_change_sent_without_a_body_is_refused_not_done(client, make):
    shop = make.shop("owner", make.region_tree()["street_a"])
    owner = client.login("owner")
    url = f"/api/v1/merchant/shops/{shop.public_id}"
    nothing = owner.patch(url)
    assert nothing.status_code == 422, nothing.get_json()
    assert error_keys(nothing) == ["body_required"]
    assert owner.patch(url, json={}).status_code == 200  # an empty change, said so
