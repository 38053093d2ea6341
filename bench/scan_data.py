"""Data for bench/scan.py: a district of active shops with codes, licences, honours, owners,
and residents' ratings with comments.

The rows look like the ones the services write (region paths, valid credit codes, a
hash-chained `shop.registered` event as each shop's lifecycle head) but go in with
insert_many in chunks, so 100,000 shops take seconds instead of an hour of per-shop
transactions. Nothing here is used by the app itself.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import databases
import peewee as pw

from backend import clock, codes, create_app, lifecycle
from backend.creditcode import ALPHABET as CREDIT_ALPHABET
from backend.creditcode import check_character
from backend.db import database, is_postgres
from backend.migrate import upgrade
from backend.models import (
    Honour,
    Licence,
    LifecycleEvent,
    Rating,
    Region,
    Shop,
    ShopCode,
    ShopMembership,
    User,
)
from backend.models.shops import GENESIS_HASH

BENCH_OPENID = "oStub_bench"
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # as backend.models.base.random_id

DISTRICT = ("310104", "徐汇区")
STREETS = [
    "天平路街道",
    "湖南路街道",
    "斜土路街道",
    "枫林路街道",
    "长桥街道",
    "田林街道",
    "虹梅路街道",
    "康健新村街道",
    "徐家汇街道",
    "凌云路街道",
    "龙华街道",
    "漕河泾街道",
    "华泾镇",
]
COMMUNITY_NAMES = [
    "建业里",
    "宛南",
    "复中",
    "东湖",
    "永嘉",
    "桃江",
    "高安",
    "乌中",
    "吴兴",
    "衡山",
    "天平",
    "宛平",
]
ROADS = [
    "天平路",
    "衡山路",
    "建国西路",
    "肇嘉浜路",
    "漕溪北路",
    "宛平南路",
    "龙华中路",
    "虹桥路",
    "淮海中路",
    "乌鲁木齐南路",
    "宜山路",
    "钦州路",
    "田林路",
    "桂林路",
    "凯旋路",
    "零陵路",
]
BRANDS = [
    "老王",
    "鑫源",
    "福满",
    "好味",
    "阿强",
    "永和",
    "康乐",
    "明记",
    "华联",
    "佳家",
    "金鼎",
    "小杨",
    "上海人家",
    "一品",
    "蓝天",
    "顺发",
]
CATEGORY_WORDS = {
    "catering": ["面馆", "小吃店", "餐厅", "馄饨铺", "生煎店"],
    "food_retail": ["便利店", "水果店", "粮油店", "食品店"],
    "general_retail": ["超市", "百货店", "文具店", "五金店"],
    "pharmacy": ["大药房", "药店"],
    "services": ["洗衣店", "照相馆", "家政服务部"],
    "beauty": ["美发店", "美容院"],
    "lodging": ["宾馆", "旅社"],
    "entertainment": ["棋牌室", "书吧"],
    "education": ["培训中心", "艺术学堂"],
    "repair": ["修车铺", "家电维修部"],
    "other": ["工作室"],
}
CATEGORY_WEIGHTS = {
    "catering": 30,
    "food_retail": 20,
    "general_retail": 15,
    "pharmacy": 4,
    "services": 10,
    "beauty": 8,
    "lodging": 2,
    "entertainment": 3,
    "education": 3,
    "repair": 4,
    "other": 1,
}
EXTRA_LICENCES = {
    "catering": ["food_business", "public_health"],
    "food_retail": ["food_business"],
    "pharmacy": ["drug_retail", "food_business"],
    "beauty": ["public_health"],
    "lodging": ["public_health", "special_trade"],
    "entertainment": ["public_health"],
}
ISSUERS = {
    "business_licence": "徐汇区市场监督管理局",
    "food_business": "徐汇区市场监督管理局",
    "drug_retail": "徐汇区市场监督管理局",
    "public_health": "徐汇区卫生健康委员会",
    "special_trade": "上海市公安局徐汇分局",
}
HONOURS = [
    ("诚信经营示范店", "徐汇区市场监督管理局"),
    ("放心消费示范单位", "上海市消费者权益保护委员会"),
    ("食品安全示范店", "徐汇区市场监督管理局"),
    ("文明商户", "徐汇区精神文明建设委员会办公室"),
    ("垃圾分类示范商铺", "徐汇区绿化和市容管理局"),
]
INSPECTION_RESULTS = ["pass"] * 70 + ["pass_with_remarks"] * 20 + ["rectify"] * 8 + ["fail"] * 2
RISK_GRADES = ["A"] * 30 + ["B"] * 50 + ["C"] * 15 + ["D"] * 5


class Ids:
    """Random public ids, unique within the run (the columns are unique)."""

    def __init__(self, rng: random.Random):
        self.rng, self.seen = rng, set()

    def __call__(self, length: int = 12, alphabet: str = ID_ALPHABET) -> str:
        while True:
            value = "".join(self.rng.choices(alphabet, k=length))
            if value not in self.seen:
                self.seen.add(value)
                return value


def _chunk_rows(db: pw.Database, columns: int) -> int:
    if isinstance(db, pw.SqliteDatabase):
        limit = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
        return max(1, min(2000, limit // columns))
    return 2000


def _bulk(db: pw.Database, model, fields: list, rows: list) -> None:
    with db.atomic():
        for batch in pw.chunked(rows, _chunk_rows(db, len(fields))):
            model.insert_many(batch, fields=fields).execute()


def _regions() -> tuple[list[Region], dict[int, list[Region]]]:
    district = Region.create(
        code=DISTRICT[0],
        name=DISTRICT[1],
        level="district",
        path=Region.path_for(None, DISTRICT[0]),
    )
    streets, communities = [], {}
    for n, name in enumerate(STREETS, start=3):
        code = f"{DISTRICT[0]}{n:03d}"
        street = Region.create(
            code=code,
            name=name,
            level="street",
            parent=district,
            path=Region.path_for(district, code),
        )
        streets.append(street)
        communities[street.id] = [
            Region.create(
                code=f"{code}{c:03d}",
                name=f"{cname}居委会",
                level="community",
                parent=street,
                path=Region.path_for(street, f"{code}{c:03d}"),
            )
            for c, cname in enumerate(COMMUNITY_NAMES[: 8 + n % 5], start=1)
        ]
    return streets, communities


def _credit_code(rng: random.Random) -> str:
    body = "91" + DISTRICT[0] + "".join(rng.choices(CREDIT_ALPHABET, k=9))
    return body + check_character(body)


def _rating(rng: random.Random) -> tuple[int, int, str]:
    count = int(rng.paretovariate(1.2)) - 1 if rng.random() < 0.8 else 0
    count = min(count, 2000)
    weights = [1, 1, 3, 8, 12]
    histogram = [0] * 5
    for star in rng.choices(range(5), weights=weights, k=count):
        histogram[star] += 1
    total = sum((i + 1) * n for i, n in enumerate(histogram))
    return count, total, ",".join(map(str, histogram))


def _licence_number(rng: random.Random, type_: str, credit_code: str) -> str:
    if type_ == "business_licence":
        return credit_code
    if type_ == "food_business":
        return f"JY1{DISTRICT[0]}{rng.randrange(10**7):07d}"
    if type_ == "drug_retail":
        return f"沪AA021{rng.randrange(10**4):04d}"
    return f"沪徐卫公字{rng.randrange(2018, 2026)}第{rng.randrange(10**6):06d}号"


RESIDENTS = 2000
COMMENTS_KEPT = 6  # rows per rated shop: the public view shows the latest five
COMMENT_TEXTS = [
    None,
    None,
    "味道不错，分量足",
    "老板很热情",
    "环境干净",
    "价格实惠",
    "等了比较久",
    "会再来的",
    "服务一般",
    "东西新鲜",
]
COMMENT_TAGS = ["干净", "实惠", "热情", "新鲜", "排队久"]
RESIDENT_NAMES = [None, None, "张伟", "王芳", "李娜", "刘洋", "陈静", "欧阳娜娜", "周"]


def _comments(
    rng: random.Random, shop_id: int, histogram: str, residents: range, now, ids
) -> list[tuple]:
    """A rated shop's latest few ratings, stars as its histogram has them."""
    counts = [int(n) for n in histogram.split(",")]
    rows = []
    for _ in range(min(sum(counts), COMMENTS_KEPT)):
        stars = rng.choices(range(1, 6), weights=counts)[0]
        at = now - timedelta(days=rng.uniform(0, 365))
        tags = rng.sample(COMMENT_TAGS, k=rng.randint(0, 2))
        rows.append(
            (
                ids(),
                shop_id,
                rng.choice(residents),
                stars,
                rng.choice(COMMENT_TEXTS),
                "[" + ",".join(f'"{t}"' for t in tags) + "]",
                "visible",
                "谢谢您的支持" if rng.random() < 0.2 else None,
                at,
                at,
            )
        )
    return rows


