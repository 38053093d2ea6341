"""The WeChat stub, spoken to over real HTTP the way WeChat's server would be."""

from __future__ import annotations

import base64
import io
import threading

import pytest
import requests
import zxingcpp
from PIL import Image

from wechat_stub import DEFAULT_APPID, DEFAULT_SECRET, create_app
from wechat_stub.__main__ import parse_args
from wechat_stub.server import start_in_thread

# The stub alone, no database: run once, not once per database.
pytestmark = pytest.mark.once

APPID, SECRET = "wx_stub_test", "stub-test-secret"


class Stub:
    """Talks to a running stub: WeChat's endpoints and the /__stub__/ controls."""

    def __init__(self, url: str):
        self.url = url

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(self.url + path, params=params, timeout=5)

    def post(self, path: str, body=None, **params) -> requests.Response:
        return requests.post(self.url + path, params=params, json=body, timeout=5)

    def control(self, name: str, body: dict | None = None) -> dict:
        response = self.post(f"/__stub__/{name}", body or {})
        response.raise_for_status()
        return response.json()

    def sent(self, endpoint: str = "") -> list[dict]:
        return self.get("/__stub__/sent", endpoint=endpoint).json()

    def login(self, code: str, appid: str = APPID, secret: str = SECRET) -> dict:
        return self.get(
            "/sns/jscode2session",
            appid=appid,
            secret=secret,
            js_code=code,
            grant_type="authorization_code",
        ).json()

    def stable_token(self, force_refresh: bool = False, secret: str = SECRET) -> dict:
        return self.post(
            "/cgi-bin/stable_token",
            {
                "grant_type": "client_credential",
                "appid": APPID,
                "secret": secret,
                "force_refresh": force_refresh,
            },
        ).json()

    def token(self) -> str:
        return self.stable_token()["access_token"]

    def call(self, path: str, body: dict, token: str | None = None) -> requests.Response:
        return self.post(path, body, access_token=token or self.token())


@pytest.fixture(scope="module")
def stub_url():
    url, stop = start_in_thread(
        create_app(
            appid=APPID,
            secret=SECRET,
            risky_words=["赌博", "casino"],
            review_words=["广告", "promo"],
        )
    )
    yield url
    stop()


@pytest.fixture
def stub(stub_url) -> Stub:
    stub = Stub(stub_url)
    stub.control("reset")
    return stub


def errcode(response: requests.Response) -> int:
    assert response.status_code == 200
    return response.json()["errcode"]


# -- code2Session ------------------------------------------------------------------


def test_login_code_names_a_stable_user(stub):
    first, second = stub.login("alice"), stub.login("alice.n2")
    assert first["openid"] == second["openid"] == "oStub_alice"
    assert first["unionid"] == "uStub_alice"
    assert len(base64.b64decode(first["session_key"])) == 16
    assert first["session_key"] != second["session_key"]


def test_login_code_is_accepted_once(stub):
    assert stub.login("bob.once")["openid"] == "oStub_bob"
    assert stub.login("bob.once")["errcode"] == 40163


@pytest.mark.parametrize(
    "code",
    [
        "Alice",
        "invalid_user",
        "invalid.1",
        "a" * 33,
        "bob.has space",
        "bob.a.b",
        "bob." + "x" * 33,
        "鲍勃",
    ],
)
def test_malformed_login_code_is_invalid(stub, code):
    answer = stub.login(code)
    assert answer["errcode"] == 40029
    assert "invalid code" in answer["errmsg"]


def test_login_checks_app_credentials(stub):
    assert stub.login("carol", appid="wx_other")["errcode"] == 40013
    assert stub.login("carol", secret="wrong")["errcode"] == 40125
    # A rejected request does not burn the user's code.
    assert stub.login("carol")["openid"] == "oStub_carol"


def test_concurrent_redemptions_of_one_code_succeed_once(stub):
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(stub.login("dave.race"))) for _ in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("openid" in a for a in answers) == 1
    assert sum(a.get("errcode") == 40163 for a in answers) == 11


# -- access tokens -----------------------------------------------------------------


def test_stable_token_is_reused_until_forced(stub):
    first = stub.stable_token()
    assert first["expires_in"] == 7200
    assert stub.stable_token()["access_token"] == first["access_token"]
    forced = stub.stable_token(force_refresh=True)["access_token"]
    assert forced != first["access_token"]
    # Forcing a refresh revokes the old token, as WeChat does.
    assert errcode(stub.call("/wxa/msg_sec_check", {}, token=first["access_token"])) == 40001


def test_stable_token_checks_credentials(stub):
    assert stub.stable_token(secret="wrong")["errcode"] == 40125
    body = {"grant_type": "client_credential", "appid": "wx_other", "secret": SECRET}
    assert errcode(stub.post("/cgi-bin/stable_token", body)) == 40013


