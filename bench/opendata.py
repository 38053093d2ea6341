"""The public shop search at district scale: a name query and a radius query through the
whole request (Flask's test client, in this process), p50 and p99.

    python bench/opendata.py [--shops 100000] [--db sqlite|postgres] [--requests 300]

The district is bench/scan.py's (shops named like real ones, on real roads, with points);
their name-and-address pairs are indexed as the migration would. Name queries are two or
three characters cut from a random shop's name (面馆, 便利, 王记…); radius queries are 500 m
around a random shop. Target: p99 <= 50 ms, as for the scan.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import scan_data  # noqa: E402
from scan import _pg_admin, _pg_name, code_fingerprint  # noqa: E402

from backend import create_app  # noqa: E402
from backend.config import Config  # noqa: E402
from backend.db import database  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import Shop, ShopGram  # noqa: E402
from backend.shops.search_index import shop_grams  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_opendata"
TARGET_P99_MS = 50.0


def index_grams() -> float:
    """The pairs of every shop, as migration 0018 fills them; seconds it took."""
    started = time.perf_counter()
    rows = (
        {"gram": gram, "shop": shop.id}
        for shop in Shop.select(Shop.id, Shop.name, Shop.address).iterator()
        for gram in shop_grams(shop.name, shop.address)
    )
    with database.atomic():
        ShopGram.delete().execute()
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 1000:
                ShopGram.insert_many(batch).execute()
                batch = []
        if batch:
            ShopGram.insert_many(batch).execute()
    return time.perf_counter() - started


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def timed(client, paths: list[str]) -> tuple[list[float], int]:
    took, found = [], 0
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        took.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        found += len(answer.get_json())
    return took, found


def run(args, work: Path) -> int:
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    if args.db == "postgres":
        url = args.pg_url
        _pg_admin(
            url,
            f'DROP DATABASE IF EXISTS "{_pg_name(url)}" WITH (FORCE)',
            f'CREATE DATABASE "{_pg_name(url)}"',
        )
    else:
        url = f"sqlite:///{work / 'bench.db'}"
    config = Config.from_env(
        env="development",
        database_url=url,
        signing_keys_dir=str(work / "keys"),
        upload_dir=str(work / "uploads"),
        log_level="WARNING",
        task_queue_url="memory://",
    )
    app = create_app(config)
    rng = random.Random(20261207)  # noqa: S311  the same queries each run
    try:
        with app.app_context(), database.connection_context():
            upgrade(database.obj)
            started = time.perf_counter()
            scan_data.seed(database.obj, args.shops)
            print(f"seeded {args.shops} shops in {time.perf_counter() - started:.1f} s ({args.db})")
            print(f"indexed their name and address pairs in {index_grams():.1f} s")
            if args.db == "postgres":
                database.execute_sql("ANALYZE")
            sample = list(
                Shop.select(Shop.name, Shop.lat, Shop.lng)
                .where(Shop.lat.is_null(False))
                .order_by(Shop.id)
                .limit(5000)
            )
        names, places = [], []
        for _ in range(args.requests):
            shop = rng.choice(sample)
            start = rng.randrange(max(1, len(shop.name) - 2))
            words = shop.name[start : start + rng.choice((2, 3))]
            names.append("/api/v1/public/shops?" + urllib.parse.urlencode({"q": words}))
            near = {"lat": shop.lat, "lng": shop.lng, "radius_m": 500}
            places.append("/api/v1/public/shops?" + urllib.parse.urlencode(near))
        client = app.test_client()
        timed(client, names[:20] + places[:20])  # warm-up
        print(f"\n{'query':<22} {'p50 ms':>8} {'p99 ms':>8} {'mean found':>11}")
        for label, paths in (("name (2–3 characters)", names), ("radius 500 m", places)):
            took, found = timed(client, paths)
            p99 = percentile(took, 99)
            print(
                f"{label:<22} {percentile(took, 50):>8.2f} {p99:>8.2f} {found / len(paths):>11.1f}"
            )
            verdict = "MET" if p99 <= TARGET_P99_MS else "MISSED"
            print(f"  target p99 <= {TARGET_P99_MS:.0f} ms: {verdict}")
    finally:
        if args.db == "postgres" and hasattr(database.obj, "close_all"):
            database.obj.close_all()
            _pg_admin(
                args.pg_url, f'DROP DATABASE IF EXISTS "{_pg_name(args.pg_url)}" WITH (FORCE)'
            )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    print(f"code: {code_fingerprint()}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="citycode_bench_") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
