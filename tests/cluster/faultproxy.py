"""A TCP proxy that makes PostgreSQL or Redis hang, drop or refuse on demand, for fault tests.

A stopped database is the easy failure: the driver is refused at once and says so. The one
that takes a service down is a database that accepts the connection and then says nothing,
where every worker waits on a socket until some timeout, if one was set, fires. Neither
server can be told to behave like that, so the tests put this proxy between the app and the
real server and pause, cut or slow the bytes instead: toxiproxy's idea, without a binary to
install or a daemon to drive over HTTP.

One thread owns every socket. The public methods hand it a change and wait until it is made,
so no socket is touched by two threads, and freeze() has taken effect when it returns.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import selectors
import socket
import struct
import threading
import time
from collections import deque
from functools import partial

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
# A side is not read while this much waits to be written to the other: a slow or frozen
# reader then fills the kernel's buffers and blocks the writer, as a real one would.
HIGH_WATER = 1 << 20


class _End:
    """One socket of a connection, and the chunks waiting to be written to it."""

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock  # the upstream's is made only when the proxy is not frozen
        self.outbox: deque[list] = deque()  # [due, bytes]; b"" stands for the other side's FIN
        self.queued, self.eof, self.connecting = 0, False, False


class _Link:
    def __init__(self, client: socket.socket) -> None:
        self.client, self.upstream, self.closed = _End(client), _End(None), False

    def ends(self):
        return ((self.client, self.upstream), (self.upstream, self.client))


class FaultProxy:
    """Forwards loopback TCP to upstream, and can freeze, drop, refuse or delay it."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> None:
        self._upstream, self._listen = (upstream_host, upstream_port), (listen_host, listen_port)
        self._lock, self._commands = threading.Lock(), queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._sel: selectors.BaseSelector | None = None
        self._listener: socket.socket | None = None
        self._links: list[_Link] = []
        self._frozen, self._delay, self._stopping = False, 0.0, False

    @property
    def port(self) -> int:
        return self._listen[1]  # 0 until started, if it was asked for a free one

    @property
    def address(self) -> tuple[str, int]:
        return self._listen[0], self.port

    def start(self) -> FaultProxy:
        with self._lock:
            if self._thread is None:
                info = socket.getaddrinfo(*self._upstream, type=socket.SOCK_STREAM)[0]
                self._upstream_addr = info[0], info[4]  # resolved once: the loop never blocks
                self._sel, self._stopping = selectors.DefaultSelector(), False
                self._waker, self._wakee = socket.socketpair()
                self._waker.setblocking(False)
                self._sel.register(self._wakee, READ, self._run_commands)
                try:
                    self._open_listener()
                except OSError:
                    self._teardown()
                    raise
                self._thread = threading.Thread(target=self._loop, name="faultproxy", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        # The lock is held until the loop has gone, so no call can slip in between.
        with self._lock:
            if self._thread is not None:
                self._commands.put((partial(setattr, self, "_stopping", True), None, None))
                self._wake()
                self._thread.join(5)
                self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def freeze(self) -> None:
        self._call(partial(setattr, self, "_frozen", True))

    def thaw(self) -> None:
        self._call(partial(setattr, self, "_frozen", False))

    def delay(self, seconds: float) -> None:
        self._call(partial(setattr, self, "_delay", max(0.0, float(seconds))))

    def drop(self) -> None:
        self._call(lambda: [self._close(link, abort=True) for link in list(self._links)])

    def refuse(self) -> None:
        self._call(self._close_listener)

    def accept(self) -> None:
        self._call(self._open_listener)

    # From here on: the loop's thread, or a thread holding the lock while no loop runs.

    def _call(self, fn) -> None:
        with self._lock:
            if self._thread is None:
                return fn()
            done, failure = threading.Event(), []
            self._commands.put((fn, done, failure))
            self._wake()
        if not done.wait(5):
            raise RuntimeError("FaultProxy's loop did not answer within 5 s")
        if failure:
            raise failure[0]

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe has already said "wake up"
            self._waker.send(b"\0")

    def _run_commands(self, _mask) -> None:
        self._wakee.recv(4096)
        while not self._commands.empty():
            fn, done, failure = self._commands.get()
            try:
                fn()
            except Exception as exc:  # raised again in the caller's thread
                failure.append(exc)
            if done is not None:
                done.set()

    def _open_listener(self) -> None:
        if self._sel is None:
            raise RuntimeError("FaultProxy is not running")
        if self._listener is None:
            # create_server sets SO_REUSEADDR: accept() rebinds the port refuse() closed
            # while connections made on it live on.
            sock = socket.create_server(self._listen, backlog=64)
            sock.setblocking(False)
            self._listen, self._listener = sock.getsockname()[:2], sock
            self._sel.register(sock, READ, self._accept_client)

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._sel.unregister(self._listener)
            self._listener.close()  # clients still in the backlog are reset, as by a dead server
            self._listener = None

    def _accept_client(self, _mask) -> None:
        if self._listener is not None:  # else refused by a command earlier in this batch
            with contextlib.suppress(BlockingIOError, ConnectionAbortedError):
                sock, _ = self._listener.accept()
                sock.setblocking(False)
                self._links.append(_Link(sock))

    def _loop(self) -> None:
        try:
            while not self._stopping:
                now = time.monotonic()
                waits = [self._service(link, now) for link in list(self._links)]
                timeout = min((wait for wait in waits if wait is not None), default=None)
                for key, mask in self._sel.select(timeout):
                    key.data(mask)
        finally:  # stop() holds the lock meanwhile
            self._teardown()

    def _teardown(self) -> None:
        for link in list(self._links):
            self._close(link)
        self._close_listener()
        for closable in (self._sel, self._waker, self._wakee):
            closable.close()
        self._sel = None

    def _service(self, link: _Link, now: float) -> float | None:
        """Connect, write what is due and watch for the rest; returns seconds to the next due."""
        if not self._frozen:
            if link.upstream.sock is None:
                self._connect(link)
            for end, _ in link.ends():
                if end.sock is not None and not end.connecting and not link.closed:
                    self._flush(link, end, now)
        if not link.closed and all(end.eof and not end.outbox for end, _ in link.ends()):
            self._close(link)
        return None if link.closed else self._watch_link(link, now)

    def _watch_link(self, link: _Link, now: float) -> float | None:
        timeout = None
        for end, other in link.ends():
            if end.sock is None:
                continue
            events = WRITE if end.connecting else 0
            if not end.connecting and not end.eof and other.queued < HIGH_WATER:
                events |= READ
            if end.outbox and not end.connecting and not self._frozen:
                due = end.outbox[0][0] - now
                if due <= 0:
                    events |= WRITE  # due, but the kernel's buffer was full
                else:
                    timeout = due if timeout is None else min(timeout, due)
            self._watch(end.sock, events, partial(self._ready, link, end, other))
        return timeout

    def _watch(self, sock: socket.socket, events: int, callback) -> None:
        key = self._sel.get_map().get(sock)
        if key is not None and not events:
            self._sel.unregister(sock)
        elif key is None and events:
            self._sel.register(sock, events, callback)
        elif key is not None and key.events != events:
            self._sel.modify(sock, events, callback)

    def _connect(self, link: _Link) -> None:
        family, addr = self._upstream_addr
        sock = link.upstream.sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        link.upstream.connecting = True
        if sock.connect_ex(addr) not in (0, errno.EINPROGRESS):
            self._close(link, abort=True)

    def _ready(self, link: _Link, end: _End, other: _End, mask: int) -> None:
        if link.closed:  # by an event earlier in this batch
            return
        if end.connecting:
            end.connecting = False
            if end.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self._close(link, abort=True)  # the upstream refused: so is the client
            return
        if end.eof or not mask & READ:
            return
        try:
            data = end.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            return self._close(link, abort=True)
        end.eof = not data
        other.outbox.append([time.monotonic() + self._delay, data])
        other.queued += len(data)

    def _flush(self, link: _Link, end: _End, now: float) -> None:
        while end.outbox and end.outbox[0][0] <= now:
            chunk = end.outbox[0]
            try:
                sent = end.sock.send(chunk[1]) if chunk[1] else end.sock.shutdown(socket.SHUT_WR)
            except BlockingIOError:
                return
            except OSError:
                return self._close(link, abort=True)
            end.queued -= sent or 0
            if sent and sent < len(chunk[1]):
                chunk[1] = chunk[1][sent:]
                return
            end.outbox.popleft()

    def _close(self, link: _Link, abort: bool = False) -> None:
        for end, _ in link.ends():
            if end.sock is not None:
                self._watch(end.sock, 0, None)
                if abort:  # linger 0: the peer gets a reset, not an orderly FIN
                    with contextlib.suppress(OSError):
                        linger = struct.pack("ii", 1, 0)
                        end.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                end.sock.close()
        link.closed = True
        self._links.remove(link)