def test_legacy_token_is_new_each_time(stub):
    params = dict(grant_type="client_credential", appid=APPID, secret=SECRET)
    first = stub.get("/cgi-bin/token", **params).json()["access_token"]
    second = stub.get("/cgi-bin/token", **params).json()["access_token"]
    assert first != second
    assert stub.get("/cgi-bin/token", **{**params, "secret": "x"}).json()["errcode"] == 40125


def test_missing_unknown_and_expired_tokens(stub):
    body = {"code": "phone-13800138000"}
    assert errcode(stub.post("/wxa/business/getuserphonenumber", body)) == 40001
    assert errcode(stub.call("/wxa/business/getuserphonenumber", body, token="nope")) == 40001
    token = stub.token()
    stub.control("expire-tokens")
    assert errcode(stub.call("/wxa/business/getuserphonenumber", body, token=token)) == 42001
    assert stub.token() != token


# -- mini-program codes ----------------------------------------------------------------


def wxacode(stub: Stub, **body) -> requests.Response:
    return stub.call("/wxa/getwxacodeunlimit", {"check_path": False, **body})


def test_wxacode_is_a_png_that_scans_to_the_scene(stub):
    response = wxacode(stub, scene="S/AB12CD34EF", page="pages/scan/index", width=600)
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (600, 600)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["S/AB12CD34EF"]


def test_wxacode_width_is_clamped_to_wechat_limits(stub):
    small = Image.open(io.BytesIO(wxacode(stub, scene="a", width=100).content))
    default = Image.open(io.BytesIO(wxacode(stub, scene="a").content))
    assert small.size == (280, 280) and default.size == (430, 430)


@pytest.mark.parametrize(
    "body, code",
    [
        ({"scene": "A" * 33}, 40129),
        ({"scene": ""}, 40129),
        ({"scene": "shop=汇商码"}, 40169),
        ({"scene": "a b"}, 40169),
        ({"scene": "id%20"}, 40169),
        ({"scene": "a", "page": "/pages/index/index"}, 41030),
        ({"scene": "a", "page": "pages/index/index?x=1"}, 41030),
        ({"scene": "a", "env_version": "beta"}, 40097),
    ],
)
def test_wxacode_rejections(stub, body, code):
    response = wxacode(stub, **body)
    assert response.headers["Content-Type"].startswith("application/json")
    assert errcode(response) == code


def test_scene_accepts_every_documented_character(stub):
    scene = "09azAZ!#$&'()*+,/:;=?@-._~"
    image = Image.open(io.BytesIO(wxacode(stub, scene=scene).content))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [scene]


def test_check_path_refuses_pages_that_are_not_released(stub):
    stub.control("config", {"pages": ["pages/scan/index"]})
    body = {"scene": "a", "page": "pages/draft/index"}
    assert errcode(stub.call("/wxa/getwxacodeunlimit", {**body, "check_path": True})) == 41030
    assert wxacode(stub, **body).headers["Content-Type"] == "image/png"


# -- content security ---------------------------------------------------------------


def sec_check(stub: Stub, text: str, **extra) -> dict:
    body = {"content": text, "version": 2, "scene": 2, "openid": "oStub_alice", **extra}
    return stub.call("/wxa/msg_sec_check", body).json()


@pytest.mark.parametrize(
    "content, suggest, label",
    [
        ("欢迎来店里坐坐", "pass", 100),
        ("这里可以赌博", "risky", 20006),
        ("全场广告位招租", "review", 20012),
        ("promo casino", "risky", 20006),
    ],
)
def test_sec_check_verdicts(stub, content, suggest, label):
    answer = sec_check(stub, content)
    assert answer["errcode"] == 0 and answer["trace_id"]
    assert answer["result"] == {"suggest": suggest, "label": label}
    assert answer["detail"][0]["strategy"] == "content_model"


def test_sec_check_words_are_configurable(stub):
    stub.control("config", {"risky_words": ["假货"], "review_words": []})
    assert sec_check(stub, "卖假货")["result"]["suggest"] == "risky"
    assert sec_check(stub, "赌博")["result"]["suggest"] == "pass"
    stub.control("reset")
    assert sec_check(stub, "赌博")["result"]["suggest"] == "risky"


@pytest.mark.parametrize(
    "extra, code",
    [
        ({"version": 1}, 47001),
        ({"openid": None}, 40003),
        ({"openid": "x"}, 40003),
        ({"scene": 9}, 40129),
        ({"content": ""}, 44002),
    ],
)
def test_sec_check_rejections(stub, extra, code):
    assert sec_check(stub, "hi", **extra)["errcode"] == code


# -- subscribe messages ---------------------------------------------------------------


def subscribe_send(stub: Stub, touser: str = "oStub_alice", template: str = "TPL_RECTIFY"):
    body = {
        "touser": touser,
        "template_id": template,
        "page": "pages/orders/index",
        "data": {"thing1": {"value": "整改通知"}},
        "miniprogram_state": "developer",
    }
    return stub.call("/cgi-bin/message/subscribe/send", body).json()


