"""Logs are JSON, carry the request id, and never carry personal data."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.db import database
from backend.logs import JsonFormatter, RequestIdFilter
from backend.models import CommunityMembership, User
from tests.factories import ApiClient


class Capture(logging.Handler):
    """The lines a logger writes, formatted as production writes them."""

    def __init__(self, logger: str):
        super().__init__()
        self.lines = []
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        logging.getLogger(logger).addHandler(self)

    def emit(self, record):
        self.lines.append(self.format(record))


def test_log_lines_repeat_the_request_id_and_mask_phones(app):
    records = Capture("probe").lines
    with app.test_request_context(headers={"X-Request-ID": "req-12345678"}):
        app.preprocess_request()
        logging.getLogger("probe").warning(
            "caller 13812345678 said hi", extra={"who": "13912345678"}
        )
    entry = json.loads(records[-1])
    assert entry["request_id"] == "req-12345678"
    assert "13812345678" not in records[-1] and "138****5678" in entry["message"]
    assert entry["who"] == "139****5678"


def test_login_logs_no_openid_or_session_key(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.login("alice")
    assert "oStub_alice" not in caplog.text


def test_a_day_of_use_logs_no_personal_data_or_secret(app, client, make, wechat_stub, caplog):
    caplog.set_level(logging.DEBUG)
    places = make.region_tree()
    make.staff("cadre", "cadre", places["community_a"], name="周敏")
    shop = make.shop("owner", places["street_a"], name="隔壁面馆")
    code = make.code_of(shop)
    with database.connection_context():
        CommunityMembership.create(
            user=make.user("alice"),
            community=places["community_a"],
            region_path=places["community_a"].path,
            status="approved",
        )
    tokens = client.http.post("/api/v1/auth/login", json={"code": "alice.jsCodeProbe"}).get_json()
    alice = ApiClient(app, tokens["access_token"], tokens)
    assert (
        alice.post("/api/v1/resident/phone", json={"code": "phone-13912345678"}).status_code == 200
    )
    assert (
        alice.post(
            "/api/v1/resident/phone",  # WeChat refuses a used code
            json={"code": "phone-13912345678"},
        ).status_code
        >= 400
    )
    assert (
        alice.patch("/api/v1/resident/profile", json={"display_name": "欧阳娜娜"}).status_code
        == 200
    )
    resident_code = alice.get("/api/v1/resident/code").get_json()["code"]
    ticket = alice.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    assert (
        alice.post(
            f"/api/v1/resident/shops/{shop.public_id}/ratings",
            json={"rating_ticket": ticket, "stars": 4, "text": "老板欧阳娜娜很热情"},
        ).status_code
        == 201
    )
    assert (
        alice.post(
            f"/api/v1/resident/shops/{shop.public_id}/ratings",
            json={"rating_ticket": ticket, "stars": 1, "text": "casino"},
        ).status_code
        == 422
    )
    assert (
        alice.post(
            "/api/v1/resident/reports",
            json={
                "community": places["community_a"].code,
                "category": "facilities",
                "text": "路灯坏了，请回电 13912345678",
            },
        ).status_code
        == 201
    )
    wechat_stub.control("faults", {"http_500": 1})
    assert (
        client.http.post("/api/v1/auth/login", json={"code": "alice.jsCodeFault"}).status_code
        == 503
    )
    assert (
        client.http.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 200
    )
    assert (
        client.http.post(
            "/api/v1/auth/refresh",  # reuse: the login is ended
            json={"refresh_token": tokens["refresh_token"]},
        ).status_code
        == 401
    )
    cadre = client.login("cadre")
    assert cadre.get("/api/v1/admin/reports").status_code == 200
    assert (
        cadre.post("/api/v1/admin/resident-codes/verify", json={"code": resident_code}).status_code
        == 200
    )
    with database.connection_context():
        session_key = User.get(User.openid == "oStub_alice").session_key
    wechat_token = app.extensions["citycode.wechat"]._token

    formatter = JsonFormatter()
    emitted = "\n".join(
        formatter.format(record) + repr(record.msg) + repr(record.args) + repr(vars(record))
        for record in caplog.records
    )
    assert "jscode2session" in emitted  # the failing WeChat call was logged
    for secret in (
        "13912345678",
        "欧阳娜娜",
        "oStub_alice",
        "uStub_alice",
        session_key,
        "jsCodeProbe",
        "jsCodeFault",
        tokens["access_token"],
        tokens["refresh_token"],
        "test-secret",
        wechat_token,
        resident_code.split(":", 1)[1],
        "周敏",
    ):
        assert secret and secret not in emitted, secret


def test_a_phone_in_an_exception_is_masked_like_one_in_a_message(app):
    records = Capture("probe.exception").lines
    try:
        int("13912345678x")
    except ValueError:
        logging.getLogger("probe.exception").exception("parsing failed")
    entry = json.loads(records[-1])
    assert "139****5678" in entry["exception"]
    assert "13912345678" not in records[-1]


@pytest.mark.once
def test_a_command_prints_only_its_own_lines(tmp_path):
    """No library announcing itself at INFO on every start (pikepdf did)."""
    citycode = Path(sys.executable).with_name("citycode")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "CITYCODE_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    done = subprocess.run(
        [str(citycode), "upgrade"], env=env, capture_output=True, text=True, check=True
    )
    loggers = {
        json.loads(line)["logger"] for line in done.stderr.splitlines() if line.startswith("{")
    }
    assert loggers and all(name.startswith(("backend", "peewee")) for name in loggers), loggers
    assert "pikepdf" not in done.stdout + done.stderr
