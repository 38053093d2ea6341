"""What a bench script needs to measure an HTTP endpoint: gunicorn on loopback, wrk, a table.

A `Server` runs the project's gunicorn.conf.py with only the bench's overrides (bind,
access log, and workers, threads or recycling when the command line asks); `wrk()` loads
it through a Lua script whose done() prints one BENCH_JSON line, so the numbers are read
exactly instead of parsed from wrk's prose; any non-2xx/3xx answer stops the bench, since
the numbers would mean nothing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT_GUNICORN_CONF = REPO / "gunicorn.conf.py"
READY_TIMEOUT = 60


class BenchError(RuntimeError):
    """The measurement cannot be trusted; say why and stop."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _conf_file(path: Path, overrides: dict) -> Path:
    """The project's gunicorn.conf.py, then only what the bench must change."""
    path.write_text(
        "# Written by bench/harness.py: the project's settings, then the bench's overrides.\n"
        "import runpy as _runpy\n"
        f"for _k, _v in _runpy.run_path({str(PROJECT_GUNICORN_CONF)!r}).items():\n"
        "    if not _k.startswith('_'):\n"
        "        globals()[_k] = _v\n"
        + "".join(f"{key} = {value!r}\n" for key, value in overrides.items())
    )
    return path


class Server:
    """One gunicorn master on 127.0.0.1, started and stopped by us (by its pid)."""

    def __init__(
        self,
        name: str,
        app: str,
        ready_path: str,
        work: Path,
        env: dict,
        overrides: dict,
        pythonpath: Path | None = None,
    ):
        self.name, self.ready_path, self.env = name, ready_path, env
        self.port = _free_port()
        self.log_path = work / f"gunicorn-{name}.log"
        conf = _conf_file(
            work / f"gunicorn-{name}.conf.py", {"bind": f"127.0.0.1:{self.port}", **overrides}
        )
        self.command = [sys.executable, "-m", "gunicorn", "-c", str(conf), "--chdir", str(REPO)]
        if pythonpath:
            self.command += ["--pythonpath", str(pythonpath)]
        self.command.append(app)
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.name}) exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(  # noqa: S310  our own server on 127.0.0.1
                    self.base + self.ready_path, timeout=2
                ) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise BenchError(
            f"gunicorn ({self.name}) not ready in {READY_TIMEOUT} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        """TERM the master we started, then KILL its process group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def wrk(
    server: Server,
    seconds: int,
    connections: int,
    threads: int,
    script: Path,
    script_args: list[str],
) -> dict:
    """One wrk run; the stats its script's done() printed (latencies in µs)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        server.base,
        "--",
        *script_args,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk against {server.name} did not finish") from None
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stats = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    if stats["status"]:
        raise BenchError(
            f"{stats['status']} non-2xx/3xx answers from {server.name}; "
            f"the numbers mean nothing.\n{done.stdout}\n{server.log_tail()}"
        )
    if stats["requests"] == 0:
        raise BenchError(f"no requests completed against {server.name}:\n{done.stdout}")
    return stats


@dataclass
class Run:
    db: str
    target: str
    run: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    socket_errors: int

    @classmethod
    def from_wrk(cls, db: str, target: str, run: int, stats: dict) -> Run:
        return cls(
            db=db,
            target=target,
            run=run,
            rps=stats["requests"] / (stats["duration_us"] / 1e6),
            p50_ms=stats["p50_us"] / 1000,
            p90_ms=stats["p90_us"] / 1000,
            p99_ms=stats["p99_us"] / 1000,
            max_ms=stats["max_us"] / 1000,
            requests=stats["requests"],
            socket_errors=sum(stats[k] for k in ("connect", "read", "write", "timeout")),
        )


HEADER = (
    f"{'db':<9} {'target':<6} {'run':>3} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
    f"{'p99 ms':>8} {'max ms':>8} {'requests':>9} {'sock err':>8}"
)


def row(r: Run) -> str:
    return (
        f"{r.db:<9} {r.target:<6} {r.run:>3} {r.rps:>9.1f} {r.p50_ms:>8.2f} "
        f"{r.p90_ms:>8.2f} {r.p99_ms:>8.2f} {r.max_ms:>8.1f} {r.requests:>9} "
        f"{r.socket_errors:>8}"
    )


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    return (
        f"{fmt.format(statistics.median(values))} "
        f"(min {fmt.format(min(values))}, max {fmt.format(max(values))})"
    )
