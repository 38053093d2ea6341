"""A standalone app that answers like WeChat's server API, errors included, for dev and tests.

Run it with `python -m wechat_stub`; tests start it in a thread with `wechat_stub.server`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from flask import Flask

from wechat_stub.api import api
from wechat_stub.control import control
from wechat_stub.state import StubState

DEFAULT_APPID = "wx_citycode_dev"
DEFAULT_SECRET = "citycode-dev-secret"  # noqa: S105  the stub's own, for development
# Words a developer can type to see each content-check verdict without configuring anything.
DEFAULT_RISKY_WORDS = ("赌博", "毒品", "stub-risky")
DEFAULT_REVIEW_WORDS = ("加微信", "代购", "stub-review")


def create_app(
    appid: str = DEFAULT_APPID,
    secret: str = DEFAULT_SECRET,
    risky_words: Iterable[str] = DEFAULT_RISKY_WORDS,
    review_words: Iterable[str] = DEFAULT_REVIEW_WORDS,
    token_ttl: int = 7200,
    clock: Callable[[], float] = time.time,
) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.extensions["wechat_stub"] = StubState(
        appid, secret, risky_words, review_words, token_ttl, clock
    )
    app.register_blueprint(api)
    app.register_blueprint(control)
    return app


__all__ = ["create_app", "DEFAULT_APPID", "DEFAULT_SECRET"]
