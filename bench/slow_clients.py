"""What slow clients do to everyone else: /healthz and the scan while N clients hang.

Seeds a small district, serves the app with gunicorn.conf.py as production reads it,
opens N connections that each send a login's headers (Content-Length: 1000) and one
byte of its body and then wait, and times requests to /healthz and to the scan of a
random shop, each on a new connection, one after another. Prints p50, p99 and the
longest wait per path, and how many did not answer within --timeout.

    python bench/slow_clients.py [--db sqlite|postgres] [--slow 500] [--requests 200]
                                 [--worker-class gthread] [--timeout 5]

--worker-class serves with another gunicorn worker (gthread: gunicorn's own) to compare.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from harness import BenchError, Server  # noqa: E402
from scan import TokenMint, drop_database, prepare_database, server_env  # noqa: E402

HALF_A_LOGIN = (
    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: citycode\r\n"
    b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
)
GIVE_UP_AFTER = 5  # consecutive requests unanswered: the service is stopped, no need for more


def hang(port: int, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(HALF_A_LOGIN)
        held.append(client)
    return held


def timed(url: str, token: str, timeout: float) -> float | None:
    """Seconds to a 200, or None when it did not come within `timeout`."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            if response.status != 200:
                raise BenchError(f"{url} answered {response.status}")
    except (TimeoutError, urllib.error.URLError, ConnectionError):
        return None
    return time.monotonic() - started


def measure(server: Server, codes: list[str], token: str, args) -> dict[str, list]:
    waits: dict[str, list] = {"/healthz": [], "scan": []}
    unanswered_in_a_row = 0
    for n in range(args.requests):
        path = "/healthz" if n % 2 == 0 else f"/api/v1/scan/{random.choice(codes)}"  # noqa: S311
        wait = timed(server.base + path, token, args.timeout)
        waits["/healthz" if n % 2 == 0 else "scan"].append(wait)
        unanswered_in_a_row = unanswered_in_a_row + 1 if wait is None else 0
        if unanswered_in_a_row >= GIVE_UP_AFTER:
            break
    return waits


def summary(label: str, waits: list) -> str:
    answered = sorted(w * 1000 for w in waits if w is not None)
    missing = len(waits) - len(answered)
    if not answered:
        return f"  {label:<9} 0 of {len(waits)} answered"
    p99 = answered[min(len(answered) - 1, int(len(answered) * 0.99))]
    return (
        f"  {label:<9} {len(answered)} of {len(waits)} answered; p50 "
        f"{statistics.median(answered):.1f} ms, p99 {p99:.1f} ms, max {answered[-1]:.1f} ms"
        + (f"; {missing} unanswered within the timeout" if missing else "")
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--slow", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/citycode_bench")
    args = parser.parse_args(argv)
    args.keep = ""
    overrides = {"accesslog": None}
    if args.worker_class:
        overrides["worker_class"] = args.worker_class
    with tempfile.TemporaryDirectory(prefix="citycode_slow_") as tmp:
        work = Path(tmp)
        url, codes, _ = prepare_database(args.db, args, work)
        instance_dir = work / "instance"
        mint = TokenMint(url, instance_dir)
        env = server_env(url, instance_dir)
        server = Server(f"{args.db}-slow", "backend:create_app()", "/healthz", work, env, overrides)
        try:
            server.start()
            server.wait_ready()
            token = mint.token()
            print(f"[{args.db}] {args.worker_class or 'gunicorn.conf.py worker'}", flush=True)
            print("no slow clients:")
            for label, waits in measure(server, codes, token, args).items():
                print(summary(label, waits))
            held = hang(server.port, args.slow)
            time.sleep(1)
            print(f"{len(held)} slow clients held open:")
            for label, waits in measure(server, codes, token, args).items():
                print(summary(label, waits))
            for client in held:
                client.close()
        finally:
            server.stop()
            mint.close()
            drop_database(args.db, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
