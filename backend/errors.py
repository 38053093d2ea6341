"""Domain errors and the one JSON error shape: {code, status, message, errors, request_id}."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

import marshmallow as ma
import peewee as pw
from flask import g, jsonify, request
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException

from backend import MAX_REQUEST_BYTES, i18n, wechat

log = logging.getLogger(__name__)

# What a database that is down, hung or out of connections raises: 503, try again.
DATABASE_DOWN = (pw.OperationalError, pw.InterfaceError, MaxConnectionsExceeded)


class DomainError(Exception):
    """A rule said no. Services raise these; this module turns them into HTTP once."""

    status = 400
    key = "bad_request"

    def __init__(
        self,
        message: str,
        errors: dict | None = None,
        headers: dict | None = None,
        key: str | None = None,
        params: dict | None = None,
    ):
        # `message` is English with %(name)s for `params`: it is the catalog's msgid, and
        # is said in the caller's language when the response is written. `self.message`
        # is the English, values in, for logs and for whoever catches the error.
        self.msgid, self.params = message, params or {}
        self.message = message % params if params else message or _english(errors)
        super().__init__(self.message)
        self.errors = errors
        self.headers = headers or {}
        if key:
            self.key = key

    @classmethod
    def field(
        cls,
        name: str,
        reason: str,
        location: str = "json",
        key: str | None = None,
        params: dict | None = None,
    ):
        """This error about one field of the request: `reason` names what is wrong with it."""
        keyed = i18n.Reason(reason, key or cls.key, params=params)
        return cls("", errors={location: {name: [keyed]}}, key=key)


def _english(errors: dict | None) -> str:
    """ "field: reason" for each reason in the tree, as the code wrote it."""
    said = []
    for location in (errors or {}).values():
        for name, reasons in location.items():
            for reason in reasons if isinstance(reasons, list) else [reasons]:
                params = getattr(reason, "params", None)
                said.append(f"{name}: {reason % params if params else reason}")
    return "; ".join(said)


class Invalid(DomainError):
    status = 422
    key = "invalid"


class Unauthorized(DomainError):
    status = 401
    key = "unauthenticated"

    def __init__(self, message: str = "authentication required", **kwargs):
        headers = {"WWW-Authenticate": 'Bearer realm="citycode"'}
        super().__init__(message, headers=headers, **kwargs)


class Forbidden(DomainError):
    status = 403
    key = "forbidden"


class NotFound(DomainError):
    status = 404
    key = "not_found"

    def __init__(self, message: str = "not found", **kwargs):
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    status = 409
    key = "conflict"


class TooMany(DomainError):
    """A rule's limit on how often one person may do something, not the rate limiter's."""

    status = 429
    key = "too_many"


class UpstreamFailed(DomainError):
    """WeChat answered, but not with something we can use."""

    status = 502
    key = "upstream_failed"


class UpstreamUnavailable(DomainError):
    """WeChat could not be reached or is busy; the caller may retry."""

    status = 503
    key = "upstream_unavailable"

    def __init__(self, message: str, **kwargs):
        super().__init__(message, headers={"Retry-After": "5"}, **kwargs)


# -- the shape ---------------------------------------------------------------------------
class ErrorDetailSchema(ma.Schema):
    location = ma.fields.String(
        allow_none=True, metadata={"description": "json, query, path, files or headers"}
    )
    field = ma.fields.String(
        allow_none=True, metadata={"description": "the field, dotted into nested ones"}
    )
    key = ma.fields.String(
        required=True,
        metadata={
            "description": "a stable snake_case reason to switch on, e.g. required, too_long, "
            "credit_code_checksum, shop_closed; it does not change with the language"
        },
    )
    message = ma.fields.String(
        required=True,
        metadata={
            "description": "the reason in words: Chinese, or English with Accept-Language: en"
        },
    )


class ErrorSchema(ma.Schema):
    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status phrase"})
    message = ma.fields.String(
        required=True,
        metadata={"description": "what went wrong: Chinese, or English with Accept-Language: en"},
    )
    errors = ma.fields.Dict(
        metadata={"description": "per location (json, query, path), per field: reasons"}
    )
    details = ma.fields.List(
        ma.fields.Nested(ErrorDetailSchema),
        required=True,
        metadata={"description": "each reason: where it is, its stable key, and its words"},
    )
    request_id = ma.fields.String(metadata={"description": "quote this when reporting a problem"})


# The key and wording of an error the framework raised, by its status.
STATUS_KEYS = {
    400: ("bad_request", "the request could not be understood"),
    401: ("unauthenticated", "authentication required"),
    403: ("forbidden", "you may not do this"),
    404: ("not_found", "not found"),
    405: ("method_not_allowed", "this method is not allowed here"),
    406: ("not_acceptable", "this service cannot answer in the format asked for"),
    409: ("conflict", "this conflicts with the record as it is now"),
    413: ("too_large", "the request is larger than the service takes"),
    414: ("uri_too_long", "the address is longer than the service takes"),
    415: ("unsupported_media_type", "this kind of request body is not accepted here"),
    422: ("invalid", "the request did not validate"),
    428: ("precondition_required", "this request needs a precondition header"),
    429: ("rate_limited", "too many requests"),
    431: ("head_too_large", "the request's header fields are larger than the service takes"),
    500: ("internal_error", "internal error; quote the request id when reporting it"),
    503: ("unavailable", "the service is unavailable right now; try again shortly"),
}
# A reason written as a machine-readable token rather than words.
TOKEN = re.compile(r"[a-z][a-z0-9_]*")
# Words the framework puts in its own error trees, and their keys.
FRAMEWORK_MESSAGES = {"Invalid JSON body.": "invalid_json"}


def _field_details(errors: dict, key: str) -> list[dict]:
    """One entry per reason in marshmallow's tree {location: {field: [reason] | {...}}}.
    A reason written as a token ("answer_lost") has no words of its own: None, for the
    error's message to stand in."""
    details = []

    def walk(tree, path):
        if isinstance(tree, dict):
            for name, subtree in tree.items():
                walk(subtree, [*path, str(name)])
        elif isinstance(tree, (list, tuple)):
            for item in tree:
                walk(item, path)
        else:
            field = ".".join(part for part in path[1:] if part != "_schema") or None
            token = not isinstance(tree, i18n.Reason) and TOKEN.fullmatch(str(tree))
            details.append(
                {
                    "location": path[0] if path else None,
                    "field": field,
                    "key": getattr(tree, "key", None) or FRAMEWORK_MESSAGES.get(tree, key),
                    "message": None if token else i18n.say(tree),
                }
            )

    walk(errors, [])
    return details


