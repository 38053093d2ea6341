"""A random-sampling plan (双随机) over a district of 100,000 shops and 500 inspectors:
what committing (freezing the lists) and drawing (the draw and its tasks written) cost.

    python bench/sampling.py [--shops 100000] [--inspectors 500] [--db sqlite|postgres]
                             [--runs 3] [--pg-url postgresql://…/citycode_bench_sampling]

The district is bench/scan_data.py's (active shops, risk grades A–D evenly); the
inspectors go in with insert_many, each with the tag 食品, one shop in fifty with a
declared conflict (回避). Each run makes a plan over the whole district at the default
ratios (D 30 %, C 10 %, B 2 %, A 1 %), team size 2, commits it and draws it through
backend/sampling/plans.py as the API does; then verifies the plan's document as an
auditor would. Target: draw + tasks written <= 5 s.
"""

from __future__ import annotations

import argparse
import random
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
import scan_data  # noqa: E402
from harness import BenchError  # noqa: E402
from scan import code_fingerprint  # noqa: E402

from backend import clock  # noqa: E402
from backend.db import database  # noqa: E402
from backend.models import (  # noqa: E402
    InspectorConflict,
    Region,
    SamplingTask,
    SamplingTaskMember,
    Shop,
    StaffAccount,
)
from backend.people.staffing import create_staff  # noqa: E402
from backend.sampling import draw, plans  # noqa: E402

TARGET_SECONDS = 5.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_sampling"


def prepare(args, work: Path):
    _, app = scan_data.district_app(args.db, args.pg_url, work, args.shops)
    with app.app_context(), database.connection_context():
        started = time.perf_counter()
        district = Region.get(Region.level == "district")
        admin = create_staff(name="陈立", role="admin", region=district)
        now = clock.now()
        rows = [
            ("检查员", "inspector", district.id, district.path, True, '["食品"]', now)
            for _ in range(args.inspectors)
        ]
        fields = [
            StaffAccount.name,
            StaffAccount.role,
            StaffAccount.region,
            StaffAccount.region_path,
            StaffAccount.active,
            StaffAccount.qualifications,
            StaffAccount.created_at,
        ]
        StaffAccount.insert_many(rows, fields=fields).execute()
        inspectors = [s.id for s in StaffAccount.select().where(StaffAccount.role == "inspector")]
        rng = random.Random(7)  # noqa: S311  the same conflicts every run
        shop_ids = [s for (s,) in Shop.select(Shop.id).tuples()]
        conflicts = {
            (rng.choice(inspectors), shop) for shop in rng.sample(shop_ids, len(shop_ids) // 50)
        }
        InspectorConflict.insert_many(
            [(staff, shop, "亲属经营", now) for staff, shop in conflicts],
            fields=[
                InspectorConflict.staff,
                InspectorConflict.shop,
                InspectorConflict.reason,
                InspectorConflict.created_at,
            ],
        ).execute()
        print(
            f"{len(inspectors)} inspectors, {len(conflicts)} conflicts "
            f"written in {time.perf_counter() - started:.1f} s"
        )
    return app, admin


def one_run(admin, n: int) -> tuple[float, float, float, int, int]:
    today = clock.today_local()
    plan = plans.create(
        admin,
        {
            "title": f"全区双随机抽查 {n}",
            "items": ["food_safety"],
            "qualifications": ["食品"],
            "team_size": 2,
            "recusal_days": 365,
            "starts_on": today,
            "ends_on": today + timedelta(days=30),
        },
    )
    started = time.perf_counter()
    plans.commit(admin, plan.public_id, "中国体育彩票超级大乐透第 26141 期开奖号码")
    committed = time.perf_counter() - started
    started = time.perf_counter()
    plans.draw_plan(admin, plan.public_id, f"03 11 19 25 {n:02d} + 05 09")
    drawn = time.perf_counter() - started
    started = time.perf_counter()
    problems = draw.verify(plans.document(plans.one(admin, plan.public_id)))
    verified = time.perf_counter() - started
    if problems:
        raise BenchError(f"the drawn plan does not verify: {problems}")
    tasks = SamplingTask.select().where(SamplingTask.plan == plan.id).count()
    members = (
        SamplingTaskMember.select().join(SamplingTask).where(SamplingTask.plan == plan.id).count()
    )
    return committed, drawn, verified, tasks, members


def runs(admin, count: int) -> list[float]:
    """Each run printed; the draws' seconds."""
    print(f"{'run':>4} {'commit s':>9} {'draw s':>7} {'verify s':>9} {'tasks':>6} {'teams':>6}")
    draws = []
    for n in range(1, count + 1):
        committed, drawn, verified, tasks, members = one_run(admin, n)
        draws.append(drawn)
        print(f"{n:>4} {committed:9.2f} {drawn:7.2f} {verified:9.2f} {tasks:6d} {members:6d}")
    return draws


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--inspectors", type=int, default=500)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    print(f"code: {code_fingerprint()}; {args.shops} shops on {args.db}")
    with tempfile.TemporaryDirectory(prefix="citycode-bench-sampling-") as tmp:
        app, admin = prepare(args, Path(tmp))
        try:
            with app.test_request_context(), database.connection_context():
                draws = runs(StaffAccount.get_by_id(admin.id), args.runs)
        finally:
            databases.drop(args.db, args.pg_url)
    worst = max(draws)
    verdict = "MET" if worst <= TARGET_SECONDS else "MISSED"
    print(
        f"draw + tasks written: median {statistics.median(draws):.2f} s, worst {worst:.2f} s; "
        f"target <= {TARGET_SECONDS:.0f} s: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
