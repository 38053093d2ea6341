"""Throughput and latency of the public scan (/api/v1/scan/{code}) against a bare Flask route.

Seeds a district of shops (SQLite and/or PostgreSQL), serves the app, the anchor (the least
a Flask + peewee developer would write for a scan: anchor_app.py) and a bare Flask app
with gunicorn on 127.0.0.1 with identical settings, loads each with wrk (random codes,
the mini-program's bearer token for the scan), and prints req/s, p50 and p99 per run,
the spread over runs, the scan/bare and anchor/bare ratios and whether the targets are
met: the scan at >= 0.5 of the bare route's throughput and >= 1.0 of the anchor's, and
its p99 <= 50 ms.

    python bench/scan.py [--db sqlite|postgres|both] [--shops 100000] [--duration 15]
                         [--connections 32] [--runs 3] [--workers N] [--threads N]

Both targets run under gunicorn.conf.py exactly as production reads it (workers, threads,
preloading, recycling); --workers, --threads and --max-requests override it for both.

Exit status: 0 when the measurement ran (whatever the verdict), 1 when it could not
be trusted (a non-2xx answer, a server that did not start).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
import scan_data  # noqa: E402
from harness import (  # noqa: E402
    HEADER,
    PROJECT_GUNICORN_CONF,
    BenchError,
    Run,
    Server,
    row,
    spread,
    wrk,
)

LUA_SCRIPT = BENCH_DIR / "scan.lua"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench"
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
# The scan against the least a Flask + peewee developer would write for it (anchor_app.py).
TARGET_ANCHOR = 1.0
WARMUP_SECONDS = 3


# -- the databases --------------------------------------------------------------------------
def _holds(url: str, shops: int) -> bool:
    """A kept database from an earlier run: migrated to head, with the same number of shops."""
    import peewee as pw

    from backend.db import make_database
    from backend.migrate import pending
    from backend.models import Shop

    db = make_database(url, pool_size=1)
    try:
        with db.bind_ctx([Shop]), db.connection_context():
            return not pending(db) and Shop.select().count() == shops
    except pw.DatabaseError:
        return False
    finally:
        if hasattr(db, "close_all"):
            db.close_all()


def prepare_database(kind: str, args, data_dir: Path) -> tuple[str, list[str], dict]:
    """(url, current codes, row counts); seeds unless a kept database already fits."""
    from backend.db import bind
    from backend.migrate import upgrade

    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)

    if kind == "sqlite":
        path = data_dir / "bench.db"
        url = f"sqlite:///{path}"
        reuse = args.keep and path.exists() and _holds(url, args.shops)
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url = args.pg_url
        name = databases.bench_name(url)
        reuse = args.keep and _holds(url, args.shops)
        if not reuse:
            databases.admin(
                url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
            )
    db = bind(url, pool_size=2)
    started = time.monotonic()
    with db.connection_context():
        if reuse:
            print(f"[{kind}] reusing the kept database ({args.shops} shops)", flush=True)
        else:
            print(f"[{kind}] migrating and seeding {args.shops} shops …", flush=True)
            upgrade(db)
            scan_data.seed(db, args.shops)
            print(f"[{kind}] seeded in {time.monotonic() - started:.1f} s", flush=True)
        counts = scan_data.counts()
        codes = scan_data.current_codes()
    if hasattr(db, "close_all"):
        db.close_all()
    return url, codes, counts


def drop_database(kind: str, args) -> None:
    if kind == "postgres" and not args.keep:
        databases.admin(
            args.pg_url,
            f'DROP DATABASE IF EXISTS "{databases.bench_name(args.pg_url)}" WITH (FORCE)',
        )


# -- tokens ----------------------------------------------------------------------------------
class TokenMint:
    """Access tokens for the bench user, signed with the same key set the servers read."""

    def __init__(self, url: str, instance_dir: Path):
        from backend import create_app
        from backend.config import Config

        config = Config.from_env(
            env="development",
            database_url=url,
            upload_dir=str(instance_dir / "uploads"),
            log_level="WARNING",
        )
        self.app = create_app(config)  # creates the keys on first use, before any worker starts

    def token(self) -> str:
        from backend.auth import issue_access_token
        from backend.db import database
        from backend.models import User

        with self.app.app_context(), database.connection_context():
            user = User.get(User.openid == scan_data.BENCH_OPENID)
            return issue_access_token(user, sid="bench")[0]

    def close(self) -> None:
        from backend.db import database

        if hasattr(database.obj, "close_all"):
            database.obj.close_all()


# -- serving and loading --------------------------------------------------------------------
def gunicorn_overrides(args) -> dict:
    """The same for both targets: no access log unless asked for, and only the sizing
    the command line asks for; everything else is gunicorn.conf.py's."""
    overrides = {"accesslog": args.access_log or None}
    for name in ("workers", "threads", "max_requests"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    return overrides


def gunicorn_settings(args) -> dict:
    """What the servers will run with: gunicorn.conf.py (it reads WEB_CONCURRENCY and
    GUNICORN_THREADS from this environment, as the servers do), then the overrides."""
    return {**runpy.run_path(str(PROJECT_GUNICORN_CONF)), **gunicorn_overrides(args)}


def server_env(url: str, instance_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("BIND", "ACCESS_LOG")}
    env.update(
        CITYCODE_ENV="development",
        DATABASE_URL=url,
        CITYCODE_INSTANCE_DIR=str(instance_dir),
        UPLOAD_DIR=str(instance_dir / "uploads"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def preflight(server: Server, codes: list[str], token: str) -> None:
    """A few scans by hand: 200, official, the public view, licences present."""
    for code in codes[:: max(1, len(codes) // 5)][:5]:
        request = urllib.request.Request(  # noqa: S310  our own server on 127.0.0.1
            f"{server.base}/api/v1/scan/{code}", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            raise BenchError(f"scan of {code} answered {exc.code}: {exc.read()[:300]!r}") from None
        if (
            body.get("verdict") != "official"
            or body.get("view") != "public"
            or not body.get("licences")
        ):
            raise BenchError(f"scan of {code} does not look like a public official view: {body}")


def bench_database(kind: str, args, work: Path) -> list[Run]:
    data_dir = Path(args.keep) if args.keep else work
    data_dir.mkdir(parents=True, exist_ok=True)
    instance_dir = work / "instance"
    url, codes, counts = prepare_database(kind, args, data_dir)
    print(f"[{kind}] rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    codes_file = work / f"codes-{kind}.txt"
    codes_file.write_text("\n".join(codes) + "\n")

    mint = TokenMint(url, instance_dir)
    env = server_env(url, instance_dir)
    overrides = gunicorn_overrides(args)
    servers = {
        "scan": Server(
            f"{kind}-scan", args.app, "/healthz", work, env, overrides, pythonpath=BENCH_DIR
        ),
        "anchor": Server(
            f"{kind}-anchor",
            "anchor_app:app",
            f"/anchor/{codes[0]}",
            work,
            env,
            overrides,
            pythonpath=BENCH_DIR,
        ),
        "bare": Server(
            f"{kind}-bare", "bare_app:app", "/bare", work, env, overrides, pythonpath=BENCH_DIR
        ),
    }

    def load(target: str, seconds: int) -> dict:
        script_args = {
            "scan": ["scan", str(codes_file), mint.token()],
            "anchor": ["anchor", str(codes_file)],
            "bare": ["bare"],
        }[target]
        return wrk(
            servers[target], seconds, args.connections, args.wrk_threads, LUA_SCRIPT, script_args
        )

    runs = []
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
        preflight(servers["scan"], codes, mint.token())
        for target in servers:
            load(target, WARMUP_SECONDS)
        print(HEADER, flush=True)
        # Interleaved, so drift on the machine falls on both targets alike.
        for run in range(1, args.runs + 1):
            for target in servers:
                result = Run.from_wrk(kind, target, run, load(target, args.duration))
                runs.append(result)
                print(row(result), flush=True)
    finally:
        for server in servers.values():
            server.stop()
        mint.close()
        drop_database(kind, args)
    return runs


# -- report ----------------------------------------------------------------------------------
def report(runs: list[Run]) -> None:
    print("\n" + HEADER)
    for r in runs:
        print(row(r))
    print()
    for db in dict.fromkeys(r.db for r in runs):
        scan = [r for r in runs if r.db == db and r.target == "scan"]
        bare = [r for r in runs if r.db == db and r.target == "bare"]
        scan_rps = statistics.median(r.rps for r in scan)
        bare_rps = statistics.median(r.rps for r in bare)
        ratio = scan_rps / bare_rps
        paired = [s.rps / b.rps for s, b in zip(scan, bare, strict=True)]
        p99 = statistics.median(r.p99_ms for r in scan)
        ratio_ok, p99_ok = ratio >= TARGET_RATIO, p99 <= TARGET_P99_MS
        print(f"{db}:")
        print(f"  scan req/s  median {spread([r.rps for r in scan])}")
        print(f"  bare req/s  median {spread([r.rps for r in bare])}")
        print(f"  scan p50 ms median {spread([r.p50_ms for r in scan], '{:.2f}')}")
        print(f"  scan p99 ms median {spread([r.p99_ms for r in scan], '{:.2f}')}")
        print(f"  bare p99 ms median {spread([r.p99_ms for r in bare], '{:.2f}')}")
        print(
            f"  scan/bare   {ratio:.3f} (ratio of medians; per run "
            f"{', '.join(f'{p:.3f}' for p in paired)})"
        )
        anchor = [r for r in runs if r.db == db and r.target == "anchor"]
        anchor_ratio = statistics.median(r.rps for r in anchor) / bare_rps
        print(f"  anchor req/s median {spread([r.rps for r in anchor])}")
        print(f"  anchor p99 ms median {spread([r.p99_ms for r in anchor], '{:.2f}')}")
        print(
            f"  anchor/bare {anchor_ratio:.3f}; scan/anchor {ratio / anchor_ratio:.3f} "
            f"(target >= {TARGET_ANCHOR:.1f}: "
            f"{'MET' if ratio / anchor_ratio >= TARGET_ANCHOR else 'MISSED'})"
        )
        print(
            f"  target ratio >= {TARGET_RATIO}: {'MET' if ratio_ok else 'MISSED'}; "
            f"target scan p99 <= {TARGET_P99_MS:.0f} ms: {'MET' if p99_ok else 'MISSED'}"
            f" → {'PASS' if ratio_ok and p99_ok else 'FAIL'}"
        )


def code_fingerprint() -> str:
    """The code under measurement: git's short commit, and a digest of the working tree's
    backend/ and migrations/, so a run can tell whether they changed while it ran."""
    digest = hashlib.sha256()
    for path in sorted([*REPO.glob("backend/**/*"), *REPO.glob("migrations/*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],  # noqa: S607  git from PATH
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    return f"{commit or 'no git'}, tree {digest.hexdigest()[:12]}"


def describe(args) -> str:
    import sqlite3

    import peewee

    settings = gunicorn_settings(args)
    return (
        f"{args.shops} shops; gunicorn {settings.get('worker_class', 'sync')} "
        f"{settings.get('workers', 1)} workers × {settings.get('threads', 1)} threads "
        f"(preload {settings.get('preload_app', False)}, max_requests "
        f"{settings.get('max_requests', 0)}, access log {args.access_log or 'off'}); "
        f"wrk -t{args.wrk_threads} "
        f"-c{args.connections} -d{args.duration}s × {args.runs} runs after a "
        f"{WARMUP_SECONDS} s warm-up; {os.cpu_count()} CPUs; Python "
        f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"peewee {peewee.__version__}"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="override gunicorn.conf.py's workers (for both targets)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="override gunicorn.conf.py's threads (for both targets)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--max-requests",
        type=int,
        default=None,
        help="override gunicorn's worker recycling (0 turns it off)",
    )
    parser.add_argument(
        "--access-log", default="", help="gunicorn access log file (default: off, as in a bench)"
    )
    parser.add_argument(
        "--app",
        default="backend:create_app()",
        help="the WSGI app served as the scan target (to try a change "
        "without editing backend/; PYTHONPATH reaches gunicorn)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument(
        "--keep",
        metavar="DIR",
        default="",
        help="keep the seeded databases (SQLite and keys in DIR, the PostgreSQL "
        "database as is) and reuse them when they hold --shops shops",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be 1…600 s (an access token lives 900 s)")
    if args.runs < 1 or args.shops < 10:
        parser.error("--runs must be ≥ 1 and --shops ≥ 10")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(describe(args), flush=True)
    fingerprint = code_fingerprint()
    print(f"code: {fingerprint}; scan target {args.app}", flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="citycode_bench_") as tmp:
        try:
            for kind in kinds:
                runs += bench_database(kind, args, Path(tmp))
        except BenchError as exc:
            print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
            return 1
    report(runs)
    if code_fingerprint() != fingerprint:
        print(
            "\nWARNING: backend/ or migrations/ changed during the run (now "
            f"{code_fingerprint()}); workers recycled mid-run may have served either "
            "version. Run again on a quiet tree."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