def seed(db: pw.Database, shops: int, seed_value: int = 20240601) -> dict[str, int]:
    """Fill a freshly migrated database; returns the row counts."""
    rng = random.Random(seed_value)  # noqa: S311  the same made-up district every run
    ids = Ids(rng)
    now = clock.now()
    today = clock.today_local()
    with db.atomic():
        streets, communities = _regions()
        User.create(openid=BENCH_OPENID)
    user_base = User.select(pw.fn.MAX(User.id)).scalar()

    owners, shop_rows, memberships, events = [], [], [], []
    code_rows, licence_rows, honour_rows, rating_rows = [], [], [], []
    residents = range(user_base + shops + 1, user_base + shops + RESIDENTS + 1)
    resident_rows = [
        (user_id, f"oBenchResident_{user_id}", rng.choice(RESIDENT_NAMES), now, now)
        for user_id in residents
    ]
    code_ids: set[str] = set()
    categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    for shop_id in range(1, shops + 1):
        street = rng.choice(streets)
        community = rng.choice(communities[street.id])
        category = rng.choices(categories, weights=weights)[0]
        road = rng.choice(ROADS)
        name = f"{rng.choice(BRANDS)}{rng.choice(CATEGORY_WORDS[category])}"
        if rng.random() < 0.3:
            name += f"（{road}店）"
        credit_code = _credit_code(rng)
        public_id = ids()
        created = now - timedelta(days=rng.uniform(30, 3 * 365))
        owner_id = user_base + shop_id
        owners.append((owner_id, f"oBench_{shop_id:07d}", created, created))
        rating_count, rating_total, histogram = _rating(rng)
        inspected = created + (now - created) * rng.random() if rng.random() < 0.7 else None
        result = rng.choice(INSPECTION_RESULTS) if inspected else None
        address = f"{road}{rng.randrange(1, 1500)}号"
        payload = lifecycle.canonical(
            {
                "name": name,
                "credit_code": credit_code,
                "category": category,
                "address": address,
                "region": community.path,
            }
        )
        actor = f"user:{owner_id}"
        head = lifecycle.event_hash(
            public_id, 1, "shop.registered", created, actor, payload, GENESIS_HASH
        )
        events.append((shop_id, 1, "shop.registered", created, actor, payload, GENESIS_HASH, head))
        shop_rows.append(
            (
                shop_id,
                public_id,
                name,
                credit_code,
                category,
                address,
                street.id,
                community.id,
                community.path,
                31.17 + rng.random() * 0.06,
                121.41 + rng.random() * 0.06,
                f"021-{rng.randrange(5000_0000, 6999_9999)}" if rng.random() < 0.6 else None,
                "09:00-21:00" if rng.random() < 0.7 else None,
                None,
                "active",
                rating_count,
                rating_total,
                histogram,
                inspected,
                result,
                rng.choice(RISK_GRADES),
                1 if result == "rectify" else 0,
                1,
                head,
                created,
                created,
            )
        )
        memberships.append((shop_id, owner_id, "owner", created))
        rating_rows += _comments(rng, shop_id, histogram, residents, now, ids)

        if rng.random() < 0.05:  # an earlier sticker, replaced: scans as "replaced"
            code_rows.append((_new_code(code_ids), "shop", shop_id, created, created))
        code_rows.append(
            (
                _new_code(code_ids),
                "shop",
                shop_id,
                None,
                created + timedelta(days=rng.uniform(0, 20)),
            )
        )

        extra = EXTRA_LICENCES.get(category, [])
        types = ["business_licence"] + rng.sample(extra, k=rng.randint(0, min(2, len(extra))))
        for type_ in types:
            if type_ == "business_licence":
                valid_from, valid_to = created.date(), created.date() + timedelta(days=20 * 365)
            else:
                valid_from = today - timedelta(days=rng.randrange(0, 2000))
                valid_to = valid_from + timedelta(days=5 * 365)
            licence_rows.append(
                (
                    ids(),
                    shop_id,
                    type_,
                    _licence_number(rng, type_, credit_code),
                    ISSUERS[type_],
                    valid_from,
                    valid_to,
                    None,
                    created + timedelta(days=3) if rng.random() < 0.6 else None,
                    created,
                    created,
                )
            )
        if rng.random() < 0.1:
            for title, issuer in rng.sample(HONOURS, k=rng.randint(1, 2)):
                honour_rows.append(
                    (
                        ids(),
                        shop_id,
                        title,
                        issuer,
                        today - timedelta(days=rng.randrange(0, 1000)),
                        created,
                    )
                )

    _bulk(db, User, [User.id, User.openid, User.created_at, User.updated_at], owners)
    _bulk(
        db,
        User,
        [User.id, User.openid, User.display_name, User.created_at, User.updated_at],
        resident_rows,
    )
    _bulk(
        db,
        Shop,
        [
            Shop.id,
            Shop.public_id,
            Shop.name,
            Shop.credit_code,
            Shop.category,
            Shop.address,
            Shop.street,
            Shop.community,
            Shop.region_path,
            Shop.lat,
            Shop.lng,
            Shop.phone,
            Shop.opening_hours,
            Shop.description,
            Shop.status,
            Shop.rating_count,
            Shop.rating_total,
            Shop.rating_histogram,
            Shop.last_inspection_at,
            Shop.last_inspection_result,
            Shop.risk_grade,
            Shop.open_rectifications,
            Shop.lifecycle_seq,
            Shop.lifecycle_head,
            Shop.created_at,
            Shop.updated_at,
        ],
        shop_rows,
    )
    _bulk(
        db,
        ShopMembership,
        [ShopMembership.shop, ShopMembership.user, ShopMembership.role, ShopMembership.created_at],
        memberships,
    )
    _bulk(
        db,
        ShopCode,
        [ShopCode.code, ShopCode.kind, ShopCode.shop, ShopCode.revoked_at, ShopCode.issued_at],
        code_rows,
    )
    _bulk(
        db,
        Licence,
        [
            Licence.public_id,
            Licence.shop,
            Licence.type,
            Licence.number,
            Licence.issuer,
            Licence.valid_from,
            Licence.valid_to,
            Licence.scope,
            Licence.verified_at,
            Licence.created_at,
            Licence.updated_at,
        ],
        licence_rows,
    )
    _bulk(
        db,
        Honour,
        [
            Honour.public_id,
            Honour.shop,
            Honour.title,
            Honour.issuer,
            Honour.awarded_on,
            Honour.created_at,
        ],
        honour_rows,
    )
    _bulk(
        db,
        Rating,
        [
            Rating.public_id,
            Rating.shop,
            Rating.user,
            Rating.stars,
            Rating.text,
            Rating.tags,
            Rating.status,
            Rating.reply,
            Rating.created_at,
            Rating.updated_at,
        ],
        rating_rows,
    )
    _bulk(
        db,
        LifecycleEvent,
        [
            LifecycleEvent.shop,
            LifecycleEvent.seq,
            LifecycleEvent.type,
            LifecycleEvent.occurred_at,
            LifecycleEvent.actor,
            LifecycleEvent.payload,
            LifecycleEvent.prev_hash,
            LifecycleEvent.hash,
        ],
        events,
    )
    _finish(db)
    return counts()


