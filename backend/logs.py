"""Structured JSON logs; every line carries the request id, none carries personal data."""

from __future__ import annotations

import json
import logging
import re
import secrets

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# A last line of defence: a mainland mobile number that slipped into a message is masked.
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": _PHONE.sub(r"\1****\2", record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = (
                    value
                    if isinstance(value, (int, float, bool)) or value is None
                    else _PHONE.sub(r"\1****\2", str(value))
                )
        if record.exc_info:
            # A database or parsing error quotes the value it choked on, a phone included.
            entry["exception"] = _PHONE.sub(r"\1****\2", self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


# These log query parameters and URLs at DEBUG: openids, phone numbers, js_codes, secrets.
QUIET_LOGGERS = {"peewee": logging.INFO, "urllib3": logging.WARNING}


def configure(level: str = "INFO") -> None:
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(floor)
    root = logging.getLogger()
    if any(getattr(h, "_citycode", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler._citycode = True
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)


def init_app(app) -> None:
    configure(app.config["CITYCODE"].log_level)

    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(16)

    @app.after_request
    def _echo_request_id(response):
        if g.get("request_id"):
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response
