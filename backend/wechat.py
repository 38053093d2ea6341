"""The one client for WeChat's server API: login, access token, mini-program codes, content
checks, subscribe messages and phone numbers. WeChat's errcodes become typed exceptions.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

log = logging.getLogger(__name__)

# Renew this long before WeChat says the token expires, so no call races the deadline.
TOKEN_RENEW_MARGIN = 300


class WeChatError(Exception):
    """WeChat said no (errcode != 0), or could not say anything useful."""

    def __init__(self, errcode: int | None, errmsg: str = ""):
        super().__init__(errmsg if errcode is None else f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class InvalidLoginCode(WeChatError):
    """The js_code or phone code is wrong, expired or already used: the user must try again."""


class InvalidAppCredentials(WeChatError):
    """Our appid or secret is wrong: an operator must fix the configuration."""


class AccessTokenInvalid(WeChatError):
    """The access token was revoked or expired."""


class InvalidScene(WeChatError):
    """A mini-program code's scene (or a content check's scene) is too long or malformed."""


class InvalidPage(WeChatError):
    """The page does not exist in the released mini-program, or is written wrongly."""


class SubscriptionRefused(WeChatError):
    """The user has no subscription left for this template."""


class InvalidArgument(WeChatError):
    """WeChat rejected an argument we sent."""


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, was busy or rate-limited, or answered garbage: retry later."""


_ERRORS_BY_CODE: dict[int, type[WeChatError]] = {
    -1: WeChatUnavailable,
    45009: WeChatUnavailable,  # API minute/daily quota reached
    45011: WeChatUnavailable,  # code2session frequency limit
    40029: InvalidLoginCode,
    40163: InvalidLoginCode,
    40013: InvalidAppCredentials,
    40125: InvalidAppCredentials,
    40001: AccessTokenInvalid,
    40014: AccessTokenInvalid,
    42001: AccessTokenInvalid,
    40129: InvalidScene,
    40169: InvalidScene,
    41030: InvalidPage,
    43101: SubscriptionRefused,
}


def error_for(errcode: int, errmsg: str = "") -> WeChatError:
    """The typed exception for a WeChat errcode; unknown 4xxxx codes are argument errors."""
    cls = _ERRORS_BY_CODE.get(errcode)
    if cls is None:
        cls = InvalidArgument if 40000 <= errcode < 50000 else WeChatError
    return cls(errcode, errmsg)


@dataclass(frozen=True)
class Session:
    openid: str
    session_key: str = field(repr=False)
    unionid: str | None = None


@dataclass(frozen=True)
class SecCheck:
    suggest: str  # "pass", "review" or "risky"
    label: int
    trace_id: str | None = None

    @property
    def passed(self) -> bool:
        return self.suggest == "pass"


@dataclass(frozen=True)
class PhoneInfo:
    phone_number: str = field(repr=False)
    pure_phone_number: str = field(repr=False)
    country_code: str


