"""The fault proxy itself: each fault against an echo server on loopback, a freeze against Redis.

The fault tests trust the proxy to fail the way they say it does; a proxy that forwarded
during a freeze, or lost what it held, would make them pass or fail for the wrong reason.
Timings are asserted one way only (at least the delay, under a generous ceiling).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.cluster.faultproxy import FaultProxy
from tests.conftest import IN_CI

pytestmark = pytest.mark.once  # needs no database: run once in CI, on SQLite's pass

REDIS = ("127.0.0.1", 6379)
HANG = 0.3  # long enough to call silence a hang; nothing here waits that long for an answer


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.connections += 1
        try:
            while data := self.request.recv(65536):
                self.server.received += data
                self.request.sendall(data)
        except OSError:  # reset by drop()
            pass


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)
        self.connections, self.received = 0, b""


@pytest.fixture
def echo():
    server = EchoServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def proxy(echo):
    with FaultProxy(*echo.server_address) as proxy:
        yield proxy


def _connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=5)


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _hangs(sock: socket.socket) -> bool:
    sock.settimeout(HANG)
    try:
        sock.recv(1)
    except TimeoutError:
        return True
    finally:
        sock.settimeout(5)
    return False


def test_listens_on_a_free_loopback_port(proxy):
    assert proxy.port > 0
    assert proxy.address == ("127.0.0.1", proxy.port)


def test_forwards_both_ways_and_a_megabyte_intact(proxy):
    payload = bytes(range(256)) * 8192  # 2 MiB: past the proxy's high-water mark
    with _connect(proxy) as sock:
        sock.sendall(b"hello")
        assert _receive(sock, 5) == b"hello"
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        assert _receive(sock, len(payload)) == payload
        sender.join(5)


def test_a_half_close_is_forwarded(proxy, echo):
    with _connect(proxy) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        assert _receive(sock, 100) == b"last words"  # then the echo server's FIN


def test_freeze_holds_bytes_both_ways_and_thaw_delivers_them_in_order(proxy, echo):
    with _connect(proxy) as sock:
        sock.sendall(b"warm")
        assert _receive(sock, 4) == b"warm"
        proxy.freeze()
        for part in (b"one ", b"two ", b"three"):
            sock.sendall(part)
        assert _hangs(sock)
        assert echo.received == b"warm"  # not forwarded upstream either
        proxy.thaw()
        assert _receive(sock, 13) == b"one two three"
        assert echo.received == b"warmone two three"


def test_a_connection_made_while_frozen_hangs_rather_than_being_refused(proxy, echo):
    proxy.freeze()
    with _connect(proxy) as sock:
        sock.sendall(b"anyone there?")
        assert _hangs(sock)
        assert echo.connections == 0
        proxy.thaw()
        assert _receive(sock, 13) == b"anyone there?"


def test_drop_resets_connections_and_keeps_listening(proxy):
    with _connect(proxy) as sock:
        sock.sendall(b"ping")
        assert _receive(sock, 4) == b"ping"
        proxy.drop()
        with pytest.raises(ConnectionResetError):
            sock.recv(1)
    with _connect(proxy) as sock:
        sock.sendall(b"again")
        assert _receive(sock, 5) == b"again"


def test_refuse_closes_the_door_but_not_open_connections_and_accept_reopens_it(proxy):
    with _connect(proxy) as sock:
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            _connect(proxy)
        sock.sendall(b"still here")
        assert _receive(sock, 10) == b"still here"
        proxy.accept()
    with _connect(proxy) as sock:
        sock.sendall(b"back")
        assert _receive(sock, 4) == b"back"


def test_delay_holds_each_chunk_each_way_and_zero_turns_it_off(proxy):
    with _connect(proxy) as sock:
        proxy.delay(0.4)
        started = time.monotonic()
        sock.sendall(b"slow")
        assert _receive(sock, 4) == b"slow"
        assert time.monotonic() - started >= 0.8 - 0.01  # there and back again
        proxy.delay(0)
        started = time.monotonic()
        sock.sendall(b"fast")
        assert _receive(sock, 4) == b"fast"
        assert time.monotonic() - started < 0.4


def test_freezes_and_thaws_from_another_thread_lose_and_reorder_nothing(proxy):
    messages = [f"{n:05d};".encode() for n in range(300)]
    failures: list[BaseException] = []

    def converse() -> None:
        try:
            with _connect(proxy) as sock:
                for message in messages:
                    sock.sendall(message)
                    assert _receive(sock, len(message)) == message
        except BaseException as exc:  # handed to the test's thread, to fail it there
            failures.append(exc)

    clients = [threading.Thread(target=converse) for _ in range(4)]
    for client in clients:
        client.start()
    while any(client.is_alive() for client in clients):
        proxy.freeze()
        time.sleep(0.01)
        proxy.thaw()
        time.sleep(0.01)
    assert not failures


def test_as_a_context_manager_it_stops_on_leaving(echo):
    with FaultProxy(*echo.server_address) as proxy, _connect(proxy) as sock:
        sock.sendall(b"inside")
        assert _receive(sock, 6) == b"inside"
    with pytest.raises(ConnectionRefusedError):
        _connect(proxy)


def test_a_frozen_proxy_waits_without_spinning_and_stops_at_once(echo):
    proxy = FaultProxy(*echo.server_address).start()
    with _connect(proxy) as sock:
        proxy.freeze()
        sock.sendall(b"held")
        cpu = time.process_time()
        time.sleep(0.5)
        assert time.process_time() - cpu < 0.2
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 1
        # Closed: by a FIN, or by a reset if "held" was still unread in the kernel.
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""
    with pytest.raises(ConnectionRefusedError):
        _connect(proxy)


def test_an_unreachable_upstream_resets_the_client():
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # bound but never listening: the port refuses
    # The reset may come before connect() has returned, or after.
    with (
        FaultProxy("127.0.0.1", port) as proxy,
        pytest.raises(ConnectionResetError),
        _connect(proxy) as sock,
    ):
        sock.recv(1)


def _redis(port: int, timeout: float) -> redis.Redis:
    # No retries: each would reconnect and wait out the timeout again.
    no_retry = Retry(NoBackoff(), 0)
    return redis.Redis(host=REDIS[0], port=port, socket_timeout=timeout, retry=no_retry)


def test_redis_hangs_behind_a_frozen_proxy_and_answers_after_the_thaw():
    probe = _redis(REDIS[1], 2)
    try:
        probe.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS[0]}:{REDIS[1]} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS[0]}:{REDIS[1]} unreachable: {exc}")
    finally:
        probe.close()
    with FaultProxy(*REDIS) as proxy:
        client = _redis(proxy.port, 0.5)
        assert client.ping()
        proxy.freeze()
        with pytest.raises(redis.TimeoutError):
            client.ping()
        client.close()
        proxy.thaw()
        fresh = _redis(proxy.port, 2)
        assert fresh.ping()
        fresh.close()
