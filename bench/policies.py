"""Policies (政策找人) at district scale: the preview of an audience, the push (match, one
delivery row and one outbox message per recipient, a record event per shop), and the rate
at which the engine then delivers the messages to WeChat (the stub).

    python bench/policies.py [--shops 100000] [--residents 100000] [--db sqlite|postgres]
                             [--runs 5] [--deliver 2000] [--threads 4]

The district: ten streets of three communities; shops of every category, each with an
owner, a third with a valid food licence, some with staff; residents in the communities,
a fifth consenting to 年满60周岁 (and some of those withdrawn again).

Preview: p50/max of the staff preview of a 3-condition shops audience (caterers, holding
a valid food licence, in five of the ten streets) and of a residents' tag audience.
Target: <= 1 s for 100,000 shops.

Push: seconds to match and write the deliveries, outbox rows and record events of the
3-condition policy, of the residents' one, and of one for every shop. Target: <= 10 s.

Delivery: a policy reaching --deliver shop owners, pushed with a `citycode worker` of
--threads threads running against the SQLite queue; messages/s at the stub.
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
import uuid
from datetime import datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import databases  # noqa: E402
from harness import BenchError  # noqa: E402
from outbox import (  # noqa: E402
    APPID,
    MESSAGES_PER_SECOND,
    SECRET,
    Stub,
    pending,
    start_worker,
    stop_worker,
)
from scan import code_fingerprint  # noqa: E402

from backend import clock, create_app, engine  # noqa: E402
from backend.config import Config  # noqa: E402
from backend.db import database, write_transaction  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import (  # noqa: E402
    CommunityMembership,
    Employee,
    Licence,
    OutboxMessage,
    Policy,
    PolicyDelivery,
    Region,
    ResidentTag,
    Shop,
    ShopMembership,
    User,
)
from backend.people.staffing import create_staff  # noqa: E402
from backend.policies import preview, publishing, push  # noqa: E402
from backend.policies.tags import CONSENT_VERSION  # noqa: E402
from backend.shops.facts import CATEGORIES  # noqa: E402

PREVIEW_TARGET, PUSH_TARGET = 1.0, 10.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/citycode_bench_policies"
CHUNK = 2000
TEMPLATE = Config.wechat_template_policy


def settings(args, work: Path, url: str, stub: Stub) -> Config:
    return databases.settings(
        url,
        work,
        wechat_api_base=stub.url,
        wechat_appid=APPID,
        wechat_secret=SECRET,
        task_queue_url=f"sqlite:///{work / 'tasks.db'}",
        task_queue_name=f"bench-{uuid.uuid4().hex[:8]}",
        wechat_messages_per_second=MESSAGES_PER_SECOND,
    )


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        model.insert_many(rows[start : start + CHUNK]).execute()


def seed(args) -> dict:
    """The district, its shops and their owners, its residents; the admin who publishes."""
    rng = random.Random(20261207)  # noqa: S311  the same bench district each run
    with write_transaction():
        district = Region.create(code="310104", name="徐汇区", level="district", path="310104/")
        streets, communities = [], []
        for s in range(10):
            code = f"310104{s + 1:03d}"
            street = Region.create(
                code=code,
                name=f"第{s + 1}街道",
                level="street",
                parent=district,
                path=f"310104/{code}/",
            )
            streets.append(street)
            for c in range(3):
                ccode = f"{code}{c + 1:03d}"
                communities.append(
                    Region.create(
                        code=ccode,
                        name=f"第{s + 1}街道第{c + 1}社区",
                        level="community",
                        parent=street,
                        path=f"{street.path}{ccode}/",
                    )
                )
        admin = create_staff(name="区管理员", role="admin", region=district)
    now, today = clock.now(), clock.today_local()
    categories = list(CATEGORIES)
    _insert(User, [{"openid": f"oBench_owner_{i:06d}"} for i in range(args.shops)])
    owners = [u.id for u in User.select(User.id).where(User.openid.startswith("oBench_owner_"))]
    shops = []
    for i in range(args.shops):
        street = streets[i % 10]
        shops.append(
            {
                "public_id": f"b{i:011d}",
                "name": f"商户{i}",
                "credit_code": f"91{i:016d}",
                "category": categories[i % len(categories)],
                "address": "路 1 号",
                "street": street.id,
                "region_path": street.path,
                "status": "active",
                "created_at": now - timedelta(days=rng.randint(1, 2000)),
            }
        )
    with write_transaction():
        _insert(Shop, shops)
    shop_ids = [s.id for s in Shop.select(Shop.id).order_by(Shop.id)]
    with write_transaction():
        _insert(
            ShopMembership,
            [
                {"shop": s, "user": u, "role": "owner", "created_at": now}
                for s, u in zip(shop_ids, owners, strict=True)
            ],
        )
        _insert(
            Licence,
            [
                {
                    "public_id": f"l{i:011d}",
                    "shop": s,
                    "type": "food_business",
                    "number": f"JY{i:012d}",
                    "issuer": "区市场监管局",
                    "valid_from": today - timedelta(days=300),
                    "valid_to": today + timedelta(days=300),
                }
                for i, s in enumerate(shop_ids)
                if i % 3 == 0
            ],
        )
        _insert(
            Employee,
            [
                {
                    "public_id": f"e{i:011d}",
                    "shop": s,
                    "name": "员工",
                    "health_cert_number": "H",
                    "health_cert_expires": today + timedelta(days=200),
                }
                for i, s in enumerate(shop_ids)
                if i % 4 == 0
            ],
        )
    _insert(User, [{"openid": f"oBench_resident_{i:06d}"} for i in range(args.residents)])
    residents = [
        u.id for u in User.select(User.id).where(User.openid.startswith("oBench_resident_"))
    ]
    with write_transaction():
        _insert(
            CommunityMembership,
            [
                {
                    "user": u,
                    "community": communities[i % 30].id,
                    "region_path": communities[i % 30].path,
                    "status": "approved",
                    "created_at": now,
                }
                for i, u in enumerate(residents)
            ],
        )
        _insert(
            ResidentTag,
            [
                {
                    "user": u,
                    "tag": "age_60_plus",
                    "consent_version": CONSENT_VERSION,
                    "consented_at": now,
                    "withdrawn_at": now if i % 50 == 0 else None,
                }
                for i, u in enumerate(residents)
                if i % 5 == 0
            ],
        )
    if args.db == "postgres":
        database.execute_sql("ANALYZE")
    return {"admin": admin, "streets": streets}


def three_conditions(streets) -> dict:
    return {
        "all": [
            {"field": "shop.category", "op": "in", "value": ["catering", "food_retail"]},
            {"field": "shop.licence", "op": "has", "value": "food_business"},
            {
                "any": [
                    {"field": "shop.region", "op": "under", "value": s.code} for s in streets[:5]
                ]
            },
        ]
    }


OVER_60 = {"field": "resident.tag", "op": "has", "value": "age_60_plus"}


def previews(args, world) -> list[tuple[str, float, float, int]]:
    rows = []
    for label, target, audience in (
        ("shops, 3 conditions", "shops", three_conditions(world["streets"])),
        ("residents, a tag", "residents", OVER_60),
    ):
        took, total = [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            total = preview.preview(world["admin"], {"target": target, "audience": audience})[
                "total"
            ]
            took.append(time.perf_counter() - started)
        rows.append((label, statistics.median(took), max(took), total))
    return rows


def published(admin, target: str, audience: dict, title: str) -> Policy:
    policy = publishing.create(
        admin,
        {
            "kind": "policy",
            "title": title,
            "body": "bench",
            "target": target,
            "audience": audience,
            "links": [],
            "public": False,
        },
    )
    with write_transaction():  # out, as publish makes it, with the push left to us
        Policy.update(status="published", published_at=clock.now(), push_pending=True).where(
            Policy.id == policy.id
        ).execute()
    return policy


def pushes(world) -> list[tuple[str, float, int, int]]:
    rows = []
    for label, target, audience in (
        ("shops, 3 conditions", "shops", three_conditions(world["streets"])),
        ("residents, a tag", "residents", OVER_60),
        ("every shop", "shops", {"all": []}),
    ):
        policy = published(world["admin"], target, audience, label)
        before = OutboxMessage.select().count()
        started = time.perf_counter()
        reached = push.push(policy.id)
        took = time.perf_counter() - started
        rows.append((label, took, reached, OutboxMessage.select().count() - before))
    return rows


def delivery(args, world, config: Config, work: Path, stub: Stub) -> tuple[int, float]:
    """A policy to the first --deliver shops' owners, delivered by one worker."""
    ids = [s.id for s in Shop.select(Shop.id).order_by(Shop.id).limit(args.deliver)]
    last = Shop.select(Shop.public_id).where(Shop.id == ids[-1]).scalar()
    with write_transaction():
        Shop.update(status="suspended").where(Shop.id.in_(ids)).execute()
    audience = {"field": "shop.status", "op": "eq", "value": "suspended"}
    policy = published(world["admin"], "shops", audience, "delivery")
    openids = [f"oBench_owner_{i:06d}" for i in range(args.deliver)]
    stub.control("reset")
    stub.control("subscriptions/bulk", {"openids": openids, "template_id": TEMPLATE})
    push.push(policy.id)
    log = work / "worker.log"
    worker = start_worker(config, args.threads, log)
    try:
        deadline = time.monotonic() + max(120, args.deliver / 10)
        while pending() and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise BenchError(f"the worker exited:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
    finally:
        stop_worker(worker)
    sent = stub.deliveries()
    if pending() or len(sent) != args.deliver or any(d["errcode"] for d in sent):
        raise BenchError(f"{pending()} pending, {len(sent)} sent of {args.deliver} ({last})")
    moments = sorted(datetime.fromisoformat(d["at"]) for d in sent)
    window = (moments[-1] - moments[0]).total_seconds()
    return len(sent), (len(sent) - 1) / window if window else float("inf")


def run(args, work: Path) -> int:
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    url = databases.fresh(args.db, args.pg_url, work)
    stub = Stub(work)
    try:
        config = settings(args, work, url, stub)
        app = create_app(config)
        with app.app_context(), database.connection_context():
            upgrade(database.obj)
            started = time.perf_counter()
            world = seed(args)
            print(
                f"seeded {args.shops} shops and {args.residents} residents in "
                f"{time.perf_counter() - started:.1f} s ({args.db})\n",
                flush=True,
            )
            print(f"{'preview':<22} {'p50 s':>7} {'max s':>7} {'matched':>8}")
            for label, p50, worst, total in previews(args, world):
                print(f"{label:<22} {p50:>7.3f} {worst:>7.3f} {total:>8}", flush=True)
                verdict = "MET" if p50 <= PREVIEW_TARGET else "MISSED"
                print(f"  target <= {PREVIEW_TARGET:.0f} s: {verdict}")
            print(f"\n{'push':<22} {'s':>7} {'reached':>8} {'outbox rows':>11}")
            for label, seconds, reached, rows in pushes(world):
                print(f"{label:<22} {seconds:>7.2f} {reached:>8} {rows:>11}", flush=True)
                verdict = "MET" if seconds <= PUSH_TARGET else "MISSED"
                print(f"  target <= {PUSH_TARGET:.0f} s: {verdict}")
            with write_transaction():  # the pushes' messages are not the delivery run's
                PolicyDelivery.update(message=None).execute()
                OutboxMessage.delete().where(OutboxMessage.status == "pending").execute()
            engine.huey.flush()
            sent, rate = delivery(args, world, config, work, stub)
            print(
                f"\ndelivery: {sent} messages through one worker of {args.threads} "
                f"threads: {rate:.1f} msg/s at the stub"
            )
    finally:
        stub.stop()
        databases.drop(args.db, args.pg_url)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deliver", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    print(f"code: {code_fingerprint()}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="citycode_bench_") as tmp:
        try:
            return run(args, Path(tmp))
        except BenchError as exc:
            print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
