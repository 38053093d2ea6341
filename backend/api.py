"""flask-smorest glue: our Api and Blueprint, the error schema, auth docs, peewee pagination."""

from __future__ import annotations

import json
import re

import marshmallow as ma
import orjson
from apispec import BasePlugin
from flask import current_app, send_from_directory
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest import Page
from swagger_ui_bundle import swagger_ui_path
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter

from backend import idempotency, ratelimit
from backend.db import MAX_ID, page_of
from backend.errors import ErrorSchema, Invalid, handle_http_exception

PAGINATION_SCHEMA = {
    "type": "object",
    "properties": {
        **{
            name: {"type": "integer", "minimum": 0}
            for name in (
                "total",
                "total_pages",
                "first_page",
                "last_page",
                "page",
                "previous_page",
                "next_page",
            )
        },
        # A search of a whole district may match more rows than anyone reads: "1000+".
        "total_capped": {
            "type": "boolean",
            "description": "true when more matched than were counted: total is then a lower bound",
        },
    },
}


class RowId(IntegerConverter):
    """`<int:…>` in our paths: a number that could be a row id; anything larger is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class PathText(UnicodeConverter):
    """A path segment as text, without NUL (%00), which no database takes: such a path
    names nothing, so no route matches it (404) instead of a query failing (500)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


class OperationIds(BasePlugin):
    """Every operation's operationId, camelCase from its method, blueprint and view
    (postMerchantLicences): unique, stable while the route is, and what a generated
    client names its function."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        words = [w for part in rule.endpoint.split(".") for w in _words(part)]
        if words[-1:] == ["view"]:
            words.pop()
        for method, operation in operations.items():
            name = method + "".join(word.capitalize() for word in words)
            operation.setdefault("operationId", name)


def _words(name: str) -> list[str]:
    """KeySetView, key_set_view → key, set, view."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().split("_")


