"""CityCode: the backend behind a district's shop codes, inspections and community app."""

from __future__ import annotations

import inspect

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

# First: marshmallow's messages get their keys (i18n) before any schema copies them.
from backend import i18n  # noqa: F401, I001
from backend.config import Config
from backend.jsonio import OrjsonProvider


class CityCodeFlask(Flask):
    """Flask with JSON through orjson (see jsonio), remembering which of its hooks and
    views are coroutine functions.

    Flask asks `inspect` that of every hook and view on every request (a dozen times
    for a public scan, a tenth of its time in Python); the answer never changes.
    """

    json_provider_class = OrjsonProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._coroutine_functions: dict = {}

    def ensure_sync(self, func):
        # A method view's handler is a new bound method each request: key on its function.
        key = getattr(func, "__func__", func)
        is_async = self._coroutine_functions.get(key)
        if is_async is None:
            is_async = self._coroutine_functions[key] = inspect.iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func


def create_app(config: Config | None = None) -> Flask:
    """Config → metrics → logging → database → keys → WeChat → sign-in → response headers → rate
    limits → Api and blueprints → errors → CLI."""
    from backend import api, cli, db, engine, errors, logs, metrics, ratelimit, storage, workdays

    config = config or Config.from_env()
    app = CityCodeFlask(__name__, instance_relative_config=False)
    _configure(app, config)
    metrics.init_app(app)
    logs.init_app(app)
    i18n.init_app(app)
    db.init_app(app)
    _load_keys(app, config)
    storage.init_app(app)
    _connect_wechat(app, config)
    _connect_registry(app, config)
    app.extensions["citycode.calendar"] = workdays.WorkingCalendar(
        config.extra_days_off, config.extra_working_days
    )
    engine.init_app(app)
    _require_sign_in(app)
    app.after_request(_protect_response)
    ratelimit.init_app(app)
    _register_blueprints(api.Api(app))
    errors.register(app)
    cli.init_app(app)
    return app


# The largest request body the service takes (a photo upload and its form); larger is a 413.
MAX_REQUEST_BYTES = 6 * 1024 * 1024


def _configure(app: Flask, config: Config) -> None:
    app.config["CITYCODE"] = config
    app.config.update(
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        API_TITLE="CityCode",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served by the app itself (api.py), so the docs work on a machine with no internet.
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    # /metrics: METRICS_TOKEN, for a scraper outside METRICS_ALLOW.
                    "metricsToken": {"type": "http", "scheme": "bearer"},
                }
            },
            "security": [{"bearerAuth": []}],
            "info": {"description": "Shop codes, inspections and the resident community app."},
        },
    )
    if config.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops)


def _load_keys(app: Flask, config: Config) -> None:
    """The keys are read from the database at their first use, not here: nothing connects
    while the app is built (gunicorn builds it once, before forking its workers).
    Development makes any it lacks then; production is given them (`citycode
    rotate-keys`), and /readyz says 503 until it has."""
    from backend.keys import KeySet

    app.extensions["citycode.keys"] = KeySet(
        config.key_encryption_key_bytes,
        config.key_grace_seconds,
        make_missing=not config.is_production,
        check_seconds=config.keys_check_seconds,
    )


def _connect_wechat(app: Flask, config: Config) -> None:
    from backend import ratelimit, wechat

    app.extensions["citycode.wechat"] = wechat.WeChatClient(
        config.wechat_api_base,
        config.wechat_appid,
        config.wechat_secret,
        timeout=(3.05, config.wechat_timeout_seconds),
    )
    # WeChat's quota is the app's: every worker sharing the rate limits' storage counts in it.
    app.extensions["citycode.wechat_pace"] = ratelimit.Pace(
        config.ratelimit_storage_uri,
        config.wechat_messages_per_second,
        f"wechat-subscribe:{config.wechat_appid}",
        timeout=config.redis_timeout,
    )


def _connect_registry(app: Flask, config: Config) -> None:
    from backend import registry

    app.extensions["citycode.registry"] = registry.RegistryClient(
        config.registry_api_base,
        config.registry_key,
        timeout=(2, config.registry_timeout_seconds),
    )


def _require_sign_in(app: Flask) -> None:
    """Every view needs a valid bearer token but those marked public (api.public); a view
    that reads its caller in its own query (api.reads_caller) gets only the token's id."""
    from backend import api, auth, errors

    @app.before_request
    def authenticate():
        view = app.view_functions.get(request.endpoint)
        g.user = g.caller_id = None
        if view is None:
            return None
        if api.checks_own_credentials(view):
            return None
        public = api.is_public(view) or request.endpoint.startswith("api-docs.")
        if api.is_reading_caller(view):
            g.caller_id = auth.verified_caller_id()
            signed_in = g.caller_id is not None
        else:
            signed_in = auth.authenticate() is not None
        if not signed_in and not public:
            raise errors.Unauthorized()
        return None


def _protect_response(response):
    """No browser second-guesses a declared type (a photo or export sniffed as HTML could
    run script), and what a signed-in caller or a write gets back (personal data,
    tokens) is kept by no cache, unless the view chose its own caching."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    personal = "Authorization" in request.headers or request.method not in ("GET", "HEAD")
    if personal and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _register_blueprints(api) -> None:
    from backend.account.routes import blp as account
    from backend.admin import blp as admin
    from backend.devices import blp as devices
    from backend.merchant import blp as merchant
    from backend.open311 import blp as open311
    from backend.ops import blp as ops
    from backend.public import blp as public
    from backend.resident import blp as resident
    from backend.scan import blp as scan

    for blueprint in (ops, account, scan, resident, merchant, admin, devices, open311, public):
        api.register_blueprint(blueprint)
