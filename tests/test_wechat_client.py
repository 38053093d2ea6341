"""backend.wechat against the stub over real HTTP: typed errors, the cached token, every call."""

from __future__ import annotations

import io
import logging
import socket
import threading

import pytest
import requests
import zxingcpp
from flask import Flask
from PIL import Image

from backend import wechat
from backend.wechat import (
    AccessTokenInvalid,
    InvalidAppCredentials,
    InvalidArgument,
    InvalidLoginCode,
    InvalidPage,
    InvalidScene,
    SubscriptionRefused,
    WeChatClient,
    WeChatError,
    WeChatUnavailable,
    error_for,
)
from wechat_stub import create_app
from wechat_stub.server import start_in_thread

APPID, SECRET = "wx_client_test", "client-test-secret"
TEMPLATE = "TPL_RECTIFY"


class Stub:
    def __init__(self, url: str):
        self.url = url

    def control(self, name: str, body: dict | None = None) -> None:
        requests.post(f"{self.url}/__stub__/{name}", json=body or {}, timeout=5).raise_for_status()

    def sent(self, endpoint: str = "") -> list[dict]:
        params = {"endpoint": endpoint}
        return requests.get(f"{self.url}/__stub__/sent", params=params, timeout=5).json()


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def stub_url():
    url, stop = start_in_thread(
        create_app(appid=APPID, secret=SECRET, risky_words=["赌博"], review_words=["广告"])
    )
    yield url
    stop()


@pytest.fixture
def stub(stub_url) -> Stub:
    stub = Stub(stub_url)
    stub.control("reset")
    return stub


@pytest.fixture
def client(stub) -> WeChatClient:
    client = WeChatClient(stub.url, APPID, SECRET, timeout=(1, 5))
    yield client
    client.close()


# -- login -------------------------------------------------------------------------


def test_same_user_gets_the_same_openid(client):
    first, second = client.code2session("alice.n1"), client.code2session("alice.n2")
    assert first.openid == second.openid == "oStub_alice"
    assert first.unionid == "uStub_alice"
    assert first.session_key and first.session_key != second.session_key


def test_reused_login_code_is_invalid(client):
    client.code2session("bob.once")
    with pytest.raises(InvalidLoginCode) as caught:
        client.code2session("bob.once")
    assert caught.value.errcode == 40163


def test_garbage_login_code_is_invalid(client):
    with pytest.raises(InvalidLoginCode) as caught:
        client.code2session("not a wechat code!")
    assert caught.value.errcode == 40029


@pytest.mark.parametrize(
    "appid, secret, code", [(APPID, "wrong", 40125), ("wx_other", SECRET, 40013)]
)
def test_wrong_app_credentials(stub, appid, secret, code):
    client = WeChatClient(stub.url, appid, secret)
    with pytest.raises(InvalidAppCredentials) as login:
        client.code2session("carol")
    with pytest.raises(InvalidAppCredentials) as token:
        client.access_token()
    assert login.value.errcode == token.value.errcode == code


def test_session_repr_hides_the_session_key(client):
    session = client.code2session("dave")
    assert session.session_key not in repr(session)


# -- the access token -----------------------------------------------------------------


def test_token_is_fetched_once_for_many_calls(client, stub):
    client.msg_sec_check("你好", "oStub_alice")
    client.get_unlimited_wxacode("a")
    client.get_phone_number("phone-13800138000")
    assert len(stub.sent("stable_token")) == 1


def test_concurrent_callers_share_one_token_fetch(client, stub):
    errors = []

    def check():
        try:
            client.msg_sec_check("你好", "oStub_alice")
        except WeChatError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(stub.sent("stable_token")) == 1
    assert len(stub.sent("msg_sec_check")) == 10


def test_token_is_renewed_five_minutes_before_it_expires(stub):
    clock = FakeClock()
    client = WeChatClient(stub.url, APPID, SECRET, clock=clock)
    client.access_token()
    clock.now += 7200 - 301
    client.access_token()
    assert len(stub.sent("stable_token")) == 1
    clock.now += 1
    client.access_token()
    assert len(stub.sent("stable_token")) == 2