class Api(_Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        spec_kwargs = {**(spec_kwargs or {}), "extra_plugins": [OperationIds()]}
        app.url_map.converters["int"] = RowId
        app.url_map.converters["default"] = app.url_map.converters["string"] = PathText
        # Whatever a camera read from a sticker, NUL included: the scan answers it a verdict.
        app.url_map.converters["scanned"] = UnicodeConverter
        super().init_app(app, spec_kwargs=spec_kwargs)
        app.add_url_rule(
            "/api/docs/assets/<path:filename>", "swagger_ui_asset", public(_swagger_ui_asset)
        )
        self.register_converter(
            RowId, lambda converter: {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        )

    def handle_http_exception(self, error):
        return handle_http_exception(error)


def _swagger_ui_asset(filename: str):
    """Swagger UI's scripts and styles, pinned in the swagger-ui-bundle package."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


PUBLIC_MARK = "_citycode_public"


def public(view):
    """Mark a view (function or MethodView) as reachable without a bearer token."""
    setattr(view, PUBLIC_MARK, True)
    return view


def is_public(view) -> bool:
    return _marked(view, PUBLIC_MARK)


OWN_CREDENTIALS_MARK = "_citycode_own_credentials"


def own_credentials(view):
    """Mark a view whose callers are not users and which checks their credentials itself
    (a scraper's bearer token is not a user's token): no sign-in runs before it."""
    setattr(view, OWN_CREDENTIALS_MARK, True)
    return view


def checks_own_credentials(view) -> bool:
    return _marked(view, OWN_CREDENTIALS_MARK)


READS_CALLER_MARK = "_citycode_reads_caller"


def reads_caller(view):
    """Mark a view that checks its caller's account in its own query.

    The bearer token is still verified before the view runs, and a request without a
    valid one is still refused; the view gets the token's user id (auth.caller_id) and
    must reject the request itself (auth.reject_caller) when that account is gone or
    deleted. Anything it asks of auth.current_user loads the account as usual. Only for
    the hottest reads, where that lookup would be a second round trip.
    """
    setattr(view, READS_CALLER_MARK, True)
    return view


def is_reading_caller(view) -> bool:
    return _marked(view, READS_CALLER_MARK)


def _marked(view, mark: str) -> bool:
    view_class = getattr(view, "view_class", None)
    return bool(getattr(view, mark, False) or getattr(view_class, mark, False))


# Set on a body schema whose operation documents its body as required.
BODY_REQUIRED = "_citycode_body_required"


class ArgumentsParser(FlaskParser):
    """webargs' parser, reading JSON bodies as strictly as jsonio writes them: NaN, a lone
    surrogate or trailing text is a 400, not a value that fails later on its way out; a
    NUL, which no database column takes, is a 422 naming the field, in a body or a query."""

    def _raw_load_json(self, req):
        if not webargs_core.is_json(req.mimetype):
            return webargs_core.missing
        data = req.get_data(cache=True)
        if not data:
            return webargs_core.missing
        try:
            body = orjson.loads(data)  # its JSONDecodeError is json's: webargs answers 400
        except orjson.JSONDecodeError as exc:
            # Bytes that are not UTF-8 come without the document, which webargs would take
            # for an empty body and answer "missing data": it is a body, and not JSON.
            raise json.JSONDecodeError(str(exc), exc.doc or repr(data[:64]), exc.pos) from None
        if b"\\u0000" in data:
            _refuse_nul(body)
        return body

    def load_json(self, req, schema):
        body = super().load_json(req, schema)
        if (
            body is webargs_core.missing
            and getattr(schema, BODY_REQUIRED, False)
            and not any(field.required for field in schema.fields.values())
        ):
            # A schema of optional fields (a PATCH) would take no body as {}: a request that
            # asks for nothing, a client's mistake to point out, not a change done. (With
            # a required field, the field is named instead.)
            raise Invalid.field("_schema", "a JSON body is required", key="body_required")
        return body

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "files": ma.RAISE}

    def load_files(self, req, schema):
        # A multipart body is one form: a text field sent beside the file is checked
        # against the schema with it (and refused, naming it), not silently dropped.
        fields = MultiDict(req.files)
        for name, value in req.form.items(multi=True):
            # Text under a file field's name is not that file: it stays out, and the file
            # is missing, rather than reach the upload as a string.
            if name not in schema.fields:
                fields.add(name, value)
        return self._makeproxy(fields, schema)

    def load_querystring(self, req, schema):
        for name, value in req.args.items(multi=True):
            if "\x00" in value:
                raise _nul_in("query", name)
        return super().load_querystring(req, schema)


def _refuse_nul(body, path: str = "") -> None:
    """Refuse the first field of a JSON body whose text holds a NUL."""
    items = (
        body.items()
        if isinstance(body, dict)
        else (enumerate(body) if isinstance(body, list) else ())
    )
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, str) and "\x00" in value:
            raise _nul_in("json", where)
        _refuse_nul(value, where)


def _nul_in(location: str, name: str) -> Invalid:
    return Invalid.field(name, "contains a NUL character", location=location, key="nul_character")


class Blueprint(_Blueprint):
    """Documents, once, the errors that authentication and rate limits add to every view."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def __init__(self, *args, staff_only: bool = False, reads_limited: bool = False, **kwargs):
        """`reads_limited`: its reads too count against a budget per address
        (ratelimit.limit_reads), where every other blueprint's reads are free."""
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_auth_doc)
        if staff_only:
            self._prepare_doc_cbks.append(self._prepare_staff_doc)
        if reads_limited:
            ratelimit.limit_reads(self)
            self._prepare_doc_cbks.append(self._prepare_budget_doc)

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """flask-smorest's, and a JSON body documented as required is: sent without one,
        the request is refused (flask-smorest only documents it)."""
        if location == "json" and required:
            schema = schema() if isinstance(schema, type) else schema
            setattr(schema, BODY_REQUIRED, True)
        return super().arguments(schema, location=location, required=required, **kwargs)

    def route(self, rule, *, parameters=None, tags=None, **options):
        decorator = super().route(rule, parameters=parameters, tags=tags, **options)

        def register(view):
            if getattr(view, PUBLIC_MARK, False):
                methods = ("get", "post", "put", "patch", "delete")
                funcs = [getattr(view, m) for m in methods if hasattr(view, m)]
                for func in funcs if isinstance(view, type) else [view]:
                    func._apidoc = {**getattr(func, "_apidoc", {}), "public": True}
            return decorator(view)

        return register

    def _document_pagination_metadata(self, spec, resp_doc):
        # The header's value is JSON text; as a `schema` it would be read as an OpenAPI
        # "simple" header (comma-separated), which no client or validator can parse.
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "the list's paging, as JSON: total, total_pages, first_page, "
            "last_page, page, previous_page, next_page (and total_capped on a search that "
            "stopped counting)",
            "content": {"application/json": {"schema": PAGINATION_SCHEMA}},
        }

    def _set_pagination_metadata(self, page_params, result, headers):
        result, headers = super()._set_pagination_metadata(page_params, result, headers)
        if getattr(page_params, "total_capped", False):
            shown = json.loads(headers[self.PAGINATION_HEADER_NAME])
            headers[self.PAGINATION_HEADER_NAME] = json.dumps({**shown, "total_capped": True})
        return result, headers

    def binary(self, *content_types: str, description: str = "the file"):
        """Document a view that answers with bytes (an image, a PDF) instead of JSON."""
        content = {ct: {"schema": {"type": "string", "format": "binary"}} for ct in content_types}
        return self.doc(responses={"200": {"description": description, "content": content}})

    def idempotent(self, view):
        """A creating view: a request sent again with its Idempotency-Key gets the first
        answer (backend.idempotency). Put it above the arguments and the response."""
        view = self.doc(parameters=[idempotency.DOC])(view)
        view = self.alt_response(
            409, response="CONFLICT", description="the Idempotency-Key's request is in hand"
        )(view)
        return idempotency.idempotent(view)

    def asks_wechat(self, view):
        """Document the 502 and 503 a view answers when a WeChat call it makes fails."""
        view = self.alt_response(
            502, response="BAD_GATEWAY", description="WeChat refused the request"
        )(view)
        return self.alt_response(
            503,
            response="SERVICE_UNAVAILABLE",
            description="WeChat is unavailable; try again after Retry-After seconds",
        )(view)

    @staticmethod
    def _prepare_budget_doc(doc, doc_info, **kwargs):
        doc.setdefault("responses", {}).setdefault("429", "TOO_MANY_REQUESTS")
        return doc

    @staticmethod
    def _prepare_staff_doc(doc, doc_info, **kwargs):
        # Every view here starts from auth.current_staff: anyone else gets a 403.
        doc.setdefault("responses", {}).setdefault("403", "FORBIDDEN")
        return doc

    @staticmethod
    def _prepare_auth_doc(doc, doc_info, *, method, **kwargs):
        responses = doc.setdefault("responses", {})
        if doc_info.get("public"):
            # A view may name a credential of its own (a scraper's token) instead of none.
            doc.setdefault("security", [])
        else:
            responses.setdefault("401", "UNAUTHORIZED")
        if method in ("post", "put", "patch", "delete"):
            responses.setdefault("429", "TOO_MANY_REQUESTS")
        return doc


