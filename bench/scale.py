"""The service as its district grows: 10,000 shops, then 100,000, then a million, on
PostgreSQL. At each size: the public scan and the open-data search by name and by place
under wrk (throughput, p50, p99), a policy preview, the SLA sweep, a random-sampling plan
and the LIVES export (seconds). Then, from the largest size against the one before it:
the scan, the searches and the preview should stay flat (within 10 %), the sweeps, the
plan and the export take no more per shop (linear or better).

    python bench/scale.py [--sizes 10000,100000,1000000] [--duration 10] [--runs 3]
                          [--connections 32] [--only scan,search,preview,sweep,draw,export]
                          [--pg-url postgresql://…/citycode_bench_scale] [--keep]

The district is seeded once and grown in place (scale_data.py: COPY, then VACUUM
ANALYZE); --keep leaves the database for the next run, which measures again at the
size it already holds, grows it to larger ones and skips smaller ones (it never shrinks).

Exit status: 0 when the measurement ran (whatever the verdicts), 1 when it could not be
trusted (a non-2xx answer, a server that did not start, seeded rows that do not read
back as the app writes them).
"""

from __future__ import annotations

import argparse
import logging
import os
import runpy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
import scale_data  # noqa: E402
import scale_http  # noqa: E402
import scale_measures  # noqa: E402
from harness import PROJECT_GUNICORN_CONF, BenchError  # noqa: E402
from scan import code_fingerprint  # noqa: E402

from backend import create_app  # noqa: E402
from backend.db import database  # noqa: E402
from backend.migrate import upgrade  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_scale"
MEASURES = ("scan", "search", "preview", "sweep", "draw", "export")
FLAT, LINEAR = 0.10, 0.10  # how far the largest size may drift from the one before it
# The table's lines: (name, format, what the verdict asks of it, or None for none).
LINES = [
    ("shops added", "{:,.0f}", None),
    ("rows written", "{:,.0f}", None),
    ("seed s", "{:.1f}", None),
    ("seed rows/s", "{:,.0f}", None),
    ("vacuum analyse s", "{:.1f}", None),
    ("scan req/s", "{:.0f}", "throughput"),
    ("scan p50 ms", "{:.1f}", "latency"),
    ("scan p99 ms", "{:.1f}", "latency"),
    ("search name req/s", "{:.0f}", "throughput"),
    ("search name p99 ms", "{:.1f}", "latency"),
    ("search radius req/s", "{:.0f}", "throughput"),
    ("search radius p99 ms", "{:.1f}", "latency"),
    ("scan socket errors", "{:.0f}", None),
    ("search name socket errors", "{:.0f}", None),
    ("search radius socket errors", "{:.0f}", None),
    ("preview shops s", "{:.3f}", "latency"),
    ("preview residents s", "{:.3f}", "latency"),
    ("preview shops exact s", "{:.3f}", "per shop"),
    ("preview residents exact s", "{:.3f}", "per shop"),
    ("sla sweep s", "{:.3f}", "per shop"),
    ("sla sweep idle s", "{:.3f}", "per shop"),
    ("plan commit s", "{:.2f}", "per shop"),
    ("plan draw s", "{:.2f}", "per shop"),
    ("lives export s", "{:.1f}", "per shop"),
]
WRK_TARGETS = {"scan": "scan", "name": "search name", "radius": "search radius"}


