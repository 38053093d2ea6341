"""Bad input gets a 4xx JSON error that names the field; every response has a request id."""
from __future__ import annotations


def test_malformed_json_body_is_400_json(client):
    response = client.http.post("/api/v1/auth/login", data="{not json",
                                content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.get_json()["code"] == response.status_code


def test_wrong_type_names_the_field(client):
    response = client.http.post("/api/v1/auth/login", json={"code": 12345})
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]


def test_unknown_field_is_named(client):
    response = client.http.post("/api/v1/auth/refresh",
                                json={"refresh_token": "x" * 40, "admin": True})
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
        response = client.http.post("/api/v1/auth/login", data=body,
                                    content_type="application/json")
        assert 400 <= response.status_code < 500, body
        assert response.get_json()["code"] == response.status_code
