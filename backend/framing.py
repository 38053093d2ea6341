"""When has an HTTP/1.1 request fully arrived? Judged from its bytes alone.

The gunicorn worker (backend/serving.py) collects a request that comes in pieces and
hands it to the app only once `request_state` says it is whole; what it cannot frame
goes to gunicorn's parser to refuse. Answers the app never gets to give (408, and
gunicorn's own refusals) are written here in the app's one JSON error shape.
"""

from __future__ import annotations

import json
import re
import secrets

from backend import MAX_REQUEST_BYTES

# More than gunicorn's own limits on a request line and its header fields allow.
MAX_HEAD = 64 * 1024
MAX_BODY = MAX_REQUEST_BYTES
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


# The keys the app gives the same refusals (backend.errors.STATUS_KEYS).
STATUS_KEYS = {
    400: "bad_request",
    403: "forbidden",
    408: "request_timeout",
    413: "too_large",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "head_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def error_response(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP response in the app's error shape, for answers the app cannot give.
    It is said in Chinese only: the worker answers before the request is read."""
    detail = {"location": None, "field": None, "key": STATUS_KEYS[status], "message": message}
    body = {"code": status, "status": reason, "message": message, "details": [detail]}
    body["request_id"] = secrets.token_hex(16)
    body = json.dumps(body, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


# What the worker answers itself, and closes, for a request it will not hand on: waiting
# in a thread for the rest of such a request would let a slow client hold the thread.
REFUSALS = {
    "too_large": (413, "Content Too Large", f"请求体过大：最多 {MAX_BODY // 2**20} MB"),
    "head_too_large": (431, "Request Header Fields Too Large", "请求头过大"),
    "malformed": (400, "Bad Request", "请求格式不正确，无法识别"),
}

# Ten digits are more than any body the app takes; a longer number is not read as one.
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([0-9]{1,10})[ \t]*(?=\r\n)", re.I)
_ANY_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:[^\r\n]*chunked", re.I)
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")  # 8 hex digits: up to 4 GB, past any limit
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue[ \t]*(?=\r\n)", re.I)
_HTTP11 = re.compile(rb"^[^\r\n]* HTTP/1\.1\r\n")


class Arriving:
    """What has come of one request so far, and when it must be complete."""

    __slots__ = ("data", "deadline", "head_end", "body_end", "chunked", "chunk_at")

    def __init__(self, deadline: float):
        self.data = bytearray()
        self.deadline = deadline
        self.head_end = -1  # index after the blank line ending the headers
        self.body_end = -1  # index after the body, once known
        self.chunked = False
        self.chunk_at = -1  # where the next chunk's size line starts, once the body has begun


def request_state(arriving: Arriving) -> str:
    """'whole', 'more', 'continue' (headers in, the client waits for 100 Continue), or a
    refusal (REFUSALS: too_large, head_too_large, malformed)."""
    data = arriving.data
    if arriving.head_end < 0:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return "head_too_large" if len(data) > MAX_HEAD else "more"
        arriving.head_end = end + 4
        head = bytes(data[: arriving.head_end])
        arriving.chunked = bool(_CHUNKED.search(head))
        lengths = _CONTENT_LENGTH.findall(head)
        if len(lengths) != len(_ANY_CONTENT_LENGTH.findall(head)):
            return "malformed"  # a length that is not a number of at most ten digits
        if arriving.chunked or len(lengths) > 1:
            if len(lengths) > 0:
                return "malformed"
        else:
            length = int(lengths[0]) if lengths else 0
            if length > MAX_BODY:
                return "too_large"
            arriving.body_end = arriving.head_end + length
        waiting = len(data) == arriving.head_end and arriving.body_end != arriving.head_end
        if waiting and _EXPECT_CONTINUE.search(head) and _HTTP11.match(head):
            return "continue"
    if arriving.chunked:
        return _chunked_state(arriving)
    return "whole" if len(data) >= arriving.body_end else "more"


def _chunked_state(arriving: Arriving) -> str:
    # From where the last look stopped: each byte of the body is walked once.
    data = arriving.data
    at = arriving.chunk_at if arriving.chunk_at >= 0 else arriving.head_end
    while True:
        arriving.chunk_at = at
        line_end = data.find(b"\r\n", at)
        if line_end < 0:
            return "more" if len(data) - at < 1024 else "malformed"
        size_text = bytes(data[at:line_end]).split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_text):
            return "malformed"
        size = int(size_text, 16)
        if size == 0:
            trailers = line_end + 2
            if data[trailers : trailers + 2] == b"\r\n":
                return "whole"
            return "whole" if data.find(b"\r\n\r\n", trailers - 2) >= 0 else "more"
        at = line_end + 2 + size + 2
        if at - arriving.head_end > MAX_BODY:
            return "too_large"
        if at > len(data):
            return "more"


def strip_expect_continue(arriving: Arriving) -> None:
    """Take Expect: 100-continue out of the headers, once the worker has answered it."""
    head = bytes(arriving.data[: arriving.head_end])
    stripped = _EXPECT_CONTINUE.sub(b"", head)
    arriving.data[: arriving.head_end] = stripped
    if arriving.body_end >= 0:
        arriving.body_end -= len(head) - len(stripped)
    arriving.head_end = len(stripped)
