"""Signing in through WeChat: the stub answers over HTTP exactly as WeChat would."""

from __future__ import annotations

from functools import partial

from backend.db import database
from backend.models import User
from tests.factories import error_keys
from tests.races import at_once


def test_login_creates_user_and_me_reads_it(client, wechat_stub):
    me = client.login("alice")
    assert me.tokens["token_type"] == "Bearer"
    assert 0 < me.tokens["expires_in"] <= 900
    response = me.get("/api/v1/me")
    assert response.status_code == 200
    body = response.get_json()
    assert body["roles"] == ["resident"]
    assert body["shops"] == [] and body["staff"] is None
    assert wechat_stub.sent("jscode2session")


def test_same_wechat_user_is_the_same_account(client):
    first = client.login("bob").get("/api/v1/me").get_json()
    second = client.login("bob").get("/api/v1/me").get_json()
    assert first["id"] == second["id"]
    with database.connection_context():
        assert User.select().where(User.openid == "oStub_bob").count() == 1


def test_session_key_never_leaves_the_server(client):
    response = client.http.post("/api/v1/auth/login", json={"code": "carol.x1"})
    with database.connection_context():
        session_key = User.get(User.openid == "oStub_carol").session_key
    assert session_key
    assert session_key not in response.get_data(as_text=True)
    me = client.login("carol").get("/api/v1/me")
    assert "session_key" not in me.get_data(as_text=True)


def test_reused_login_code_is_refused_with_field(client):
    assert client.http.post("/api/v1/auth/login", json={"code": "dave.once"}).status_code == 200
    response = client.http.post("/api/v1/auth/login", json={"code": "dave.once"})
    assert response.status_code == 401
    body = response.get_json()
    assert "code" in body["errors"]["json"]
    assert error_keys(response) == ["login_code_invalid"]


def test_unknown_login_code_is_refused(client):
    response = client.http.post("/api/v1/auth/login", json={"code": "not a wechat code!"})
    assert response.status_code == 401
    assert response.get_json()["errors"]["json"]["code"]


def test_wrong_app_secret_is_a_bad_gateway_not_a_500(app, client, config):
    from backend import create_app

    broken = create_app(config.replace(wechat_secret="wrong"))
    response = broken.test_client().post("/api/v1/auth/login", json={"code": "erin.1"})
    assert response.status_code == 502
    assert error_keys(response) == ["upstream_failed"]
    assert "凭证" in response.get_json()["message"]


def test_wechat_busy_is_503_with_retry_after(client, wechat_stub):
    wechat_stub.control("faults", {"busy": 1})
    response = client.http.post("/api/v1/auth/login", json={"code": "frank.1"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert error_keys(response) == ["upstream_unavailable"]
    assert response.get_json()["message"].startswith("微信")


def test_wechat_unreachable_is_503(config):
    from backend import create_app

    offline = create_app(config.replace(wechat_api_base="http://127.0.0.1:9"))
    response = offline.test_client().post("/api/v1/auth/login", json={"code": "gina.1"})
    assert response.status_code == 503
    assert response.get_json()["code"] == 503


def test_missing_code_names_the_field(client):
    response = client.http.post("/api/v1/auth/login", json={})
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]


def test_a_new_user_logging_in_twice_at_once_gets_one_account(app):
    # A mini-program often calls wx.login twice as it starts.
    for attempt in range(3):
        answers = at_once(
            *[
                partial(
                    app.test_client().post,
                    "/api/v1/auth/login",
                    json={"code": f"newbie{attempt}.x{n}"},
                )
                for n in range(2)
            ]
        )
        assert [a.status_code for a in answers] == [200, 200], [a.get_json() for a in answers]
        with database.connection_context():
            assert User.select().where(User.openid == f"oStub_newbie{attempt}").count() == 1


def test_logging_in_again_does_not_use_up_account_numbers(client):
    # On PostgreSQL an insert that loses to the existing row still takes an id; ids are
    # finite, so a returning user must not try one.
    for _ in range(5):
        client.login("alice")
    alice = client.login("alice").get("/api/v1/me").get_json()["id"]
    bob = client.login("bob").get("/api/v1/me").get_json()["id"]
    assert bob == alice + 1
