"""Serve the stub over real HTTP: in a background thread for tests, or in the foreground."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from werkzeug.serving import WSGIRequestHandler, make_server

log = logging.getLogger("wechat_stub")


class _KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1, as WeChat's API answers: a client keeps its connection from call to call
    instead of opening one per message."""

    protocol_version = "HTTP/1.1"


class _QuietHandler(_KeepAliveHandler):
    """Tests drive thousands of calls; an access log line for each only buries failures."""

    def log_request(self, code="-", size="-"):
        pass


class _PathOnlyHandler(_KeepAliveHandler):
    """Access log without query strings, which carry the app secret and access tokens."""

    def log_request(self, code="-", size="-"):
        path = self.path.split("?", 1)[0]
        log.info("%s %s %s", self.command, path, code)


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Start serving `app`; return its base URL and a function that stops it."""
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="wechat-stub", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    return f"http://{host}:{server.server_port}", stop


def serve_forever(app, host: str, port: int) -> None:
    server = make_server(host, port, app, threaded=True, request_handler=_PathOnlyHandler)
    log.info("WeChat stub listening on http://%s:%s", host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
