"""Logs are JSON, carry the request id, and never carry personal data."""
from __future__ import annotations

import json
import logging

from backend.logs import JsonFormatter, RequestIdFilter


def test_log_lines_repeat_the_request_id_and_mask_phones(app):
    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Capture()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logging.getLogger("probe").addHandler(handler)
    with app.test_request_context(headers={"X-Request-ID": "req-12345678"}):
        app.preprocess_request()
        logging.getLogger("probe").warning("caller 13812345678 said hi", extra={"who": "13912345678"})
    entry = json.loads(records[-1])
    assert entry["request_id"] == "req-12345678"
    assert "13812345678" not in records[-1] and "138****5678" in entry["message"]
    assert entry["who"] == "139****5678"


def test_login_logs_no_openid_or_session_key(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.login("alice")
    assert "oStub_alice" not in caplog.text
