"""The service as production runs it: gunicorn with gunicorn.conf.py, on a loopback port.

For what only a real server shows: slow clients, a worker killed mid-request, a second
instance on the same host, raw bytes no test client would send.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


def connect(port: int) -> tuple[socket.socket, object]:
    """A raw client socket, and a file to read its answers from."""
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    return client, client.makefile("rb")


def read_response(answers) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 response from the stream: status, headers (lower-case names), body."""
    status = int(answers.readline().split()[1])
    headers = {}
    while (line := answers.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = answers.read(int(headers.get("content-length", 0)))
    return status, headers, body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    """A running gunicorn; `base` is its URL, `home` the HOME it runs with."""

    base: str
    port: int
    home: Path
    process: subprocess.Popen
    log: Path
    env: dict = field(repr=False)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, timeout=kwargs.pop("timeout", 10), **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.base + path, timeout=kwargs.pop("timeout", 10), **kwargs)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def serve(
    database_url: str,
    home: Path,
    wechat_api_base: str,
    *,
    workers: int = 2,
    port: int | None = None,
    **settings: str,
) -> Served:
    """Start gunicorn on `database_url` (already migrated) and wait until it answers."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    instance = home / "instance"
    env = {
        **os.environ,
        "HOME": str(home),
        "CITYCODE_ENV": "development",
        "DATABASE_URL": database_url,
        "CITYCODE_INSTANCE_DIR": str(instance),
        "UPLOAD_DIR": str(instance / "uploads"),
        "WECHAT_API_BASE": wechat_api_base,
        "WECHAT_APPID": "wx_citycode_test",
        "WECHAT_SECRET": "test-secret",
        "PUBLIC_BASE_URL": "https://c.example.cn",
        "WEB_CONCURRENCY": str(workers),
        "ACCESS_LOG": str(home / "access.log"),
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_LOGIN": "10000 per minute",
        "RATELIMIT_WRITES": "10000 per minute",
        **settings,
    }
    log = home / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "backend:create_app()",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}", port, home, process, log, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{served.log_tail()}")
        try:
            if requests.get(served.base + "/healthz", timeout=1).status_code == 200:
                return served
        except requests.RequestException:
            pass
        time.sleep(0.2)
    served.stop()
    raise RuntimeError(f"gunicorn did not answer:\n{served.log_tail()}")
