"""The fault figures: PostgreSQL hung, Redis hung and the database's connections cut (a
restart), each under a steady load, against the app as production runs it.

gunicorn with gunicorn.conf.py and five workers, on a PostgreSQL database of its own and
Redis (rate limits and the queue), each reached through the tests' FaultProxy, which
freezes or cuts the bytes; the machine's own servers are never touched. The load is
`--rate` requests a second to the open data API (a database read, rate-limited in Redis),
each client giving up after 35 s, beside /healthz probes and /readyz polls.

    python bench/faults.py [--db-freeze 40] [--redis-freeze 45] [--rate 20] [--cuts 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from databases import admin  # noqa: E402

from tests.cluster.faultproxy import FaultProxy  # noqa: E402
from tests.cluster.load import Load  # noqa: E402
from tests.served import serve  # noqa: E402

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
READ = "/api/v1/public/sampling-plans"
CLIENT_TIMEOUT = 35.0


def reads(base: str, path: str, rate: float, clients: int = 10) -> Load:
    """`rate` requests a second to `path`, over `clients`; each answer a status, the
    exception's name, or "timeout" past CLIENT_TIMEOUT."""
    own = threading.local()  # a session, and its kept-alive connections, per client

    def ask():
        if not hasattr(own, "session"):
            own.session = requests.Session()
        try:
            return own.session.get(base + path, timeout=CLIENT_TIMEOUT).status_code
        except requests.Timeout:
            return "timeout"
        except requests.RequestException as exc:
            return type(exc).__name__

    return Load(ask, clients, clients / rate)


def ms(seconds: list[float], q: float = 0.5) -> str:
    if not seconds:
        return "-"
    if q == 0.5:
        value = statistics.median(seconds)
    elif q == 1 or len(seconds) == 1:
        value = max(seconds)
    else:
        value = statistics.quantiles(seconds, n=100)[round(q * 100) - 1]
    return f"{value * 1000:.0f} ms"


def first_after(base: str, path: str, since: float, wanted, limit: float) -> float | None:
    """Seconds from `since` until `path` answers `wanted`."""
    while time.monotonic() - since < limit:
        try:
            if requests.get(base + path, timeout=5).status_code == wanted:
                return time.monotonic() - since
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return None


def database_hung(base: str, proxy: FaultProxy, seconds: float, rate: float) -> None:
    with reads(base, READ, rate) as load, reads(base, "/healthz", 10, clients=2) as health:
        time.sleep(3)
        frozen = time.monotonic()
        proxy.freeze()
        ready = first_after(base, "/readyz", frozen, 503, seconds)
        time.sleep(max(0.0, seconds - (time.monotonic() - frozen)))
        proxy.thaw()
        thawed = time.monotonic()
        back = first_after(base, READ, thawed, 200, 30)
        time.sleep(5)
    during = load.between(frozen, thawed)
    late = [a for a in load.between(thawed + (back or 0), time.monotonic()) if a[1] != 200]
    refused = [s for _, status, s in during if status == 503]
    print(f"\nPostgreSQL frozen {seconds:.0f} s under {rate:.0f} requests/s:")
    print(
        f"  requests in the freeze {len(during)}: 503 {len(refused)}, "
        f"client timeouts {sum(1 for a in during if a[1] == 'timeout')}, "
        f"other {sum(1 for a in during if a[1] not in (503, 200, 'timeout'))}"
    )
    print(f"  503 answered in: median {ms(refused)}, longest {ms(refused, 1)}")
    print(f"  /readyz said 503 after {ready:.2f} s" if ready else "  /readyz never said 503")
    hz = [s for _, _, s in health.between(frozen, thawed)]
    print(
        f"  /healthz in the freeze: median {ms(hz)}, p95 {ms(hz, 0.95)}, longest {ms(hz, 1)}, "
        f"over 100 ms {sum(1 for s in hz if s > 0.1)} of {len(hz)}, "
        f"failed {sum(1 for a in health.between(frozen, thawed) if a[1] != 200)}"
    )
    print(
        f"  full service {back:.2f} s after the thaw; failures after that {len(late)}"
        if back is not None
        else "  no service 30 s after the thaw"
    )


def redis_hung(base: str, proxy: FaultProxy, seconds: float, rate: float) -> None:
    with reads(base, READ, rate) as load, reads(base, "/healthz", 10, clients=2) as health:
        time.sleep(10)
        frozen = time.monotonic()
        proxy.freeze()
        time.sleep(seconds)
        proxy.thaw()
        thawed = time.monotonic()
        time.sleep(25)
    before = [s for _, _, s in load.between(0, frozen)]
    during = load.between(frozen, thawed)
    after = load.between(thawed, time.monotonic())
    errors = [a for a in load.answers if a[1] != 200]
    print(f"\nRedis frozen {seconds:.0f} s under {rate:.0f} requests/s (rate-limited reads):")
    print(
        f"  read median: before {ms(before)}, frozen {ms([a[2] for a in during])}, "
        f"after {ms([a[2] for a in after])}"
    )
    print(
        f"  longest: frozen {ms([a[2] for a in during], 1)}, "
        f"in the 25 s after {ms([a[2] for a in after], 1)}; errors {len(errors)}"
    )
    hz = [s for _, _, s in health.between(frozen, thawed)]
    print(f"  /healthz in the freeze: median {ms(hz)}, longest {ms(hz, 1)}")


def connections_cut(base: str, proxy: FaultProxy, cuts: int, rate: float) -> None:
    with reads(base, READ, rate) as load:
        for _ in range(cuts):
            time.sleep(2)
            proxy.drop()  # what a restart does to every open connection
        time.sleep(2)
    failed = [a for a in load.answers if a[1] != 200]
    print(f"\nEvery database connection cut {cuts} times under {rate:.0f} requests/s (a restart):")
    print(f"  reads {len(load.answers)}, failed {len(failed)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-freeze", type=float, default=40)
    parser.add_argument("--redis-freeze", type=float, default=45)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--cuts", type=int, default=5)
    args = parser.parse_args(argv)

    name = f"citycode_bench_faults_{uuid.uuid4().hex[:8]}"
    server_url = f"postgresql://postgres@{PG[0]}:{PG[1]}/postgres"
    admin(server_url, f'CREATE DATABASE "{name}"')
    redis_db = 14
    with tempfile.TemporaryDirectory() as work, FaultProxy(*PG) as pg, FaultProxy(*REDIS) as rd:
        url = f"postgresql://postgres@127.0.0.1:{pg.port}/{name}"
        redis_url = f"redis://127.0.0.1:{rd.port}/{redis_db}"
        _migrate(url)
        served = serve(
            url,
            Path(work),
            "http://127.0.0.1:9",  # no message is sent here
            workers=5,
            RATELIMIT_STORAGE_URI=redis_url,
            RATELIMIT_PUBLIC="1000000 per minute",
            TASK_QUEUE_URL=redis_url,
        )
        try:
            database_hung(served.base, pg, args.db_freeze, args.rate)
            redis_hung(served.base, rd, args.redis_freeze, args.rate)
            connections_cut(served.base, pg, args.cuts, args.rate)
        finally:
            served.stop()
    admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    import redis

    redis.Redis(*REDIS, db=redis_db).flushdb()
    return 0


def _migrate(url: str) -> None:
    from backend import create_app
    from backend.config import Config
    from backend.db import database
    from backend.migrate import upgrade

    app = create_app(Config.from_env(env="development", database_url=url, log_level="WARNING"))
    with app.app_context(), database.connection_context():
        upgrade(database.obj)
    database.obj.close_all()


if __name__ == "__main__":
    sys.exit(main())
