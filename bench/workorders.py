"""The work orders' SLA sweep over a million orders, and what opening (and dispatching by
the rules) one order costs.

    python bench/workorders.py [--orders 1000000] [--db sqlite|postgres] [--runs 3]
                               [--opens 300] [--pg-url postgresql://…/citycode_bench_orders]

Sweep: ORDERS open orders are written straight into the table (one INSERT … SELECT),
their deadlines spread over ten days around now; then `sla.sweep` runs at now, an hour
on and a day on, each a fresh pass over every order. Target: <= 5 s a pass.

Opening: p50/p99 of `orders.open_order` in its own write transaction (the number, the
routing query, the order, two history events, the reporter's outbox message and its
task on the SQLite queue, as a request makes them).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
from harness import BenchError  # noqa: E402
from scan import code_fingerprint  # noqa: E402

from backend import clock, create_app  # noqa: E402
from backend.db import database, write_transaction  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import Department, Region, RoutingRule, ServiceCategory, User  # noqa: E402
from backend.workorders import orders, sla  # noqa: E402

TARGET_SECONDS = 5.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_orders"
SPREAD_MINUTES = 10 * 24 * 60

# One row per order, from a counter n: deadlines spread over ten days from five days ago,
# a warning four fifths of the way from a start two days before its deadline.
SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
INSERT INTO work_order (number, source, category_id, region_id, region_path, description,
    photos, priority, state, sla, due_at, warn_at, created_at, department_id, reopened,
    returned, supervised, self_handled, lifecycle_seq, lifecycle_head)
SELECT 'GB' || printf('%08d', i), 'referral', {category}, {region}, '{path}', 'bench', '[]',
    'normal', CASE i % 3 WHEN 0 THEN 'dispatched' WHEN 1 THEN 'signed' ELSE 'in_progress' END,
    'on_time',
    datetime('{base}', '+' || (i % {spread}) || ' minutes'),
    datetime('{base}', '+' || (i % {spread}) || ' minutes', '-2304 minutes'),
    '{base}', {department}, 0, 0, 0, 0, 0, '{zero}'
FROM n
"""
# psycopg2 reads % as a placeholder: %% is the modulo operator here.
POSTGRES_FILL = """
INSERT INTO work_order (number, source, category_id, region_id, region_path, description,
    photos, priority, state, sla, due_at, warn_at, created_at, department_id, reopened,
    returned, supervised, self_handled, lifecycle_seq, lifecycle_head)
SELECT 'GB' || lpad(i::text, 8, '0'), 'referral', {category}, {region}, '{path}', 'bench',
    '[]', 'normal',
    CASE i %% 3 WHEN 0 THEN 'dispatched' WHEN 1 THEN 'signed' ELSE 'in_progress' END,
    'on_time',
    timestamp '{base}' + (i %% {spread}) * interval '1 minute',
    timestamp '{base}' + (i %% {spread}) * interval '1 minute' - interval '2304 minutes',
    timestamp '{base}', {department}, 0, 0, 0, false, 0, '{zero}'
FROM generate_series(1, {count}) AS i
"""


def prepare(args, work: Path):
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    url = databases.fresh(args.db, args.pg_url, work)
    config = databases.settings(
        url,
        work,
        # Enqueued, as a request does; no worker runs, so nothing is sent.
        task_queue_url=f"sqlite:///{work / 'tasks.db'}",
    )
    app = create_app(config)
    with app.app_context(), database.connection_context():
        upgrade(database.obj)
        with write_transaction():
            region = Region.create(code="310104", name="徐汇区", level="district", path="310104/")
            department = Department.create(name="城管中队", kind="urban_management", region=region)
            RoutingRule.create(region=region, region_path=region.path, department=department)
            User.create(openid="oBench_reporter")
    return app, region, department


def fill(args, region, department) -> float:
    category = ServiceCategory.get(ServiceCategory.code == "litter")
    base = (clock.now() - timedelta(days=5)).replace(tzinfo=None, microsecond=0)
    sql = POSTGRES_FILL if args.db == "postgres" else SQLITE_FILL
    started = time.perf_counter()
    with write_transaction():
        database.execute_sql(
            sql.format(
                count=args.orders,
                category=category.id,
                region=region.id,
                path=region.path,
                base=base.isoformat(sep=" "),
                spread=SPREAD_MINUTES,
                department=department.id,
                zero="0" * 64,
            )
        )
    if args.db == "postgres":
        database.execute_sql("ANALYZE work_order")
    return time.perf_counter() - started


def sweeps(args) -> list[tuple[str, float, int, int]]:
    rows = []
    for label, later in (
        ("now", timedelta(0)),
        ("+1 h", timedelta(hours=1)),
        ("+1 day", timedelta(days=1)),
    ):
        for _ in range(args.runs if label == "now" else 1):
            started = time.perf_counter()
            warning, overdue = sla.sweep(clock.now() + later)
            rows.append((label, time.perf_counter() - started, warning, overdue))
    return rows


def opens(args, region) -> list[float]:
    category = ServiceCategory.get(ServiceCategory.code == "litter")
    reporter = User.get(User.openid == "oBench_reporter")
    times = []
    for _ in range(args.opens):
        started = time.perf_counter()
        with write_transaction():
            orders.open_order(
                source="report",
                category=category,
                region=region,
                description="路口有暴露垃圾",
                actor=f"user:{reporter.id}",
                reporter=reporter,
            )
        times.append((time.perf_counter() - started) * 1000)
    return times[10:]  # the first few warm the caches


def measure(args, region, department) -> float:
    """The sweeps and the openings, printed; the slowest sweep's seconds."""
    print(f"written in {fill(args, region, department):.1f} s")
    print(f"{'sweep at':>10} {'seconds':>8} {'warning':>8} {'overdue':>8}")
    passes = sweeps(args)
    for label, seconds, warning, overdue in passes:
        print(f"{label:>10} {seconds:8.2f} {warning:8d} {overdue:8d}")
    if passes[0][2] + passes[0][3] == 0:
        raise BenchError("the first sweep marked nothing: the data is not what it seems")
    times = opens(args, region)
    p50 = statistics.median(times)
    p99 = statistics.quantiles(times, n=100)[98]
    print(f"open and dispatch one order: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    return max(seconds for _, seconds, _, _ in passes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--opens", type=int, default=300)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    print(f"code: {code_fingerprint()}; {args.orders} orders on {args.db}")
    with tempfile.TemporaryDirectory(prefix="citycode-bench-orders-") as tmp:
        app, region, department = prepare(args, Path(tmp))
        try:
            with app.test_request_context(), database.connection_context():
                worst = measure(args, region, department)
        finally:
            databases.drop(args.db, args.pg_url)
    verdict = "MET" if worst <= TARGET_SECONDS else "MISSED"
    print(f"target sweep <= {TARGET_SECONDS:.0f} s a pass over {args.orders} orders: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