def _new_code(seen: set[str]) -> str:
    while True:
        code = codes.new_code_id()
        if code not in seen:
            seen.add(code)
            return code


def _finish(db: pw.Database) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; then fresh planner statistics."""
    if is_postgres():
        for table in ("user", "shop"):
            db.execute_sql(
                # noqa below: the table names come from the fixed tuple above.
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT MAX(id) FROM "{table}"))'
            )
        db.execute_sql("VACUUM ANALYZE")
    else:
        db.execute_sql("ANALYZE")
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def counts() -> dict[str, int]:
    return {
        "shops": Shop.select().count(),
        "codes": ShopCode.select().count(),
        "licences": Licence.select().count(),
        "honours": Honour.select().count(),
        "ratings": Rating.select().count(),
        "users": User.select().count(),
    }


def current_codes() -> list[str]:
    """Every current shop code: what the load generator draws from."""
    query = (
        ShopCode.select(ShopCode.code)
        .where(ShopCode.revoked_at.is_null() & (ShopCode.kind == "shop"))
        .order_by(ShopCode.id)
    )
    return [row.code for row in query.namedtuples()]


def district_app(db: str, pg_url: str, work: Path, shops: int):
    """A fresh database (databases.fresh) migrated and filled with `shops` by `seed`,
    and the app on it (tasks queued in `work`, no worker): (url, app), the seconds the
    filling took printed."""
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    url = databases.fresh(db, pg_url, work)
    app = create_app(databases.settings(url, work, task_queue_url=f"sqlite:///{work / 'q.db'}"))
    with app.app_context(), database.connection_context():
        upgrade(database.obj)
        started = time.perf_counter()
        seed(database.obj, shops)
        print(f"{shops} shops written in {time.perf_counter() - started:.1f} s")
    return url, app