class QueryPage(Page):
    """Lets the database do the slicing: LIMIT/OFFSET and COUNT(*) instead of Python lists;
    a list (one sorted in Python, nearest first) is sliced as flask-smorest does."""

    @property
    def items(self):
        if isinstance(self.collection, list):
            return super().items
        return page_of(self.collection, self.page_params.page, self.page_params.page_size)

    @property
    def item_count(self):
        if isinstance(self.collection, list):
            return len(self.collection)
        return self.collection.count()


class CappedQueryPage(QueryPage):
    """A page of a search that may match a district's worth of rows: counted no further
    than SEARCH_COUNT_CAP (the header then says total_capped) and paged no further, so a
    search costs at a million shops what it costs at ten thousand (as search engines stop
    at "10,000+" and at their last page)."""

    @staticmethod
    def cap() -> int:
        return current_app.config["CITYCODE"].search_count_cap

    @property
    def items(self):
        if getattr(self.page_params, "total_capped", False) and (
            self.page_params.first_item >= self.cap()
        ):
            raise Invalid.field(
                "page",
                "only the first results of a search are shown: narrow it down",
                location="query",
                key="past_counted_results",
            )
        return super().items

    @property
    def item_count(self):
        if isinstance(self.collection, list):
            counted = len(self.collection)
        else:
            counted = self.collection.limit(self.cap() + 1).count()
        self.page_params.total_capped = counted > self.cap()
        return min(counted, self.cap())
