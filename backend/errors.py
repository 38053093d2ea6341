"""Domain errors and the one JSON error shape: {code, status, message, errors, request_id}."""

from __future__ import annotations

import logging
from http import HTTPStatus

import peewee as pw
from flask import g, jsonify, request
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException

from backend import MAX_REQUEST_BYTES, wechat

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no. Services raise these; this module turns them into HTTP once."""

    status = 400

    def __init__(self, message: str, errors: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def field(cls, name: str, reason: str, location: str = "json"):
        """This error about one field of the request: `reason` names what is wrong with it."""
        return cls(f"{name}: {reason}", errors={location: {name: [reason]}})


class Invalid(DomainError):
    status = 422


class Unauthorized(DomainError):
    status = 401

    def __init__(self, message: str = "authentication required", **kwargs):
        headers = {"WWW-Authenticate": 'Bearer realm="citycode"'}
        super().__init__(message, headers=headers, **kwargs)


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "not found", **kwargs):
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    status = 409


class TooMany(DomainError):
    """A rule's limit on how often one person may do something, not the rate limiter's."""

    status = 429


class UpstreamFailed(DomainError):
    """WeChat answered, but not with something we can use."""

    status = 502


class UpstreamUnavailable(DomainError):
    """WeChat could not be reached or is busy; the caller may retry."""

    status = 503

    def __init__(self, message: str, **kwargs):
        super().__init__(message, headers={"Retry-After": "5"}, **kwargs)


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    phrase = HTTPStatus(status).phrase
    body = {"code": status, "status": phrase, "message": message or phrase}
    if errors:
        body["errors"] = errors
    body["request_id"] = g.get("request_id")
    return body


def error_response(status: int, message=None, errors=None, headers=None):
    response = jsonify(error_body(status, message, errors))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_wechat(exc: wechat.WeChatError) -> DomainError:
    """What a WeChat failure means to our caller, when the service did not say otherwise."""
    if isinstance(exc, wechat.WeChatUnavailable):
        return UpstreamUnavailable("WeChat is unavailable right now; try again shortly")
    if isinstance(exc, wechat.InvalidAppCredentials):
        log.error("wechat rejected app credentials", extra={"errcode": exc.errcode})
        return UpstreamFailed("WeChat rejected this service's credentials")
    return UpstreamFailed(f"WeChat refused the request (errcode {exc.errcode})")


def handle_http_exception(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    message = data.get("message") or exc.description
    if exc.code == 429:
        message = f"too many requests: limit is {exc.description}"
    # What the exception itself says in headers (Allow on a 405, Retry-After), less the
    # HTML content type it would have been sent with.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if exc.code == 422 and not message:
        message = "the request did not validate"
    errors = data.get("messages") or data.get("errors")
    if exc.code == 413:
        # Say which limit the person hit: a photo's, or the request body's.
        if request.mimetype == "multipart/form-data":
            message = "the request is larger than the service takes; a photo may be at most 5 MB"
            errors = {"files": {"file": ["larger than 5 MB"]}}
        else:
            limit = f"{MAX_REQUEST_BYTES // 2**20} MB"
            message = f"the request body is larger than the service takes: at most {limit}"
            errors = {"json": {"_schema": [f"larger than {limit}"]}}
    response = error_response(exc.code or 500, message, errors, headers)
    if exc.code == 429:
        limit_headers = getattr(exc, "response", None)
        if limit_headers is not None:
            for name, value in limit_headers.headers.items():
                if name.lower().startswith(("retry-after", "x-ratelimit")):
                    response.headers[name] = value
    return response


def register(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.status, exc.message, exc.errors, exc.headers)

    @app.errorhandler(wechat.WeChatError)
    def _wechat(exc: wechat.WeChatError):
        return _domain(from_wechat(exc))

    from backend.codes import FontMissing

    @app.errorhandler(FontMissing)
    def _no_font(exc: FontMissing):
        # The server's set-up, not the caller's request: say what to set, and log it.
        log.error("cannot print: no CJK font", extra={"setting": "CJK_FONT_PATH"})
        return error_response(503, f"printing is unavailable: {exc}")

    @app.errorhandler(pw.IntegrityError)
    def _integrity(exc):
        log.info("integrity conflict", extra={"error": type(exc).__name__})
        return error_response(409, "this conflicts with a record that already exists")

    @app.errorhandler(pw.OperationalError)
    @app.errorhandler(pw.InterfaceError)
    @app.errorhandler(MaxConnectionsExceeded)  # every pooled connection busy: try again
    def _database_down(exc):
        log.error("database unavailable", extra={"error": type(exc).__name__})
        return error_response(503, "database unavailable", headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        log.exception("unhandled error")
        return error_response(500, "internal error; quote the request id when reporting it")
