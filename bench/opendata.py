"""The public shop search at district scale: a name query and a radius query through the
whole request (Flask's test client, in this process), p50 and p99; then the LIVES feed of
the whole district made (the nightly ZIP), and a slice of it imported into a street.

    python bench/opendata.py [--shops 100000] [--db sqlite|postgres] [--requests 300]
                             [--inspections 2] [--import-shops 5000]

The district is bench/scan.py's (shops named like real ones, on real roads, with points);
their name-and-address pairs are indexed as the migration would. Name queries are two or
three characters cut from a random shop's name (面馆, 便利, 王记…); radius queries are 500 m
around a random shop. Target: p99 <= 50 ms, as for the scan.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

from peewee import chunked

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
import scan_data  # noqa: E402
from scan import code_fingerprint  # noqa: E402

from backend import clock, create_app, storage  # noqa: E402
from backend.db import database  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import Inspection, Region, Shop, ShopGram, StaffAccount  # noqa: E402
from backend.opendata import lives_export, lives_import  # noqa: E402
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


def seed_inspections(per_shop: int, rng: random.Random) -> int:
    """`per_shop` inspections of every shop, 30 days apart, one checklist item failed in
    one of five; how many were written."""
    district = Region.select().where(Region.parent.is_null()).get()
    staff = StaffAccount.create(
        name="检查员", role="inspector", region=district, region_path=district.path
    )
    answers = [f"FS0{n}" for n in range(1, 9)]
    rows = (
        {
            "public_id": f"b{shop_id:07d}{n}",
            "shop": shop_id,
            "inspector": staff.id,
            "template": "food_safety",
            "checklist": json.dumps(
                [
                    {"code": c, "ok": not (n == 0 and i == 2 and shop_id % 5 == 0)}
                    for i, c in enumerate(answers)
                ]
            ),
            "result": rng.choice(("pass", "pass", "pass_with_remarks", "rectify")),
            "lat": 31.2,
            "lng": 121.44,
            "proof_jti": f"bench-{shop_id}-{n}",
            "recorded_at": clock.now() - timedelta(days=30 * (per_shop - n)),
            "digest": "0" * 64,
            "event_seq": 0,
        }
        for (shop_id,) in Shop.select(Shop.id).tuples().iterator()
        for n in range(per_shop)
    )
    written = 0
    with database.atomic():
        for batch in chunked(rows, 500):
            Inspection.insert_many(batch).execute()
            written += len(batch)
    return written


def lives_round(work: Path, import_shops: int) -> None:
    """The nightly ZIP of the whole district, then a feed of `import_shops` of its shops
    imported into a street, and imported again (nothing changes)."""
    started = time.perf_counter()
    counts = lives_export.rebuild()
    took = time.perf_counter() - started
    size = storage.files().get(lives_export.FEED_KEY).size
    rows = ", ".join(f"{name} {n}" for name, n in counts.items())
    print(f"\nLIVES export (ZIP): {took:.1f} s, {size / 1e6:.1f} MB; {rows}")
    folder = work / "slice"
    lives_export.write_folder(folder)
    _keep_first(folder, import_shops)
    street = Region.select().where(Region.level == "street").order_by(Region.id).get()
    for label in ("first", "again"):
        started = time.perf_counter()
        summary = lives_import.import_feed(folder, street.code)
        took = time.perf_counter() - started
        done = {spec: summary[spec] for spec in ("businesses.csv", "inspections.csv")}
        print(f"LIVES import of {import_shops} shops, {label}: {took:.1f} s; {done}")


def _keep_first(folder: Path, shops: int) -> None:
    """The feed cut to its first `shops` businesses and what belongs to them."""
    import csv

    with open(folder / "businesses.csv", encoding="utf-8", newline="") as file:
        kept = {row[0] for row in list(csv.reader(file))[1 : shops + 1]}
    for name in ("businesses.csv", "inspections.csv", "violations.csv"):
        with open(folder / name, encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file))
        with open(folder / name, "w", encoding="utf-8", newline="") as file:
            csv.writer(file).writerows([rows[0]] + [r for r in rows[1:] if r[0] in kept])


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
    url = databases.fresh(args.db, args.pg_url, work)
    config = databases.settings(
        url,
        work,
        task_queue_url="memory://",
        # One address asks hundreds of times: the speed of the search, not of its budget.
        ratelimit_enabled=False,
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
            started = time.perf_counter()
            written = seed_inspections(args.inspections, rng)
            print(f"wrote {written} inspections in {time.perf_counter() - started:.1f} s")
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
        with app.app_context(), database.connection_context():
            lives_round(work, args.import_shops)
    finally:
        databases.drop(args.db, args.pg_url)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--inspections", type=int, default=2, help="per shop")
    parser.add_argument("--import-shops", type=int, default=5000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    print(f"code: {code_fingerprint()}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="citycode_bench_") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