def _said_tree(tree):
    """marshmallow's tree of reasons, each said in the reader's language (a token stays)."""
    if isinstance(tree, dict):
        return {name: _said_tree(subtree) for name, subtree in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_said_tree(item) for item in tree]
    if not isinstance(tree, i18n.Reason) and TOKEN.fullmatch(str(tree)):
        return tree
    return i18n.say(tree)


def error_body(
    status: int,
    message: str | None = None,
    errors: dict | None = None,
    key: str | None = None,
    params: dict | None = None,
) -> dict:
    """The one error shape. `message` is an English msgid, said in the reader's language;
    `details` lists each reason with where it is, its stable key and its words."""
    status_key, status_message = STATUS_KEYS.get(status, ("error", HTTPStatus(status).phrase))
    key = key or status_key
    said = i18n.say(message or status_message, params)
    details = _field_details(errors, key) if errors else []
    if details and not message:
        said = i18n.separator().join(f"{_where(d)}{d['message']}" for d in details[:3])
    for detail in details:
        detail["message"] = detail["message"] or said
    body = {"code": status, "status": HTTPStatus(status).phrase, "message": said}
    if errors:
        body["errors"] = _said_tree(errors)
    body["details"] = details or [{"location": None, "field": None, "key": key, "message": said}]
    body["request_id"] = g.get("request_id")
    return body


def _where(detail: dict) -> str:
    return f"{detail['field']}: " if detail["field"] else ""


def error_response(status: int, message=None, errors=None, headers=None, key=None, params=None):
    response = jsonify(error_body(status, message, errors, key, params))
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
    return UpstreamFailed(
        "WeChat refused the request (errcode %(errcode)s)", params={"errcode": exc.errcode}
    )


def handle_http_exception(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    # Werkzeug's own descriptions are English prose for browsers: ours are by status.
    message, params = data.get("message"), None
    if exc.code == 429:
        message = i18n.N_("too many requests: limit is %(limit)s")
        params = {"limit": exc.description}
    # What the exception itself says in headers (Allow on a 405, Retry-After), less the
    # HTML content type it would have been sent with.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    errors = data.get("messages") or data.get("errors")
    if exc.code == 413:
        message, params, errors = _too_large()
    response = error_response(exc.code or 500, message, errors, headers, params=params)
    if exc.code == 429:
        limit_headers = getattr(exc, "response", None)
        if limit_headers is not None:
            for name, value in limit_headers.headers.items():
                if name.lower().startswith(("retry-after", "x-ratelimit")):
                    response.headers[name] = value
    return response


def _too_large() -> tuple[str, dict, dict]:
    """Which limit the person hit: a photo's, or the request body's."""
    if request.mimetype == "multipart/form-data":
        reason = i18n.reason("too_large", "larger than %(limit)s", limit="5 MB")
        message = i18n.N_(
            "the request is larger than the service takes; a photo may be at most 5 MB"
        )
        return message, {}, {"files": {"file": [reason]}}
    limit = f"{MAX_REQUEST_BYTES // 2**20} MB"
    reason = i18n.reason("too_large", "larger than %(limit)s", limit=limit)
    message = i18n.N_("the request body is larger than the service takes: at most %(limit)s")
    return message, {"limit": limit}, {"json": {"_schema": [reason]}}


def register(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.status, exc.msgid, exc.errors, exc.headers, exc.key, exc.params)

    @app.errorhandler(wechat.WeChatError)
    def _wechat(exc: wechat.WeChatError):
        return _domain(from_wechat(exc))

    from backend.codes import FontMissing

    @app.errorhandler(FontMissing)
    def _no_font(exc: FontMissing):
        # The server's set-up, not the caller's request: say what to set, and log it.
        log.error("cannot print: no CJK font", extra={"setting": "CJK_FONT_PATH"})
        return error_response(
            503, "printing is unavailable: %(reason)s", key="font_missing", params={"reason": exc}
        )

    @app.errorhandler(pw.IntegrityError)
    def _integrity(exc):
        log.info("integrity conflict", extra={"error": type(exc).__name__})
        return error_response(409, "this conflicts with a record that already exists")

    @app.errorhandler(pw.OperationalError)
    @app.errorhandler(pw.InterfaceError)
    @app.errorhandler(MaxConnectionsExceeded)  # every pooled connection busy: try again
    def _database_down(exc):
        log.error("database unavailable", extra={"error": type(exc).__name__})
        return error_response(
            503, "database unavailable", headers={"Retry-After": "5"}, key="database_unavailable"
        )

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        log.exception("unhandled error")
        return error_response(500)
