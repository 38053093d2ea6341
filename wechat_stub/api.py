"""WeChat's server API as the stub answers it: same paths, same JSON, errors inside HTTP 200."""

from __future__ import annotations

import base64
import functools
import re
import secrets
import time

from flask import Blueprint, Response, current_app, jsonify, request

from wechat_stub.qr import render_png
from wechat_stub.state import StubState

api = Blueprint("wechat_api", __name__)

LOGIN_CODE = re.compile(r"(?P<user>[a-z0-9_]{1,32})(?:\.[A-Za-z0-9_-]{1,32})?")
PHONE_CODE = re.compile(r"phone-(?P<number>\d{11})")
OPENID = re.compile(r"o[A-Za-z0-9_-]{5,63}")
SCENE_CHARS = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+")
MAX_SCENE_LENGTH = 32
ENV_VERSIONS = {"release", "trial", "develop"}
MINIPROGRAM_STATES = {"developer", "trial", "formal"}
SEC_CHECK_SCENES = {1, 2, 3, 4}
# How long a call held by the "slow" fault waits before it is answered.
SLOW_SECONDS = 2.0


class WxError(Exception):
    """An answer WeChat gives as {"errcode", "errmsg"} inside HTTP 200."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def state() -> StubState:
    return current_app.extensions["wechat_stub"]


@api.errorhandler(WxError)
def _wx_error(exc: WxError):
    # Real errmsgs carry a request id; callers must key on errcode, never on the text.
    rid = f"stub-{state().next_id():08x}"
    return jsonify(errcode=exc.errcode, errmsg=f"{exc.errmsg} rid: {rid}")


@api.before_request
def _injected_fault():
    fault = state().take_fault()
    if fault == "http_500":
        return Response("503 Service Unavailable\n", status=503, mimetype="text/plain")
    if fault == "busy":
        return jsonify(errcode=-1, errmsg="system error")
    if fault == "frequency":
        return jsonify(errcode=45009, errmsg="reach max api daily quota limit")
    if fault == "slow":
        time.sleep(SLOW_SECONDS)
    return None


@api.after_request
def _record_call(response: Response):
    errcode = 0
    if response.is_json:
        errcode = (response.get_json(silent=True) or {}).get("errcode", 0)
    state().record(request.path, _body_for_log(), response.status_code, errcode)
    return response


def _body_for_log():
    if request.method == "GET":
        body = request.args.to_dict()
    else:
        body = request.get_json(silent=True)
        if body is None:
            return request.get_data(as_text=True)
    if isinstance(body, dict) and "secret" in body:
        body = {**body, "secret": "***"}
    return body


def json_body() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise WxError(47001, "data format error")
    return body


def requires_access_token(view):
    @functools.wraps(view)
    def checked(*args, **kwargs):
        status = state().token_status(request.args.get("access_token"))
        if status == "expired":
            raise WxError(42001, "access_token expired")
        if status != "valid":
            raise WxError(40001, "invalid credential, access_token is invalid or not latest")
        return view(*args, **kwargs)

    return checked


def check_app_credentials(appid: str | None, secret: str | None) -> None:
    if not appid:
        raise WxError(41002, "appid missing")
    if appid != state().appid:
        raise WxError(40013, "invalid appid")
    if not secret:
        raise WxError(41004, "appsecret missing")
    if not secrets.compare_digest(secret, state().secret):
        raise WxError(40125, "invalid appsecret")


def check_openid(openid) -> str:
    if not isinstance(openid, str) or not OPENID.fullmatch(openid):
        raise WxError(40003, "invalid openid")
    return openid


# -- login and access tokens -------------------------------------------------------------


@api.get("/sns/jscode2session")
def jscode2session():
    args = request.args
    check_app_credentials(args.get("appid"), args.get("secret"))
    if args.get("grant_type") != "authorization_code":
        raise WxError(40002, "invalid grant_type")
    code = args.get("js_code", "")
    if not code:
        raise WxError(41008, "missing code")
    match = LOGIN_CODE.fullmatch(code)
    if not match or match["user"].startswith("invalid"):
        raise WxError(40029, "invalid code")
    if not state().use_code("login", code):
        raise WxError(40163, "code been used")
    user = match["user"]
    session_key = base64.b64encode(secrets.token_bytes(16)).decode()
    return {"openid": f"oStub_{user}", "session_key": session_key, "unionid": f"uStub_{user}"}


@api.post("/cgi-bin/stable_token")
def stable_token():
    body = json_body()
    if body.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    check_app_credentials(body.get("appid"), body.get("secret"))
    token, expires_in = state().stable_token(force_refresh=body.get("force_refresh") is True)
    return {"access_token": token, "expires_in": expires_in}


@api.get("/cgi-bin/token")
def legacy_token():
    args = request.args
    if args.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    check_app_credentials(args.get("appid"), args.get("secret"))
    token, expires_in = state().legacy_token()
    return {"access_token": token, "expires_in": expires_in}


# -- mini-program codes ----------------------------------------------------------------


@api.post("/wxa/getwxacodeunlimit")
@requires_access_token
def get_unlimited_wxacode():
    body = json_body()
    scene = body.get("scene")
    if not isinstance(scene, str) or not 0 < len(scene) <= MAX_SCENE_LENGTH:
        raise WxError(40129, "invalid scene")
    if not SCENE_CHARS.fullmatch(scene):
        raise WxError(40169, "invalid length for scene, or the data is not json string")
    _check_code_page(body.get("page") or "", body.get("check_path", True))
    if body.get("env_version", "release") not in ENV_VERSIONS:
        raise WxError(40097, "invalid args")
    return Response(render_png(scene, _code_width(body.get("width", 430))), mimetype="image/png")


def _check_code_page(page, check_path) -> None:
    """An empty page means the home page; otherwise no leading slash and no query string."""
    if not isinstance(page, str) or page.startswith("/") or "?" in page:
        raise WxError(41030, "invalid page")
    if page and check_path is not False and not state().page_exists(page):
        raise WxError(41030, "invalid page")


def _code_width(width) -> int:
    if isinstance(width, bool) or not isinstance(width, int):
        raise WxError(47001, "data format error")
    return min(max(width, 280), 1280)


# -- content security ----------------------------------------------------------------


@api.post("/wxa/msg_sec_check")
@requires_access_token
def msg_sec_check():
    body = json_body()
    if body.get("version") != 2:
        raise WxError(47001, "data format error")
    check_openid(body.get("openid"))
    if body.get("scene") not in SEC_CHECK_SCENES:
        raise WxError(40129, "invalid scene")
    content = body.get("content")
    if not isinstance(content, str) or not content:
        raise WxError(44002, "empty post data")
    text = " ".join(str(body.get(k) or "") for k in ("content", "title", "nickname", "signature"))
    suggest, label, keyword = state().classify(text)
    return {
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
        "detail": _sec_check_detail(suggest, label, keyword),
        "trace_id": f"stub-trace-{state().next_id():08d}",
    }


def _sec_check_detail(suggest: str, label: int, keyword: str | None) -> list[dict]:
    detail = [
        {
            "strategy": "content_model",
            "errcode": 0,
            "suggest": suggest,
            "label": label,
            "prob": 90 if keyword else 0,
        }
    ]
    if keyword:
        detail.append(
            {
                "strategy": "keyword",
                "errcode": 0,
                "suggest": suggest,
                "label": label,
                "level": 20,
                "keyword": keyword,
            }
        )
    return detail


# -- subscribe messages and phone numbers -------------------------------------------------


@api.post("/cgi-bin/message/subscribe/send")
@requires_access_token
def send_subscribe_message():
    body = json_body()
    openid = check_openid(body.get("touser"))
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        raise WxError(40037, "invalid template_id")
    _check_message_data(body.get("data"))
    if body.get("miniprogram_state", "formal") not in MINIPROGRAM_STATES:
        raise WxError(47003, "argument invalid! miniprogram_state invalid")
    if not state().consume_subscription(openid, template_id):
        raise WxError(43101, "user refuse to accept the msg")
    return {"errcode": 0, "errmsg": "ok", "msgid": 3000000000 + state().next_id()}


def _check_message_data(data) -> None:
    if not isinstance(data, dict) or not data:
        raise WxError(47003, "argument invalid! data invalid")
    for key, item in data.items():
        if not isinstance(item, dict) or not isinstance(item.get("value"), (str, int, float)):
            raise WxError(47003, f"argument invalid! data.{key}.value invalid")


@api.post("/wxa/business/getuserphonenumber")
@requires_access_token
def get_user_phone_number():
    code = json_body().get("code")
    match = PHONE_CODE.fullmatch(code) if isinstance(code, str) else None
    if not match:
        raise WxError(40029, "invalid code")
    if not state().use_code("phone", code):
        raise WxError(40163, "code been used")
    number = match["number"]
    return {
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": number,
            "purePhoneNumber": number,
            "countryCode": "86",
            "watermark": {"timestamp": int(state().clock()), "appid": state().appid},
        },
    }