def test_expired_token_is_renewed_and_the_call_retried_once(client, stub):
    client.msg_sec_check("你好", "oStub_alice")
    stub.control("expire-tokens")
    assert client.msg_sec_check("你好", "oStub_alice").passed
    checks = [c["errcode"] for c in stub.sent("msg_sec_check")]
    assert checks == [0, 42001, 0]
    fetches = [c["body"]["force_refresh"] for c in stub.sent("stable_token")]
    assert fetches == [False, True]


def test_token_rejected_twice_is_an_error_not_a_loop():
    # Tokens that expire the moment they are issued: the one retry fails too.
    url, stop = start_in_thread(create_app(appid=APPID, secret=SECRET, token_ttl=0))
    try:
        client = WeChatClient(url, APPID, SECRET)
        with pytest.raises(AccessTokenInvalid) as caught:
            client.get_phone_number("phone-13800138000")
        assert caught.value.errcode == 42001
        assert len(Stub(url).sent("getuserphonenumber")) == 2
    finally:
        stop()


# -- mini-program codes ----------------------------------------------------------------


def test_wxacode_scans_back_to_the_scene(client, stub):
    png = client.get_unlimited_wxacode("S/AB12CD34EF", page="pages/scan/index", width=500)
    image = Image.open(io.BytesIO(png))
    assert image.size == (500, 500)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["S/AB12CD34EF"]
    assert stub.sent("getwxacodeunlimit")[0]["body"]["page"] == "pages/scan/index"


@pytest.mark.parametrize(
    "scene, page, error, code",
    [
        ("A" * 33, None, InvalidScene, 40129),
        ("商户=1", None, InvalidScene, 40169),
        ("a", "/pages/scan/index", InvalidPage, 41030),
    ],
)
def test_wxacode_refusals_are_typed(client, scene, page, error, code):
    with pytest.raises(error) as caught:
        client.get_unlimited_wxacode(scene, page=page)
    assert caught.value.errcode == code


# -- content security ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, suggest", [("欢迎光临", "pass"), ("来赌博吗", "risky"), ("广告位招租", "review")]
)
def test_msg_sec_check_verdicts(client, stub, text, suggest):
    check = client.msg_sec_check(text, "oStub_alice", scene=3)
    assert check.suggest == suggest and check.passed == (suggest == "pass")
    assert check.label and check.trace_id
    assert stub.sent("msg_sec_check")[0]["body"] == {
        "content": text,
        "version": 2,
        "scene": 3,
        "openid": "oStub_alice",
    }


def test_msg_sec_check_for_a_malformed_openid(client):
    with pytest.raises(InvalidArgument) as caught:
        client.msg_sec_check("hi", "")
    assert caught.value.errcode == 40003


# -- subscribe messages -----------------------------------------------------------------


def test_subscribe_message_refused_without_subscription(client):
    with pytest.raises(SubscriptionRefused) as caught:
        client.send_subscribe_message("oStub_alice", TEMPLATE, {"thing1": "整改通知"})
    assert caught.value.errcode == 43101


def test_subscription_is_consumed_by_one_send(client, stub):
    stub.control("subscriptions", {"openid": "oStub_alice", "template_id": TEMPLATE})
    msgid = client.send_subscribe_message(
        "oStub_alice",
        TEMPLATE,
        {"thing1": "整改通知", "time2": {"value": "2024-05-01"}},
        page="pages/orders/index",
    )
    assert isinstance(msgid, int)
    body = stub.sent("subscribe/send")[0]["body"]
    assert body["data"] == {"thing1": {"value": "整改通知"}, "time2": {"value": "2024-05-01"}}
    assert body["page"] == "pages/orders/index"
    with pytest.raises(SubscriptionRefused):
        client.send_subscribe_message("oStub_alice", TEMPLATE, {"thing1": "again"})


