"""The gunicorn worker: a request reaches the app's thread only once it has fully arrived.

gunicorn's threaded worker hands a connection to a thread as soon as it is readable, and
the thread then reads the headers and the body as they come. With one thread per worker
(gunicorn.conf.py says why one), five clients that each sent headers and then their
body a byte at a time stopped the whole service. Here the worker's event loop, which
waits on every socket at once, collects each request (headers, then the body its
Content-Length or chunked framing announces) without blocking anyone, and only a whole
request goes to the thread. A client gets REQUEST_SECONDS to send one; after that it is
answered 408 and the connection closed. Over TLS, which the service leaves to the proxy
in front of it, the worker behaves as gunicorn's own.

A request it will not frame (headers too long, malformed framing, a body larger than the
app takes) it answers itself, 431, 400 or 413, and closes: handed to a thread, the rest
of such a request could be made to arrive as slowly as the client likes. What gunicorn
refuses before the app sees a request (a request line too long, bytes that are not HTTP)
is answered in the service's one JSON error shape, not gunicorn's HTML.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from concurrent.futures import Future
from functools import partial

from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import TConn, ThreadWorker

from backend.framing import (
    CONTINUE,
    REFUSALS,
    Arriving,
    error_response,
    request_state,
    strip_expect_continue,
)

# How long a client has to send a whole request; REQUEST_TIMEOUT (seconds) overrides it.
REQUEST_SECONDS = 10.0
RECV = 64 * 1024
LIVENESS = b"GET /healthz "


TIMED_OUT = (408, "Request Timeout", "请求未在限定时间内发送完整，请重新发送")
# What gunicorn refuses before the app sees a request; anything else it cannot read is a 400.
REFUSED = (
    (http_errors.LimitRequestLine, (414, "URI Too Long", "请求地址过长")),
    (http_errors.LimitRequestHeaders, (431, "Request Header Fields Too Large", "请求头过大")),
    (http_errors.UnsupportedTransferCoding, (501, "Not Implemented", "不支持该传输编码")),
    (http_errors.ExpectationFailed, (417, "Expectation Failed", "不支持该 Expect 请求头")),
    (http_errors.ForbiddenProxyRequest, (403, "Forbidden", "不接受来自该代理的请求")),
)
BAD_REQUEST = (400, "Bad Request", "请求格式不正确，无法识别")
# A header the app tried to send, or a setting, is not the client's fault.
_NOT_THE_CLIENTS = (
    http_errors.InvalidResponseHeader,
    http_errors.InvalidResponseHeaderName,
    http_errors.ConfigurationProblem,
)
FAILED = (500, "Internal Server Error", "服务器内部错误，请稍后重试")

# What a thread's first read says when the request is not all there yet: the event loop
# collects the rest.
_COLLECT = object()


class WholeRequestWorker(ThreadWorker):
    """gunicorn's gthread worker, running only HTTP/1 requests that have fully arrived.

    A request that arrives in one piece, as nearly all do, costs what it did: the thread
    reads what the socket holds without waiting, finds the request whole, and runs it.
    Only one that is not whole goes back to the event loop until it is.
    """

    def init_process(self):
        self.arriving_conns = {}
        self.request_seconds = float(os.environ.get("REQUEST_TIMEOUT", REQUEST_SECONDS))
        super().init_process()

    def enqueue_req(self, conn):
        """A liveness check is run by the event loop itself, never queued behind the
        worker's thread: that may be waiting on a hung database, and a check that waits
        with it would have a healthy process restarted (/healthz touches neither the
        database nor Redis, so it cannot wait on them)."""
        if not _asks_liveness(conn):
            return super().enqueue_req(conn)
        done = Future()
        try:
            done.set_result(self.handle(conn))
        except Exception as exc:  # noqa: BLE001  handed on, as the thread pool would
            done.set_exception(exc)
        self.finish_request(conn, done)

    def accept(self, listener):
        """A new connection waits in the event loop for its first bytes, not in a thread."""
        if self.cfg.is_ssl:
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.request_seconds
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def handle(self, conn):
        if not (self.cfg.is_ssl or conn.is_http2 or getattr(conn, "whole", False)):
            try:
                first = self._read_what_is_there(conn)
            except OSError:
                return False
            if first is not None:
                return first
        conn.whole = False
        return super().handle(conn)

    def _read_what_is_there(self, conn):
        """In the thread, without waiting: None when the request is whole (it is back in
        the parser's buffer), _COLLECT when more must come, False when the client left."""
        conn.init()
        arriving = Arriving(time.monotonic() + self.request_seconds)
        arriving.data += conn.parser.unreader.take_buffered()
        state = request_state(arriving) if arriving.data else "more"
        while state == "more":
            try:
                received = conn.sock.recv(RECV, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if not received:
                if not arriving.data:
                    return False
                return False  # gone before the request was whole: nobody to answer
                break
            arriving.data += received
            state = request_state(arriving)
        if state in REFUSALS:
            with contextlib.suppress(OSError):
                conn.sock.sendall(error_response(*REFUSALS[state]))
            return False
        if state in ("more", "continue"):
            if state == "continue":
                _continue(conn, arriving)
            conn.arriving = arriving
            return _COLLECT
        conn.parser.unreader.unread(bytes(arriving.data))
        return None

    def finish_request(self, conn, fs):
        if not fs.cancelled() and fs.exception() is None and fs.result() is _COLLECT:
            conn.sock.setblocking(False)
            self.arriving_conns[conn] = conn.arriving
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_bytes, conn))
            return
        super().finish_request(conn, fs)

    def _on_bytes(self, conn, client):
        """In the event loop: more of a request that did not come in one piece. Whatever
        goes wrong with one connection ends that connection, never the worker."""
        try:
            self._take_bytes(conn, client)
        except Exception:
            self.log.exception("dropping a connection whose request could not be read")
            if conn in self.arriving_conns:
                self._drop(conn)

    def _take_bytes(self, conn, client):
        arriving = self.arriving_conns[conn]
        try:
            received = client.recv(RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            received = b""
        if not received:
            self._drop(conn)
            return
        arriving.data += received
        state = request_state(arriving)
        if state == "more":
            return
        if state in REFUSALS:
            self._drop(conn, error_response(*REFUSALS[state]))
            return
        if state == "continue":
            try:
                _continue(conn, arriving)
            except OSError:
                self._drop(conn)
            return
        self._forget(conn)
        conn.whole = True
        conn.sock.setblocking(True)
        conn.parser.unreader.unread(bytes(arriving.data))
        self.enqueue_req(conn)

    def _forget(self, conn):
        del self.arriving_conns[conn]
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn, answer: bytes = b""):
        self._forget(conn)
        self.nr_conns -= 1
        if answer:
            with contextlib.suppress(OSError):
                conn.sock.send(answer)
        conn.close()

    def murder_pending(self):
        """Connections that sent nothing in time are closed (gunicorn's own); those in the
        middle of a request are told 408 first."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, arriving in self.arriving_conns.items() if arriving.deadline < now]:
            self._drop(conn, error_response(*TIMED_OUT))

    def handle_error(self, req, client, addr, exc):
        """gunicorn's own refusals, in JSON (its handle_error writes HTML)."""
        if isinstance(exc, http_errors.ParseException) and not isinstance(exc, _NOT_THE_CLIENTS):
            answer = next((a for kind, a in REFUSED if isinstance(exc, kind)), BAD_REQUEST)
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        else:
            answer = FAILED
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        with contextlib.suppress(OSError):
            client.setblocking(True)
            client.sendall(error_response(*answer))


def _asks_liveness(conn) -> bool:
    parser = conn.parser
    buffered = parser.unreader.buf.getvalue() if parser is not None else b""
    try:
        start = buffered or conn.sock.recv(len(LIVENESS), socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return False
    return start.startswith(LIVENESS)


def _continue(conn, arriving: Arriving) -> None:
    """Answer the client's Expect: 100-continue, once: gunicorn is not to send another."""
    strip_expect_continue(arriving)
    conn.sock.send(CONTINUE)
