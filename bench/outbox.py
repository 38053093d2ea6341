"""How fast a worker empties the outbox into WeChat (the stub, in a process of its own), and
what writing a message adds to the request whose change it tells of.

    python bench/outbox.py [--backend sqlite|redis|both] [--messages 2000] [--threads 1,2,4]
                           [--runs 3] [--requests 200] [--db sqlite|postgres]

Delivery, for each queue and each worker size: N messages to N residents are written (100
to a transaction, each batch enqueued after its commit), then one `citycode worker
--threads T` empties the queue. Messages/s counts the stub's subscribe/send calls between
its first and its last (the worker's start-up left out); the wall time runs from the
worker's start to the last message final. Target: >= 200 messages/s per worker.

Request cost: p50/p99 of POST /api/v1/admin/reports/{id}/status (a cadre takes a report in
hand, which tells its resident) through Flask's test client in this process, with the
message delivered in the request after its commit (memory://: waiting on WeChat, as
before the outbox) against only enqueued (the SQLite queue; Redis). Target: enqueued no
slower than inline.

WECHAT_MESSAGES_PER_SECOND is set to 100,000 for both parts: WeChat's quota pacing (20/s
by default) would otherwise be what is measured. Exit status 1 only when the numbers
cannot be trusted (a message lost or refused, an answer not 200, a worker that died).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import requests

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
from harness import BenchError, _free_port, spread  # noqa: E402
from scan import code_fingerprint  # noqa: E402

from backend import create_app, engine, notify  # noqa: E402
from backend.auth import issue_access_token  # noqa: E402
from backend.config import Config  # noqa: E402
from backend.db import bind, database, write_transaction  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import OutboxMessage, Region, Report, User  # noqa: E402
from backend.people.staffing import create_staff  # noqa: E402

TARGET_PER_WORKER = 200.0
BATCH = 100
APPID, SECRET = "wx_citycode_bench", "bench-secret"
TEMPLATE = Config.wechat_template_report
MESSAGES_PER_SECOND = 100_000  # above anything measured: the quota pacing stays out of it
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_outbox"
CADRE, RESIDENT = "oBench_cadre", "oBench_resident"
WARMUP_REQUESTS = 20


# -- the stub, the database, the settings -----------------------------------------------------
class Stub:
    """`python -m wechat_stub` on a free loopback port, started and stopped by us."""

    def __init__(self, work: Path):
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = work / "stub.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wechat_stub", "--port", self.url.rsplit(":", 1)[1]]
                + ["--appid", APPID, "--secret", SECRET],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/__stub__/config", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise BenchError(f"the WeChat stub did not start:\n{self.log.read_text()[-2000:]}")

    def control(self, name: str, body: dict | None = None) -> None:
        requests.post(f"{self.url}/__stub__/{name}", json=body or {}, timeout=30).raise_for_status()

    def deliveries(self) -> list[dict]:
        calls = requests.get(f"{self.url}/__stub__/sent", timeout=30).json()
        return [c for c in calls if "subscribe/send" in c["endpoint"]]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def prepare_database(args, work: Path) -> str:
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    url = databases.fresh(args.db, args.pg_url, work)
    db = bind(url, pool_size=2)
    with db.connection_context():
        upgrade(db)
        User.insert_many([{"openid": openid} for openid in residents(args.messages)]).execute()
    return url


def residents(n: int) -> list[str]:
    return [f"oBench_{i:06d}" for i in range(n)]


def settings(args, work: Path, url: str, stub: Stub, queue: str, queue_name: str) -> Config:
    return databases.settings(
        url,
        work,
        wechat_api_base=stub.url,
        wechat_appid=APPID,
        wechat_secret=SECRET,
        ratelimit_writes="1000000 per minute",
        task_queue_url=queue_url(args, work, queue, queue_name),
        task_queue_name=queue_name,
        wechat_messages_per_second=MESSAGES_PER_SECOND,
    )


def queue_url(args, work: Path, queue: str, queue_name: str) -> str:
    if queue == "redis":
        return args.redis_url
    if queue == "sqlite":
        return f"sqlite:///{work / (queue_name + '.db')}"
    return "memory://"


def flush(queue: str) -> None:
    """What a run left in its queue goes: a Redis queue outlives us."""
    if queue == "redis":
        engine.huey.storage.flush_all()


def pending() -> int:
    with database.connection_context():
        return OutboxMessage.select().where(OutboxMessage.status == "pending").count()


# -- delivery ---------------------------------------------------------------------------------
def write_messages(app, n: int) -> float:
    """N messages, one to each resident, enqueued batch by batch; seconds it took."""
    started = time.perf_counter()
    with app.app_context(), database.connection_context():
        users = list(User.select().where(User.openid.in_(residents(n))).order_by(User.id))
        for start in range(0, n, BATCH):
            with write_transaction():
                for user in users[start : start + BATCH]:
                    notify.send(user, None, TEMPLATE, "report.in_hand", {"thing1": "bench"})
    return time.perf_counter() - started


def start_worker(config: Config, threads: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CITYCODE_ENV": "development",
        "DATABASE_URL": config.database_url,
        "TASK_QUEUE_URL": config.task_queue_url,
        "TASK_QUEUE_NAME": config.task_queue_name,
        "WECHAT_API_BASE": config.wechat_api_base,
        "WECHAT_APPID": config.wechat_appid,
        "WECHAT_SECRET": config.wechat_secret,
        "KEY_ENCRYPTION_KEY": config.key_encryption_key,
        "WECHAT_MESSAGES_PER_SECOND": str(MESSAGES_PER_SECOND),
        "LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "citycode"), "worker", "--threads", str(threads)],
            env=env,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def stop_worker(worker: subprocess.Popen) -> None:
    """SIGINT: huey's consumer finishes the tasks in hand and exits."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def deliver(args, work: Path, url: str, stub: Stub, queue: str, threads: int) -> dict:
    """One run: N messages written, then one worker of `threads` threads delivers them."""
    stub.control("reset")
    stub.control(
        "subscriptions/bulk", {"openids": residents(args.messages), "template_id": TEMPLATE}
    )
    config = settings(args, work, url, stub, queue, f"bench-{uuid.uuid4().hex[:8]}")
    app = create_app(config)
    written = write_messages(app, args.messages)
    log = work / f"worker-{config.task_queue_name}.log"
    worker = start_worker(config, threads, log)
    started = time.monotonic()
    try:
        deadline = started + max(120, args.messages / 10)
        while pending() and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise BenchError(f"the worker exited:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        wall = time.monotonic() - started
    finally:
        stop_worker(worker)
        flush(queue)
    deliveries = stub.deliveries()
    if pending() or len(deliveries) != args.messages or any(d["errcode"] for d in deliveries):
        raise BenchError(
            f"{pending()} messages still pending, {len(deliveries)} calls to the stub for "
            f"{args.messages} messages:\n{log.read_text()[-2000:]}"
        )
    moments = sorted(datetime.fromisoformat(d["at"]) for d in deliveries)
    window = (moments[-1] - moments[0]).total_seconds()
    return {
        "rate": (len(moments) - 1) / window if window else float("inf"),
        "wall": wall,
        "written": args.messages / written,
    }


# -- request cost -----------------------------------------------------------------------------
def people() -> tuple[Region, User]:
    """A community with a cadre and a resident (subscribed for good): (community, resident)."""
    with database.connection_context():
        district = Region.create(
            code="310104", name="徐汇区", level="district", parent=None, path="310104/"
        )
        street = Region.create(
            code="310104003",
            name="天平路街道",
            level="street",
            parent=district,
            path=Region.path_for(district, "310104003"),
        )
        community = Region.create(
            code="310104003001",
            name="建业里居委会",
            level="community",
            parent=street,
            path=Region.path_for(street, "310104003001"),
        )
        cadre = create_staff(name="周敏", role="cadre", region=community)
        cadre.user = User.create(openid=CADRE)
        cadre.save()
        return community, User.create(openid=RESIDENT)


def request_cost(args, work: Path, url: str, stub: Stub, queue: str, place) -> list[float]:
    """Milliseconds of each request that moves a fresh report to in_hand."""
    community, resident = place
    stub.control("reset")
    count = args.requests + WARMUP_REQUESTS
    stub.control(
        "subscriptions/bulk", {"openids": [RESIDENT], "template_id": TEMPLATE, "count": count}
    )
    app = create_app(settings(args, work, url, stub, queue, f"bench-{uuid.uuid4().hex[:8]}"))
    with app.app_context(), database.connection_context():
        token = issue_access_token(User.get(User.openid == CADRE), sid="bench")[0]
        reports = [
            Report.create(
                user=resident,
                community=community,
                region_path=community.path,
                category="safety",
                text=f"楼道里堆满了杂物 {queue} {n}",
            ).public_id
            for n in range(count)
        ]
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    took = []
    try:
        for n, report in enumerate(reports):
            started = time.perf_counter()
            moved = client.post(
                f"/api/v1/admin/reports/{report}/status",
                json={"status": "in_hand"},
                headers=headers,
            )
            if n >= WARMUP_REQUESTS:
                took.append((time.perf_counter() - started) * 1000)
            if moved.status_code != 200:
                raise BenchError(f"{moved.status_code}: {moved.get_data()[:300]!r}")
    finally:
        flush(queue)
    sent = len(stub.deliveries())
    if sent != (count if queue == "memory" else 0):
        raise BenchError(f"{queue}: {sent} messages reached the stub during {count} requests")
    return took


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# -- the run ----------------------------------------------------------------------------------
def run(args, work: Path) -> int:
    queues = ["sqlite", "redis"] if args.backend == "both" else [args.backend]
    if "redis" in queues:
        import redis

        try:
            redis.Redis.from_url(args.redis_url, socket_timeout=2).ping()
        except redis.RedisError as exc:
            raise BenchError(f"Redis at {args.redis_url} is unreachable: {exc}") from None
    stub = Stub(work)
    try:
        url = prepare_database(args, work)
        print(f"{args.messages} messages, {args.db} database, stub {stub.url}\n", flush=True)
        print(f"{'queue':<7} {'threads':>7} {'run':>3} {'msg/s':>8} {'wall s':>7} {'written/s':>9}")
        best: dict[str, float] = {}
        for queue in queues:
            for threads in args.threads:
                rates = []
                for n in range(1, args.runs + 1):
                    result = deliver(args, work, url, stub, queue, threads)
                    rates.append(result["rate"])
                    print(
                        f"{queue:<7} {threads:>7} {n:>3} {result['rate']:>8.1f} "
                        f"{result['wall']:>7.1f} {result['written']:>9.1f}",
                        flush=True,
                    )
                print(f"{queue:<7} {threads:>7} median msg/s {spread(rates)}", flush=True)
                best[queue] = max(best.get(queue, 0.0), statistics.median(rates))
        for queue, rate in best.items():
            verdict = "MET" if rate >= TARGET_PER_WORKER else "MISSED"
            print(f"target >= {TARGET_PER_WORKER:.0f} msg/s per worker, {queue}: {verdict}")

        print(f"\nrequest cost: {args.requests} moves to in_hand after {WARMUP_REQUESTS} warm-up")
        print(f"{'message':<20} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        place = people()
        costs = {}
        for queue in ["memory", *queues]:
            took = request_cost(args, work, url, stub, queue, place)
            costs[queue] = percentile(took, 50), percentile(took, 99)
            label = "inline (memory://)" if queue == "memory" else f"enqueued ({queue})"
            print(
                f"{label:<20} {costs[queue][0]:>8.2f} {costs[queue][1]:>8.2f} "
                f"{statistics.fmean(took):>8.2f}",
                flush=True,
            )
        for queue in queues:
            faster = costs[queue][0] <= costs["memory"][0] and costs[queue][1] <= costs["memory"][1]
            verdict = "MET" if faster else "MISSED"
            print(f"target enqueued ({queue}) no slower than inline, p50 and p99: {verdict}")
    finally:
        stub.stop()
        databases.drop(args.db, args.pg_url)
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "redis", "both"), default="both")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--threads", default="1,2,4", help="worker sizes, comma-separated (default 1,2,4)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each queue and size")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per queue")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args(argv)
    args.threads = [int(t) for t in args.threads.split(",")]
    if args.messages < 2 or args.runs < 1 or args.requests < 10 or min(args.threads) < 1:
        parser.error("--messages >= 2, --runs >= 1, --requests >= 10, --threads >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    print(
        f"code: {code_fingerprint()}; {os.cpu_count()} CPUs, load "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; Python {sys.version.split()[0]}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="citycode_bench_") as tmp:
        try:
            return run(args, Path(tmp))
        except BenchError as exc:
            print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            print(f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
