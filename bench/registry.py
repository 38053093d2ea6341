"""The daily registry re-check over 100,000 shops, against the registry stub over HTTP:
the pace it keeps at the configured rate, that a killed run goes on where it stopped,
and how fast it could go (the ceiling, with the pace lifted).

    python bench/registry.py [--shops 100000] [--rate 5] [--seconds 20]
                             [--db sqlite|postgres] [--pg-url postgresql://…]

The shops are bench/scan_data.py's; every credit code is put on the stub (`python -m
registry_stub`, on a free loopback port), one in a thousand as 注销. Each phase runs
`citycode recheck-registry` as the worker would, for --seconds, then kills it with
SIGKILL, mid-lookup or mid-transaction:

1. at REGISTRY_LOOKUPS_PER_SECOND = --rate: lookups a second, against the rate;
2. again: it must start after the shops the first run finished, asking none of them
   again (one at most: the lookup in flight at the kill, its answer never written);
3. with the rate at 10,000: the most lookups a second the re-check does here.

A full pass's time at the rate and at the ceiling is printed for the whole district.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
import scan_data  # noqa: E402
from harness import BenchError  # noqa: E402
from scan import code_fingerprint  # noqa: E402

from backend import clock, create_app  # noqa: E402
from backend.db import database  # noqa: E402
from backend.models import Shop  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_registry"
TOKEN = "citycode-registry-bench"  # noqa: S105  the stub's, for this run
CEILING_RATE = 10_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(args, work: Path) -> tuple[str, list[str]]:
    url, app = scan_data.district_app(args.db, args.pg_url, work, args.shops)
    with app.app_context(), database.connection_context():
        codes = [c for (c,) in Shop.select(Shop.credit_code).order_by(Shop.id).tuples()]
    return url, codes


def start_stub(codes: list[str], port: int) -> subprocess.Popen:
    stub = subprocess.Popen(
        [sys.executable, "-m", "registry_stub", "--port", str(port), "--token", TOKEN],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{base}/__stub__/calls", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        raise BenchError("the registry stub did not start")
    companies = [
        {
            "name": f"企业{n}",
            "creditCode": code,
            "companyOrgType": "个体工商户",
            "regStatus": "注销" if n % 1000 == 999 else "存续",
            "legalPersonName": "张三",
            "regLocation": "上海市徐汇区",
            "estiblishTime": 1423238400000,
            "businessScope": "餐饮服务",
            "regInstitute": "上海市徐汇区市场监督管理局",
        }
        for n, code in enumerate(codes)
    ]
    for start in range(0, len(companies), 5000):
        requests.post(
            f"{base}/__stub__/companies", json=companies[start : start + 5000], timeout=30
        ).raise_for_status()
    return stub


def calls(port: int) -> list[str]:
    answer = requests.get(f"http://127.0.0.1:{port}/__stub__/calls", timeout=60)
    return [call["keyword"] for call in answer.json()]


def phase(env: dict, rate: float, seconds: float, port: int) -> tuple[list[str], float]:
    """The credit codes one killed run asked about, and how long it ran."""
    before = len(calls(port))
    run = subprocess.Popen(
        [str(Path(sys.executable).parent / "citycode"), "recheck-registry"],
        env={**env, "REGISTRY_LOOKUPS_PER_SECOND": str(rate)},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # The clock starts at its first lookup: the app's start-up is not the re-check's.
    started = time.monotonic()
    while len(calls(port)) == before and run.poll() is None and time.monotonic() - started < 30:
        time.sleep(0.05)
    first = time.monotonic()
    time.sleep(seconds)
    run.send_signal(signal.SIGKILL)
    run.wait()
    elapsed = time.monotonic() - first
    if run.returncode != -signal.SIGKILL:
        raise BenchError(f"the re-check ended by itself: {run.stderr.read().decode()[-2000:]}")
    return calls(port)[before:], elapsed


def checked_today(env: dict) -> int:
    app = create_app(databases.settings(env["DATABASE_URL"], Path(env["UPLOAD_DIR"]).parent))
    with app.app_context(), database.connection_context():
        return Shop.select().where(Shop.registry_checked_on == clock.today_local()).count()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    print(f"code: {code_fingerprint()}; {args.shops} shops on {args.db}")
    with tempfile.TemporaryDirectory(prefix="citycode-bench-registry-") as tmp:
        work = Path(tmp)
        url, codes = prepare(args, work)
        port = free_port()
        stub = start_stub(codes, port)
        env = {
            **os.environ,
            "CITYCODE_ENV": "development",
            "DATABASE_URL": url,
            "UPLOAD_DIR": str(work / "uploads"),
            "TASK_QUEUE_URL": f"sqlite:///{work / 'q.db'}",
            "LOG_LEVEL": "ERROR",
            "REGISTRY_API_BASE": f"http://127.0.0.1:{port}",
            "REGISTRY_KEY": TOKEN,
        }
        try:
            first, first_s = phase(env, args.rate, args.seconds, port)
            done_first = checked_today(env)
            second, second_s = phase(env, args.rate, args.seconds, port)
            asked_again = set(first) & set(second)
            ceiling, ceiling_s = phase(env, CEILING_RATE, args.seconds, port)
            done = checked_today(env)
        finally:
            stub.terminate()
            stub.wait()
            databases.drop(args.db, args.pg_url)
    at_rate = (len(first) + len(second)) / (first_s + second_s)
    top = len(ceiling) / ceiling_s
    print(f"{'phase':<28} {'seconds':>8} {'lookups':>8} {'per s':>7}")
    for label, asked, seconds in (
        (f"1. at {args.rate:g}/s, killed", first, first_s),
        (f"2. at {args.rate:g}/s, resumed, killed", second, second_s),
        ("3. ceiling, killed", ceiling, ceiling_s),
    ):
        print(f"{label:<28} {seconds:8.1f} {len(asked):8d} {len(asked) / seconds:7.1f}")
    print(
        f"resumed: the second run began at shop {len(first) + 1 - len(asked_again)} of "
        f"{len(codes)}; asked again: {len(asked_again)} (the first run finished {done_first}); "
        f"checked today after all three: {done}"
    )
    print(
        json.dumps(
            {
                "rate_configured": args.rate,
                "rate_kept": round(at_rate, 2),
                "ceiling_per_second": round(top, 1),
                "full_pass_hours_at_rate": round(len(codes) / args.rate / 3600, 1),
                "full_pass_minutes_at_ceiling": round(len(codes) / top / 60, 1),
            },
            ensure_ascii=False,
        )
    )
    if len(asked_again) > 1:
        raise BenchError(f"the resumed run asked {len(asked_again)} shops again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
