"""What an attacker's probe tried against the running service, kept as tests on both databases:
bytes no client library would send get a clean JSON 4xx, and a worker killed in the middle of
concurrent writes leaves no half-written record and every chain whole."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.served import connect, read_response, serve


def _exchange(port: int, request: bytes) -> tuple[int, dict, bytes]:
    client, answers = connect(port)
    try:
        client.sendall(request)
        return read_response(answers)
    finally:
        client.close()


def _json_error(status: int, headers: dict, body: bytes) -> dict:
    assert headers["content-type"].startswith("application/json"), (status, body[:200])
    error = json.loads(body)
    assert error["code"] == status and error["message"], error
    return error


def test_what_the_server_refuses_before_the_app_is_json_in_chinese(served):
    long_path = b"GET /api/v1/scan/" + b"A" * 10_000 + b" HTTP/1.1\r\nHost: c\r\n\r\n"
    many_fields = b"".join(b"X-Probe-%d: 1\r\n" % n for n in range(300))
    long_field = b"X-Probe: " + b"a" * 20_000 + b"\r\n"
    cases = [
        (long_path, 414, "过长"),
        (b"GET /healthz HTTP/1.1\r\nHost: c\r\n" + many_fields + b"\r\n", 431, "过大"),
        (b"GET /healthz HTTP/1.1\r\nHost: c\r\n" + long_field + b"\r\n", 431, "过大"),
        (b"\xff\xfe\x00GARBAGE\r\n\r\n", 400, "格式"),
        (b"GET /healthz HTTP/9.9\r\nHost: c\r\n\r\n", 400, "格式"),
    ]
    for request, status, words in cases:
        answer = _exchange(served.port, request)
        assert answer[0] == status, (request[:40], answer)
        assert words in _json_error(*answer)["message"]


def test_framing_no_one_could_finish_is_refused_at_once_and_the_worker_serves_on(served):
    chunked = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n"
    cases = [
        (chunked + b"-6\r\n", 400),  # once spun a worker forever
        (b"POST / HTTP/1.1\r\nHost: c\r\nContent-Length: " + b"0" * 5000 + b"1\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\n" + b"X-Probe: " + b"a" * 70_000, 431),
    ]
    for _ in range(3):  # more than the two workers: none may be lost to one of these
        for request, status in cases:
            answer = _exchange(served.port, request)
            assert answer[0] == status, (request[:60], answer)
            _json_error(*answer)
    assert served.get("/healthz", timeout=2).status_code == 200


def test_a_20_mb_body_is_refused_with_413_before_it_is_read(served):
    client, answers = connect(served.port)
    try:
        client.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (20 * 1024 * 1024) + b'{"code": "' + b"a" * 65536
        )
        status, headers, body = read_response(answers)
    finally:
        client.close()
    assert status == 413
    assert "6 MB" in _json_error(status, headers, body)["message"]
    assert served.get("/healthz").status_code == 200


def test_paths_that_climb_out_of_the_service_reach_nothing(served, make):
    shop = make.shop("owner", make.region_tree()["street_a"])
    token = served.post("/api/v1/auth/login", json={"code": "owner.climbs"}).json()
    bearer = f"Authorization: Bearer {token['access_token']}\r\n".encode()
    uploads = f"/api/v1/merchant/shops/{shop.public_id}/uploads/".encode()
    for path in (
        b"/../../../../etc/passwd",
        b"/static/../setup.cfg",
        b"/static/..%2f..%2fsetup.cfg",
        uploads + b"..%2f..%2f..%2fsetup.cfg",
        uploads + b"%2e%2e%2f%2e%2e%2fsetup.cfg",
        uploads + b"..%5c..%5csetup.cfg",
        b"/s/..%2f..%2fsetup.cfg",
    ):
        answer = _exchange(
            served.port, b"GET " + path + b" HTTP/1.1\r\nHost: c\r\n" + bearer + b"\r\n"
        )
        assert 400 <= answer[0] < 500, (path, answer)
        assert b"[metadata]" not in answer[2] and b"root:" not in answer[2]
        _json_error(*answer)


def test_a_worker_killed_under_twenty_concurrent_writes_leaves_no_half_record(
    database_url, wechat_stub_url, tmp_path, make
):
    from backend.db import database
    from backend.models import Licence, LifecycleEvent
    from backend.shops.record import verify_shop

    shop = make.shop("owner", make.region_tree()["street_a"])
    running = serve(database_url, tmp_path, wechat_stub_url, workers=3)
    try:
        token = running.post("/api/v1/auth/login", json={"code": "owner.crash"}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        url = f"{running.base}/api/v1/merchant/shops/{shop.public_id}/licences"
        answers: dict[str, int | None] = {}
        answered = threading.Semaphore(0)

        def write(writer: int) -> None:
            for n in range(8):
                number = f"JY{writer:02d}{n:02d}31010400"
                body = {
                    "type": "other",
                    "number": number,
                    "issuer": "徐汇区市场监督管理局",
                    "valid_from": "2026-01-01",
                    "valid_to": "2031-01-01",
                }
                try:
                    status = requests.post(url, json=body, headers=bearer, timeout=30).status_code
                except requests.RequestException:
                    status = None  # the worker died with the request: the client cannot tell
                answers[number] = status
                answered.release()

        with ThreadPoolExecutor(20) as pool:
            writers = [pool.submit(write, w) for w in range(20)]
            # Four kills: a worker that happens to be between requests at one of them
            # (each write is short, and SQLite's take turns) is caught busy at another.
            for killed_after in (25, 60, 95, 130):
                while len(answers) < killed_after:
                    answered.acquire(timeout=30)
                os.kill(running.worker_pids()[0], signal.SIGKILL)
                time.sleep(0.05)
            for writer in writers:
                writer.result()

        assert len(answers) == 160
        assert {status for status in answers.values()} <= {201, None}, answers
        cut_off = [number for number, status in answers.items() if status is None]
        assert cut_off, "a killed worker had requests in hand"
        with database.connection_context():
            stored = {
                licence.public_id: licence.number
                for licence in Licence.select().where(Licence.shop == shop.id)
            }
            events = LifecycleEvent.select().where(
                (LifecycleEvent.shop == shop.id) & (LifecycleEvent.type == "licence.added")
            )
            announced = [json.loads(event.payload)["licence"] for event in events]
            verdict = verify_shop(shop)
        # Each licence stored whole with its event, each answered one stored, no other.
        assert sorted(announced) == sorted(stored)
        assert {n for n, status in answers.items() if status == 201} <= set(stored.values())
        assert set(stored.values()) <= set(answers)
        assert verdict.ok, verdict
        listed = requests.get(url, headers=bearer, timeout=10)
        assert listed.status_code == 200 and len(listed.json()) == len(stored)
    finally:
        running.stop()