# -- the database ---------------------------------------------------------------------------
def _exists(url: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(url).close()
    except psycopg2.OperationalError:
        return False
    return True


def prepare(args, work: Path):
    """The app on the district's database: a fresh one, or the kept one as it is."""
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    kept = args.keep and _exists(args.pg_url)
    if not kept:
        databases.fresh("postgres", args.pg_url, work)
    app = create_app(
        databases.settings(args.pg_url, work, task_queue_url=f"sqlite:///{work / 'tasks.db'}")
    )
    with app.app_context(), database.connection_context():
        upgrade(database.obj)
        server = database.execute_sql("SHOW server_version").fetchone()[0]
        buffers = database.execute_sql("SHOW shared_buffers").fetchone()[0]
        print(f"PostgreSQL {server}, shared_buffers {buffers}", flush=True)
        if kept:
            print(f"kept database: {scale_data.shop_count()} shops", flush=True)
    return app


def grow(app, args, size: int, found: dict) -> bool:
    """The district at `size` shops; False if it already holds more (it never shrinks)."""
    with app.app_context(), database.connection_context():
        have = scale_data.shop_count()
        if have > size:
            print(f"\n== {size:,} shops: skipped, the kept database holds {have:,}", flush=True)
            return False
        print(f"\n== {size:,} shops", flush=True)
        if have == size:
            return True
        growth = scale_data.grow(args.pg_url, size)
    found.update(
        {
            "shops added": size - growth.before,
            "rows written": growth.total_rows,
            "seed s": growth.seconds,
            "seed rows/s": growth.total_rows / growth.seconds,
            "vacuum analyse s": growth.analyse_seconds,
        }
    )
    print(
        f"seeded {size - growth.before:,} shops: {growth.total_rows:,} rows in "
        f"{growth.seconds:.1f} s ({growth.total_rows / growth.seconds:,.0f} rows/s), "
        f"VACUUM ANALYZE {growth.analyse_seconds:.1f} s",
        flush=True,
    )
    print("  " + ", ".join(f"{table} {n:,}" for table, n in growth.rows.items()), flush=True)
    return True


# -- one size ---------------------------------------------------------------------------------
def measure(app, args, work: Path, size: int, number: int, found: dict[str, float]) -> None:
    """The district at `size`, then each measure asked for, into `found` as they end."""
    if not grow(app, args, size, found):
        return
    targets = (["scan"] if "scan" in args.only else []) + (
        ["name", "radius"] if "search" in args.only else []
    )
    if targets:
        runs = scale_http.measure(app, args.pg_url, work, size, targets, args)
        for target in targets:
            mine = [r for r in runs if r.target == target]
            label = WRK_TARGETS[target]
            found[f"{label} req/s"] = statistics.median(r.rps for r in mine)
            found[f"{label} p50 ms"] = statistics.median(r.p50_ms for r in mine)
            found[f"{label} p99 ms"] = statistics.median(r.p99_ms for r in mine)
            # wrk leaves a request that timed out (5 s) out of its latencies: say so.
            if errors := sum(r.socket_errors for r in mine):
                found[f"{label} socket errors"] = errors
    with app.test_request_context(), database.connection_context():
        admin = scale_data.admin()
        if "preview" in args.only:
            found.update(scale_measures.previews(admin))
        if "sweep" in args.only:
            found.update(scale_measures.sweeps())
        if "draw" in args.only:
            found.update(scale_measures.draws(admin, number))
        if "export" in args.only:
            found.update(scale_measures.export())


# -- the report -----------------------------------------------------------------------------
def table(results: dict[int, dict[str, float]]) -> None:
    sizes = list(results)
    print("\n" + f"{'measure':<28}" + "".join(f"{size:>14,}" for size in sizes))
    for name, fmt, _ in LINES:
        cells = [results[s].get(name) for s in sizes]
        if any(cell is not None for cell in cells):
            shown = ["–" if cell is None else fmt.format(cell) for cell in cells]
            print(f"{name:<28}" + "".join(f"{cell:>14}" for cell in shown))


def verdicts(results: dict[int, dict[str, float]]) -> None:
    """The largest size against the one before it, line by line."""
    measured = [s for s in results if any(k in results[s] for k, _, want in LINES if want)]
    if len(measured) < 2:
        print("\n(one size measured: no ratios)")
        return
    small, large = measured[-2], measured[-1]
    print(f"\n{large:,} / {small:,} shops{'':<8}ratio  target")
    for name, _, want in LINES:
        if want is None or name not in results[small] or name not in results[large]:
            continue
        ratio = results[large][name] / results[small][name]
        if want == "throughput":
            ok, target = ratio >= 1 - FLAT, f">= {1 - FLAT:.2f} (flat)"
        elif want == "latency":
            ok, target = ratio <= 1 + FLAT, f"<= {1 + FLAT:.2f} (flat)"
        else:  # the time per shop
            ratio *= small / large
            ok, target = ratio <= 1 + LINEAR, f"<= {1 + LINEAR:.2f} a shop (linear or better)"
            name = name.removesuffix(" s") + " per shop"
        print(f"{name:<30}{ratio:>7.2f}  {target:<36} {'MET' if ok else 'MISSED'}")


def describe(args) -> str:
    settings = runpy.run_path(str(PROJECT_GUNICORN_CONF))
    return (
        f"sizes {', '.join(f'{s:,}' for s in args.sizes)}; measures {', '.join(args.only)}; "
        f"gunicorn {settings.get('workers')} workers × {settings.get('threads')} threads; "
        f"wrk -t{scale_http.WRK_THREADS} -c{args.connections} -d{args.duration}s × {args.runs} "
        f"runs after a {scale_http.WARMUP_SECONDS} s warm-up; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="shops, growing")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs of each target a size")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default=",".join(MEASURES), help="a subset of the measures")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (and reuse a kept one)"
    )
    parser.add_argument("--app", default="backend:create_app()", help="the WSGI app served")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    if args.sizes != sorted(set(args.sizes)) or args.sizes[0] < 100:
        parser.error("--sizes grow: each larger than the one before, from 100 shops")
    if unknown := set(args.only) - set(MEASURES):
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; of {', '.join(MEASURES)}")
    if not 1 <= args.duration <= 600 or args.runs < 1:
        parser.error("--duration must be 1…600 s (an access token lives 900 s), --runs ≥ 1")
    databases.bench_name(args.pg_url)  # refuses a name that does not start with citycode_bench
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None and {"scan", "search"} & set(args.only):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    print(describe(args), flush=True)
    fingerprint = code_fingerprint()
    print(f"code: {fingerprint}; database {databases.bench_name(args.pg_url)}", flush=True)
    results: dict[int, dict[str, float]] = {}
    started, failure = time.monotonic(), None
    with tempfile.TemporaryDirectory(prefix="citycode_bench_scale_") as tmp:
        try:
            app = prepare(args, Path(tmp))
            for number, size in enumerate(args.sizes, start=1):
                results[size] = {}  # filled as it goes: a failure keeps what came before
                measure(app, args, Path(tmp), size, number, results[size])
        except BenchError as exc:
            failure = exc
        finally:
            if hasattr(database.obj, "close_all"):
                database.obj.close_all()
            if not args.keep:
                name = databases.bench_name(args.pg_url)
                databases.admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    table(results)
    if failure is not None:  # what was measured before is shown, but judged on nothing
        print(f"\nBENCH FAILED: {failure}", file=sys.stderr)
        return 1
    verdicts(results)
    print(f"\n{(time.monotonic() - started) / 60:.1f} min in all; load {os.getloadavg()[0]:.2f}")
    if code_fingerprint() != fingerprint:
        print(
            f"\nWARNING: backend/ or migrations/ changed during the run (now {code_fingerprint()})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