class WeChatClient:
    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        timeout: float | tuple[float, float] = (3.05, 10),
        clock: Callable[[], float] = time.time,
    ):
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._secret = secret
        self.timeout = timeout
        self._clock = clock
        self._http = requests.Session()
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_renew_at = 0.0

    def close(self) -> None:
        self._http.close()

    # -- login -----------------------------------------------------------------------

    def code2session(self, js_code: str) -> Session:
        params = {
            "appid": self.appid,
            "secret": self._secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        return self._exchange("GET", "/sns/jscode2session", _session_answer, params=params)

    # -- access token ------------------------------------------------------------------

    def access_token(self) -> str:
        """The cached stable access token, fetched or renewed when needed."""
        # The lock is held across the HTTP call on purpose: one renewal, not one per thread.
        with self._token_lock:
            if self._token is None or self._clock() >= self._token_renew_at:
                self._fetch_token(force_refresh=False)
            return self._token

    def _replace_rejected_token(self, rejected: str) -> str:
        with self._token_lock:
            # Another thread may already have replaced it; forcing again would revoke theirs.
            if self._token == rejected:
                self._fetch_token(force_refresh=True)
            return self._token

    def _fetch_token(self, force_refresh: bool) -> None:
        requested_at = self._clock()
        body = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        token, expires_in = self._exchange(
            "POST", "/cgi-bin/stable_token", _token_answer, body=body
        )
        self._token = token
        self._token_renew_at = requested_at + expires_in - TOKEN_RENEW_MARGIN

    # -- calls that need the access token ---------------------------------------------------

    def get_unlimited_wxacode(
        self,
        scene: str,
        page: str | None = None,
        width: int = 430,
        check_path: bool = False,
        env_version: str = "release",
    ) -> bytes:
        """The mini-program code image (PNG or JPEG bytes) that opens `page` with `scene`."""
        body = {
            "scene": scene,
            "check_path": check_path,
            "env_version": env_version,
            "width": width,
        }
        if page:
            body["page"] = page
        return self._with_token("/wxa/getwxacodeunlimit", body, _image_answer)

    def msg_sec_check(self, content: str, openid: str, scene: int = 2) -> SecCheck:
        """WeChat's verdict on user text; scene 1 profile, 2 comment, 3 forum, 4 social log."""
        body = {"content": content, "version": 2, "scene": scene, "openid": openid}
        return self._with_token("/wxa/msg_sec_check", body, _sec_check_answer)

    def send_subscribe_message(
        self,
        touser: str,
        template_id: str,
        data: dict,
        page: str | None = None,
        *,
        miniprogram_state: str = "formal",
    ) -> int:
        """Send one subscribe message and return its msgid; plain values in `data` are
        wrapped as {"value": ...}. miniprogram_state is "developer", "trial" or "formal"."""
        body = {
            "touser": touser,
            "template_id": template_id,
            "data": _message_data(data),
            "miniprogram_state": miniprogram_state,
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        return self._with_token("/cgi-bin/message/subscribe/send", body, _msgid_answer)

    def get_phone_number(self, code: str) -> PhoneInfo:
        """The phone number the user agreed to share, from the code getPhoneNumber gave them."""
        return self._with_token("/wxa/business/getuserphonenumber", {"code": code}, _phone_answer)

    def _with_token(self, path: str, body: dict, parse):
        """Call with the cached token; if WeChat rejects it, renew once and call again."""
        token = self.access_token()
        try:
            return self._exchange("POST", path, parse, params={"access_token": token}, body=body)
        except AccessTokenInvalid:
            token = self._replace_rejected_token(token)
            return self._exchange("POST", path, parse, params={"access_token": token}, body=body)

    # -- HTTP ------------------------------------------------------------------------------

    def _exchange(self, method: str, path: str, parse, *, params=None, body=None):
        try:
            return parse(self._send(method, path, params, body))
        except WeChatError as exc:
            _log_failure(exc, path)
            raise

    def _send(self, method: str, path: str, params, body) -> requests.Response:
        # Chinese text goes as UTF-8, not \u escapes: some WeChat endpoints show escapes verbatim.
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
        try:
            response = self._http.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise WeChatUnavailable(None, "timed out") from None
        except requests.RequestException as exc:
            # `from None` and no str(exc): the exception text holds the URL with secret or token.
            raise WeChatUnavailable(None, f"request failed: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise WeChatUnavailable(None, f"HTTP {response.status_code}")
        return response


def _log_failure(exc: WeChatError, path: str) -> None:
    # Path only: the query string carries the secret or the access token.
    expected = isinstance(exc, (InvalidLoginCode, SubscriptionRefused))
    log.log(
        logging.INFO if expected else logging.WARNING,
        "wechat %s failed: %s (errcode %s)",
        path,
        type(exc).__name__,
        exc.errcode,
        extra={"wechat_path": path, "errcode": exc.errcode, "errmsg": exc.errmsg},
    )


def _json_answer(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise WeChatUnavailable(None, "answer is not JSON") from None
    if not isinstance(data, dict):
        raise WeChatUnavailable(None, "answer is not a JSON object")
    errcode = data.get("errcode") or 0
    if not isinstance(errcode, int):
        raise WeChatUnavailable(None, "answer has a malformed errcode")
    if errcode != 0:
        raise error_for(errcode, str(data.get("errmsg", "")))
    return data


def _malformed(what: str) -> WeChatUnavailable:
    return WeChatUnavailable(None, f"answer lacks {what}")


def _session_answer(response: requests.Response) -> Session:
    data = _json_answer(response)
    if not data.get("openid") or not data.get("session_key"):
        raise _malformed("openid or session_key")
    return Session(data["openid"], data["session_key"], data.get("unionid"))


def _token_answer(response: requests.Response) -> tuple[str, int]:
    data = _json_answer(response)
    token, expires_in = data.get("access_token"), data.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int):
        raise _malformed("access_token or expires_in")
    return token, expires_in


def _image_answer(response: requests.Response) -> bytes:
    """WeChat sends the image on success and JSON on failure, both with HTTP 200."""
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("image/") and response.content:
        return response.content
    _json_answer(response)
    raise _malformed("the image")


def _sec_check_answer(response: requests.Response) -> SecCheck:
    data = _json_answer(response)
    result = data.get("result") or {}
    if result.get("suggest") not in ("pass", "review", "risky"):
        raise _malformed("a verdict")
    return SecCheck(result["suggest"], int(result.get("label") or 0), data.get("trace_id"))


def _msgid_answer(response: requests.Response) -> int:
    msgid = _json_answer(response).get("msgid")
    if not isinstance(msgid, int):
        raise _malformed("msgid")
    return msgid


def _phone_answer(response: requests.Response) -> PhoneInfo:
    info = _json_answer(response).get("phone_info") or {}
    if not info.get("phoneNumber"):
        raise _malformed("phone_info")
    return PhoneInfo(
        info["phoneNumber"],
        info.get("purePhoneNumber") or info["phoneNumber"],
        str(info.get("countryCode", "")),
    )


def _message_data(data: dict) -> dict:
    return {
        key: value if isinstance(value, dict) else {"value": value} for key, value in data.items()
    }