def test_subscribe_message_to_a_bad_openid(client):
    with pytest.raises(InvalidArgument) as caught:
        client.send_subscribe_message("bad openid", TEMPLATE, {"thing1": "x"})
    assert caught.value.errcode == 40003


# -- phone numbers ----------------------------------------------------------------------


def test_phone_number(client):
    info = client.get_phone_number("phone-13912345678")
    assert (info.phone_number, info.pure_phone_number, info.country_code) == (
        "13912345678",
        "13912345678",
        "86",
    )
    assert "13912345678" not in repr(info)


def test_phone_code_used_twice(client):
    client.get_phone_number("phone-13912345678")
    with pytest.raises(InvalidLoginCode) as caught:
        client.get_phone_number("phone-13912345678")
    assert caught.value.errcode == 40163


# -- WeChat unavailable -----------------------------------------------------------------


def test_busy_wechat_is_unavailable(client, stub):
    stub.control("faults", {"busy": 1})
    with pytest.raises(WeChatUnavailable) as caught:
        client.code2session("erin")
    assert caught.value.errcode == -1
    assert client.code2session("erin").openid == "oStub_erin"


def test_busy_token_endpoint_is_unavailable_then_recovers(client, stub):
    stub.control("faults", {"busy": 1})
    with pytest.raises(WeChatUnavailable):
        client.msg_sec_check("hi", "oStub_alice")
    assert client.msg_sec_check("hi", "oStub_alice").passed


def test_http_error_is_unavailable(client, stub):
    stub.control("faults", {"http_500": 1})
    with pytest.raises(WeChatUnavailable) as caught:
        client.code2session("frank")
    assert "503" in caught.value.errmsg


def test_stopped_wechat_is_unavailable_and_logs_no_secrets(caplog):
    url, stop = start_in_thread(create_app(appid=APPID, secret=SECRET))
    client = WeChatClient(url, APPID, SECRET)
    token = client.access_token()
    stop()
    caplog.set_level(logging.INFO, logger="backend.wechat")
    for call in (
        lambda: client.code2session("gina"),
        lambda: client.get_phone_number("phone-13800138000"),
    ):
        with pytest.raises(WeChatUnavailable) as caught:
            call()
        assert caught.value.errcode is None
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert caplog.records
    for secret in (SECRET, token, "13800138000"):
        assert secret not in logged and secret not in str(caught.value)


def test_silent_server_times_out_as_unavailable():
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = WeChatClient(
            f"http://127.0.0.1:{listener.getsockname()[1]}", APPID, SECRET, timeout=(1, 0.2)
        )
        with pytest.raises(WeChatUnavailable) as caught:
            client.code2session("hank")
    assert caught.value.errmsg == "timed out"


def test_html_where_json_was_expected_is_unavailable():
    proxy_page = Flask(__name__)
    proxy_page.add_url_rule("/sns/jscode2session", view_func=lambda: "<html>gateway</html>")
    url, stop = start_in_thread(proxy_page)
    try:
        with pytest.raises(WeChatUnavailable):
            WeChatClient(url, APPID, SECRET).code2session("ivan")
    finally:
        stop()


# -- errcode mapping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "errcode, error",
    [
        (40029, InvalidLoginCode),
        (40163, InvalidLoginCode),
        (40013, InvalidAppCredentials),
        (40125, InvalidAppCredentials),
        (40001, AccessTokenInvalid),
        (40014, AccessTokenInvalid),
        (42001, AccessTokenInvalid),
        (40129, InvalidScene),
        (40169, InvalidScene),
        (41030, InvalidPage),
        (43101, SubscriptionRefused),
        (40003, InvalidArgument),
        (47001, InvalidArgument),
        (-1, WeChatUnavailable),
        (45009, WeChatUnavailable),
        (61010, WeChatError),
    ],
)
def test_error_for_picks_the_class(errcode, error):
    exc = error_for(errcode, "msg")
    assert type(exc) is error and isinstance(exc, wechat.WeChatError)
    assert (exc.errcode, exc.errmsg) == (errcode, "msg")
