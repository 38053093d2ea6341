"""A standalone app that answers like a commercial business-registry lookup, faults
included, for development and tests; nothing in backend/ imports it.

Its shape follows Tianyancha's (天眼查) open API 企业基本信息 baseinfoV2:
`GET /services/open/ic/baseinfoV2/2.0?keyword=<统一社会信用代码>` with the account's token
in `Authorization`, answering `{"error_code": 0, "reason": "ok", "result": {...}}`, or
error_code 300000 (查询无结果), 300002 (账号失效: a wrong token) or 300004 (访问频率过快).
Run it with `python -m registry_stub`; tests start it in a thread.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from flask import Flask, jsonify, request

FIXTURES = Path(__file__).parent / "fixtures.json"
DEFAULT_TOKEN = "citycode-registry-dev"  # noqa: S105  the stub's own, for development
ANSWER_PATH = "/services/open/ic/baseinfoV2/2.0"


class StubState:
    def __init__(self, token: str, companies: dict[str, dict]):
        self.token = token
        self._lock = threading.Lock()
        self._initial = dict(companies)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.companies = dict(self._initial)
            self.faults: list[str] = []
            self.calls: list[dict] = []


def create_app(token: str = DEFAULT_TOKEN, fixtures: Path = FIXTURES) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False
    companies = {c["creditCode"]: c for c in json.loads(fixtures.read_text("utf-8"))}
    state = StubState(token, companies)

    @app.get(ANSWER_PATH)
    def base_info():
        keyword = request.args.get("keyword", "")
        with state._lock:
            state.calls.append({"keyword": keyword, "at": time.time()})
            fault = state.faults.pop(0) if state.faults else None
        if fault == "timeout":
            time.sleep(float(request.args.get("_sleep", 3)))
        if fault == "server_error":
            return "upstream error", 502
        if fault == "rate_limit":
            return jsonify(error_code=300004, reason="访问频率过快", result=None)
        if request.headers.get("Authorization") != state.token:
            return jsonify(error_code=300002, reason="账号失效", result=None)
        found = state.companies.get(keyword.strip().upper())
        if found is None:
            return jsonify(error_code=300000, reason="查询无结果", result=None)
        return jsonify(error_code=0, reason="ok", result=found)

    @app.post("/__stub__/companies")
    def put_companies():
        """Add or replace companies (a list of result objects)."""
        with state._lock:
            for company in request.get_json(force=True):
                state.companies[company["creditCode"]] = company
        return {"companies": len(state.companies)}

    @app.post("/__stub__/faults")
    def put_faults():
        """The next answers fail, in order: timeout, server_error or rate_limit."""
        with state._lock:
            state.faults.extend(request.get_json(force=True).get("faults", []))
        return {"faults": len(state.faults)}

    @app.get("/__stub__/calls")
    def calls():
        return jsonify(state.calls)

    @app.post("/__stub__/reset")
    def reset():
        state.reset()
        return {"reset": True}

    return app


__all__ = ["create_app", "DEFAULT_TOKEN", "ANSWER_PATH"]
