"""When a request has fully arrived, judged from its bytes alone (backend/framing.py)."""

from __future__ import annotations

import json

import pytest

from backend.framing import (
    MAX_BODY,
    MAX_HEAD,
    REFUSALS,
    Arriving,
    error_response,
    request_state,
    strip_expect_continue,
)

pytestmark = pytest.mark.once  # the rule alone, no database


def state_after(*parts: bytes) -> list[str]:
    """The state after each part arrives, as the event loop sees them one recv at a time."""
    arriving, states = Arriving(deadline=0), []
    for part in parts:
        arriving.data += part
        states.append(request_state(arriving))
    return states


HEAD = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\n"


def test_a_get_is_whole_once_its_blank_line_arrives():
    assert state_after(b"GET /healthz HTTP/1.1\r\nHost: c\r\n", b"\r\n") == ["more", "whole"]


def test_a_body_of_announced_length_is_whole_only_at_its_last_byte():
    parts = [HEAD + b"content-length :  7\r\n\r\n", b'{"a":', b"1", b"}"]
    assert state_after(*parts) == ["more", "more", "more", "whole"]


def test_the_header_name_and_its_case_do_not_matter_but_the_name_must_be_whole():
    assert state_after(HEAD + b"CONTENT-LENGTH: 2\r\n\r\n{}") == ["whole"]
    # X-Content-Length announces nothing: the request has no body.
    assert state_after(HEAD + b"X-Content-Length: 2\r\n\r\n") == ["whole"]


def test_a_chunked_body_is_whole_at_its_last_chunk_and_trailers():
    head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    parts = [head, b'3\r\n{"a', b'\r\n4;ext=1\r\n":1}\r\n', b"0\r\n", b"\r\n"]
    assert state_after(*parts) == ["more", "more", "more", "more", "whole"]
    with_trailer = [head + b"2\r\n{}\r\n0\r\n", b"X-Sum: 1\r\n", b"\r\n"]
    assert state_after(*with_trailer) == ["more", "more", "whole"]


def test_a_client_that_expects_100_continue_is_told_to_go_on_before_it_sends_the_body():
    states = state_after(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n", b"{}")
    assert states == ["continue", "whole"]
    # With the body already sent, or nothing to send, there is nothing to wait for.
    assert state_after(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{") == ["more"]
    bodiless = b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"
    assert state_after(bodiless) == ["whole"]
    # HTTP/1.0 has no 100 Continue (RFC 9110 10.1.1).
    old = b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    assert state_after(old) == ["more"]


@pytest.mark.parametrize(
    "head,refusal",
    [
        (HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n", "malformed"),
        (HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "malformed"),
        (HEAD + b"Content-Length: " + b"0" * 5000 + b"1\r\n\r\n", "malformed"),
        (HEAD + b"Content-Length: -1\r\n\r\n", "malformed"),
        (HEAD + b"Content-Length: " + str(MAX_BODY + 1).encode() + b"\r\n\r\n", "too_large"),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed"),
        # int(…, 16) takes these; a chunk of -6 bytes would walk back over itself forever.
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n-6\r\n", "malformed"),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n", "malformed"),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n1_0\r\n", "malformed"),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 2000, "malformed"),
    ],
    ids=[
        "two lengths",
        "length and chunked",
        "a length of 5001 digits",
        "a negative length",
        "too large",
        "bad chunk size",
        "negative chunk",
        "0x chunk",
        "underscored chunk",
        "endless chunk line",
    ],
)
def test_requests_it_cannot_frame_are_refused_by_the_worker_itself(head, refusal):
    assert state_after(head) == [refusal]
    assert refusal in REFUSALS


def test_headers_longer_than_it_takes_are_refused_before_they_end():
    assert state_after(b"GET /" + b"a" * MAX_HEAD) == ["head_too_large"]
    assert state_after(b"GET /" + b"a" * (MAX_HEAD - 10)) == ["more"]


def test_a_chunked_body_larger_than_the_app_takes_is_refused_at_its_size_line():
    size = MAX_BODY + 1
    chunk = f"{size:x}\r\n".encode()
    assert state_after(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunk) == ["too_large"]


def test_a_body_of_many_small_chunks_is_walked_once_not_from_the_start_each_time():
    arriving = Arriving(deadline=0)
    arriving.data += HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    for _ in range(3000):
        arriving.data += b"1\r\na\r\n"
        assert request_state(arriving) == "more"
    # It resumed where it stopped: at the size line of the chunk still to come.
    assert arriving.chunk_at == len(arriving.data)
    arriving.data += b"0\r\n\r\n"
    assert request_state(arriving) == "whole"


def test_once_100_continue_is_answered_the_request_no_longer_asks_for_it():
    arriving = Arriving(deadline=0)
    arriving.data += HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    assert request_state(arriving) == "continue"
    strip_expect_continue(arriving)
    assert b"expect" not in bytes(arriving.data).lower()
    assert bytes(arriving.data).endswith(b"Content-Length: 2\r\n\r\n")
    # Its body is still counted from where the headers now end.
    arriving.data += b"{"
    assert request_state(arriving) == "more"
    arriving.data += b"}"
    assert request_state(arriving) == "whole"


def test_what_the_worker_answers_itself_is_the_apps_json_error_in_chinese():
    answer = error_response(408, "Request Timeout", "请求未在限定时间内发送完整，请重新发送")
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 408 Request Timeout"
    assert "Connection: close" in lines and f"Content-Length: {len(body)}" in lines
    assert "Content-Type: application/json; charset=utf-8" in lines
    error = json.loads(body)
    assert error["code"] == 408 and error["message"] == "请求未在限定时间内发送完整，请重新发送"
    assert len(error["request_id"]) == 32
    assert error["details"] == [
        {"location": None, "field": None, "key": "request_timeout", "message": error["message"]}
    ]
