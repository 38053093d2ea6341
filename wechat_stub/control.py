"""Control endpoints under /__stub__/ that let developers and tests arrange and inspect the stub."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from wechat_stub.api import state

control = Blueprint("wechat_stub_control", __name__, url_prefix="/__stub__")


class BadControlRequest(Exception):
    pass


@control.errorhandler(BadControlRequest)
def _bad_request(exc: BadControlRequest):
    return jsonify(error=str(exc)), 400


def _body() -> dict:
    body = request.get_json(force=True, silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise BadControlRequest("the body must be a JSON object")
    return body


def _count(body: dict, name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadControlRequest(f"{name} must be a non-negative integer")
    return value


def _word_list(body: dict, name: str) -> list[str] | None:
    value = body.get(name)
    if value is not None and not (
        isinstance(value, list) and all(isinstance(w, str) for w in value)
    ):
        raise BadControlRequest(f"{name} must be a list of strings")
    return value


@control.get("/sent")
def sent():
    """Every WeChat API call received since the last reset, oldest first."""
    endpoint = request.args.get("endpoint")
    calls = [c for c in state().sent() if not endpoint or endpoint in c["endpoint"]]
    return jsonify(calls)


@control.post("/reset")
def reset():
    state().reset()
    return {"reset": True}


@control.post("/subscriptions")
def grant_subscription():
    """The user tapped "allow" on `count` one-time subscribe prompts for this template."""
    body = _body()
    openid, template_id = body.get("openid"), body.get("template_id")
    if not isinstance(openid, str) or not isinstance(template_id, str):
        raise BadControlRequest("openid and template_id are required strings")
    remaining = state().grant_subscription(openid, template_id, _count(body, "count", 1))
    return {"openid": openid, "template_id": template_id, "remaining": remaining}


@control.post("/subscriptions/bulk")
def grant_subscriptions():
    """Each of `openids` tapped "allow" `count` times for this template: a crowd of
    subscribers in one call, for tests and benches that send thousands of messages."""
    body = _body()
    openids, template_id = _word_list(body, "openids"), body.get("template_id")
    if not openids or not isinstance(template_id, str):
        raise BadControlRequest("openids (a list of strings) and template_id are required")
    count = _count(body, "count", 1)
    granted = state().grant_subscriptions(openids, template_id, count)
    return {"template_id": template_id, "granted": granted}


@control.post("/expire-tokens")
def expire_tokens():
    return {"expired": state().expire_tokens()}


@control.get("/config")
def read_config():
    return state().config()


@control.post("/config")
def configure():
    body = _body()
    return state().configure(
        risky_words=_word_list(body, "risky_words"),
        review_words=_word_list(body, "review_words"),
        pages=_word_list(body, "pages"),
    )


@control.post("/faults")
def faults():
    """Make the next N API calls fail: {"busy": N} as errcode -1, {"http_500": N} as HTTP 503,
    {"frequency": N} as errcode 45009 (the app's quota reached);
    or {"slow": N}: answer them as usual, but only after SLOW_SECONDS."""
    body = _body()
    unknown = set(body) - {"busy", "http_500", "frequency", "slow"}
    if unknown:
        raise BadControlRequest(f"unknown faults: {sorted(unknown)}")
    counts = {name: _count(body, name) for name in body}
    return state().set_faults(**counts)