def test_subscribe_message_needs_an_accepted_subscription(stub):
    assert subscribe_send(stub)["errcode"] == 43101
    granted = stub.control(
        "subscriptions", {"openid": "oStub_alice", "template_id": "TPL_RECTIFY", "count": 2}
    )
    assert granted["remaining"] == 2
    assert [subscribe_send(stub)["errcode"] for _ in range(3)] == [0, 0, 43101]


def test_a_crowd_subscribes_in_one_call(stub):
    granted = stub.control(
        "subscriptions/bulk",
        {"openids": ["oStub_alice", "oStub_bob"], "template_id": "TPL_RECTIFY", "count": 2},
    )
    assert granted == {"template_id": "TPL_RECTIFY", "granted": 2}
    sent = [subscribe_send(stub, touser="oStub_bob")["errcode"] for _ in range(3)]
    assert sent == [0, 0, 43101]
    assert stub.post("/__stub__/subscriptions/bulk", {"openids": "oStub_a"}).status_code == 400


def test_subscription_is_per_template(stub):
    stub.control("subscriptions", {"openid": "oStub_alice", "template_id": "TPL_OTHER"})
    assert subscribe_send(stub)["errcode"] == 43101
    sent = subscribe_send(stub, template="TPL_OTHER")
    assert sent["errcode"] == 0 and isinstance(sent["msgid"], int)


def test_subscribe_message_to_a_malformed_openid(stub):
    assert subscribe_send(stub, touser="not an openid")["errcode"] == 40003


# -- phone numbers --------------------------------------------------------------------


def test_phone_code_gives_its_number_once(stub):
    token = stub.token()
    body = {"code": "phone-13912345678"}
    info = stub.call("/wxa/business/getuserphonenumber", body, token).json()["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == "13912345678"
    assert info["countryCode"] == "86" and info["watermark"]["appid"] == APPID
    assert errcode(stub.call("/wxa/business/getuserphonenumber", body, token)) == 40163
    bad = {"code": "phone-123"}
    assert errcode(stub.call("/wxa/business/getuserphonenumber", bad, token)) == 40029


# -- faults, the call log and reset -------------------------------------------------------


def test_busy_fault_answers_system_error_then_recovers(stub):
    stub.control("faults", {"busy": 2})
    assert stub.login("erin.1") == {"errcode": -1, "errmsg": "system error"}
    assert stub.stable_token() == {"errcode": -1, "errmsg": "system error"}
    assert stub.login("erin.2")["openid"] == "oStub_erin"


def test_http_fault_answers_503_text(stub):
    stub.control("faults", {"http_500": 1})
    response = stub.get("/sns/jscode2session", appid=APPID)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/plain")
    assert stub.login("frank")["openid"] == "oStub_frank"


def test_faults_do_not_touch_control_endpoints(stub):
    stub.control("faults", {"busy": 1})
    assert stub.sent() == []
    assert stub.login("gina")["errcode"] == -1


def test_sent_lists_calls_without_secrets(stub):
    stub.login("hank")
    stub.stable_token()
    calls = stub.sent()
    assert [c["endpoint"] for c in calls] == ["/sns/jscode2session", "/cgi-bin/stable_token"]
    assert all(c["body"]["secret"] == "***" and c["at"] for c in calls)
    assert SECRET not in str(calls)
    assert [c["endpoint"] for c in stub.sent("stable_token")] == ["/cgi-bin/stable_token"]


def test_reset_forgets_codes_tokens_and_log(stub):
    stub.login("ivan.1")
    token = stub.token()
    stub.control("reset")
    assert stub.sent() == []
    assert stub.login("ivan.1")["openid"] == "oStub_ivan"
    assert errcode(stub.call("/wxa/business/getuserphonenumber", {}, token=token)) == 40001


def test_control_rejects_malformed_requests(stub):
    assert stub.post("/__stub__/faults", {"flood": 1}).status_code == 400
    assert stub.post("/__stub__/faults", {"busy": -1}).status_code == 400
    assert stub.post("/__stub__/subscriptions", {"openid": "oStub_a"}).status_code == 400
    assert stub.post("/__stub__/config", {"risky_words": "casino"}).status_code == 400


def test_command_line_defaults_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("WECHAT_APPID", raising=False)
    monkeypatch.delenv("WECHAT_SECRET", raising=False)
    args = parse_args([])
    assert (args.host, args.port, args.appid, args.secret) == (
        "127.0.0.1",
        9100,
        DEFAULT_APPID,
        DEFAULT_SECRET,
    )
    monkeypatch.setenv("WECHAT_APPID", "wx_env")
    monkeypatch.setenv("WECHAT_SECRET", "env-secret")
    assert (parse_args([]).appid, parse_args([]).secret) == ("wx_env", "env-secret")
    assert parse_args(["--port", "9200", "--appid", "wx_cli"]).appid == "wx_cli"
