"""The service as gunicorn serves it: what only a real server on a real socket shows."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.served import connect, read_response, serve


def test_two_instances_on_one_host_each_answer_on_a_control_socket_of_their_own(
    served, database_url, wechat_stub_url, tmp_path
):
    # gunicorn's control socket sits under HOME by default: two instances on one host would
    # answer each other's commands. Each has its own, in its instance folder.
    second = serve(database_url, tmp_path / "second", wechat_stub_url, workers=3)
    try:
        pids = []
        for instance in (served, second):
            socket_path = instance.home / "instance" / "gunicorn.ctl"
            # The master opens it beside its workers, which may answer first.
            deadline = time.monotonic() + 20
            while not socket_path.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            answer = subprocess.run(
                [str(Path(sys.executable).with_name("gunicornc")), "-s", str(socket_path)]
                + ["-c", "show workers", "-j"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert answer.returncode == 0, (answer.stderr, instance.log_tail())
            pids.append(sorted(w["pid"] for w in json.loads(answer.stdout)["workers"]))
        assert pids == [sorted(served.worker_pids()), sorted(second.worker_pids())]
        assert len(pids[1]) == 3
        assert not (served.home / ".gunicorn").exists()
    finally:
        second.stop()


def test_a_logout_ends_the_access_token_on_every_worker_within_a_second(served):
    login = served.post("/api/v1/auth/login", json={"code": "alice.served1"}).json()
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    assert served.get("/api/v1/me", headers=bearer).status_code == 200
    assert (
        served.post(
            "/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]}, headers=bearer
        ).status_code
        == 204
    )
    time.sleep(1.1)
    # Each request on a new connection: the two workers take them in turn.
    answers = {served.get("/api/v1/me", headers=bearer).status_code for _ in range(12)}
    assert answers == {401}


def _hang_a_login(port: int) -> socket.socket:
    """A client that sends a login's headers and one byte of its 1,000-byte body, then waits."""
    held = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.sendall(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: citycode\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    return held


def test_clients_that_send_slowly_do_not_hold_up_anyone_else(served, make):
    shop = make.shop("owner", make.region_tree()["street_a"])
    code = make.code_of(shop)
    login = served.post("/api/v1/auth/login", json={"code": "alice.slow"}).json()
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    held = [_hang_a_login(served.port) for _ in range(500)]
    try:
        time.sleep(1)
        waits = []
        for path in ["/healthz", f"/api/v1/scan/{code}"] * 10:
            started = time.monotonic()
            answer = served.get(path, headers=bearer, timeout=5)
            waits.append(time.monotonic() - started)
            assert answer.status_code == 200, (path, answer.status_code)
        assert max(waits) < 1.0, waits
    finally:
        for client in held:
            client.close()


# -- requests that arrive slowly, in pieces or in a row: one instance, a 1-second deadline --
@pytest.fixture
def impatient(database_url, wechat_stub_url, tmp_path):
    running = serve(database_url, tmp_path, wechat_stub_url, REQUEST_TIMEOUT="1")
    yield running
    running.stop()


def _login(code: str, framing: bytes, body: bytes) -> bytes:
    return (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: citycode\r\n"
        b"Content-Type: application/json\r\n" + framing + b"\r\n" + body
    )


@pytest.mark.once
def test_a_request_still_arriving_after_the_deadline_is_answered_408_and_closed(impatient):
    client, answers = connect(impatient.port)
    client.sendall(_login("late", b"Content-Length: 100\r\n", b'{"code":'))
    started = time.monotonic()
    status, headers, body = read_response(answers)
    assert status == 408
    assert 0.9 < time.monotonic() - started < 3
    assert headers["connection"] == "close"
    assert "请重新发送" in json.loads(body)["message"]
    assert answers.read() == b""  # closed


@pytest.mark.once
def test_a_body_sent_a_byte_at_a_time_reaches_the_app_whole(impatient):
    client, answers = connect(impatient.port)
    body = json.dumps({"code": "alice.dribble"}).encode()
    client.sendall(_login("x", f"Content-Length: {len(body)}\r\n".encode(), b""))
    for byte in body:
        client.sendall(bytes([byte]))
        time.sleep(0.02)
    status, _, answer = read_response(answers)
    assert status == 200, answer
    assert json.loads(answer)["access_token"]


@pytest.mark.once
def test_a_client_that_expects_100_continue_gets_one_then_its_answer(impatient):
    client, answers = connect(impatient.port)
    body = json.dumps({"code": "alice.expects"}).encode()
    framing = f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n".encode()
    client.sendall(_login("x", framing, b""))
    assert answers.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert answers.readline() == b"\r\n"
    client.sendall(body)
    status, _, answer = read_response(answers)
    assert status == 200, answer
    assert json.loads(answer)["access_token"]


@pytest.mark.once
def test_a_chunked_request_and_the_one_sent_right_behind_it_are_both_answered(impatient):
    client, answers = connect(impatient.port)
    body = json.dumps({"code": "alice.chunks"}).encode()
    chunks = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:5], body[5:])
    )
    client.sendall(
        _login("x", b"Transfer-Encoding: chunked\r\n", chunks + b"0\r\n\r\n")
        + b"GET /healthz HTTP/1.1\r\nHost: citycode\r\n\r\n"
    )
    status, _, answer = read_response(answers)
    assert status == 200, answer
    assert json.loads(answer)["access_token"]
    assert read_response(answers)[0] == 200
