"""The district of bench/scale.py, grown in place (10,000 shops, then 100,000, then a
million) on PostgreSQL. Each shop gets what bench/scan_data.py gives one (a code, 5 % a
replaced one too, licences, honours, an owner, residents' ratings, its lifecycle record),
its name and address in the search index, and, in the demo district's proportions, its
inspections and work orders (scale_history.py); each growth adds a resident per shop (a
fifth of them tagged 年满60周岁), an inspector per 200 shops and a declared conflict per
50, as bench/sampling.py does.

The district grows at the density of scan_data's (100,000 shops in 0.06° × 0.06°): new
shops go round the old ones, so a search within 500 m finds as many at any size, as in a
real city whose bigger districts are bigger places.

Rows go in by COPY (pg_copy.py), 5,000 shops a batch, in one transaction per growth.
Every row is given its id, so a batch's rows can point at each other; public ids and
codes are scrambled from those ids, unique without remembering them.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import scale_history
import scan_data
from harness import BenchError
from pg_copy import CopyStream, Counters, Table, catch_up_sequences, scrambled
from scale_history import Chain
from scan_data import ID_ALPHABET

from backend import clock, codes
from backend.db import database, write_transaction
from backend.inspections import grading
from backend.models import (
    CommunityMembership,
    Department,
    Honour,
    InspectorConflict,
    Licence,
    Rating,
    Region,
    ResidentTag,
    ServiceCategory,
    Shop,
    ShopCode,
    ShopGram,
    ShopMembership,
    StaffAccount,
    User,
)
from backend.models.base import SAMPLE_BUCKETS
from backend.models.workorders import PROCEDURE_CATEGORIES
from backend.people.staffing import create_staff, qualification_tags
from backend.policies.tags import CONSENT_VERSION
from backend.shops import record
from backend.shops.search_index import shop_grams

BATCH = 5000
SEED = 20240601
CENTRE, SIDE_AT_100K = (31.20, 121.44), 0.06  # scan_data's district, in degrees
SHOPS_PER_INSPECTOR, FEWEST_INSPECTORS = 200, 10
CONFLICT_SHARE, TAGGED_SHARE, WITHDRAWN_SHARE = 1 / 50, 1 / 5, 1 / 50
ADMIN_NAME, DEPARTMENT_NAME = "区管理员", "徐汇区城市运行管理中心"
CATEGORIES = list(scan_data.CATEGORY_WEIGHTS)
CATEGORY_WEIGHTS = list(scan_data.CATEGORY_WEIGHTS.values())


def _table(model, names: str) -> Table:
    """The model's table, filled with its id and the fields `names` lists."""
    return Table(model, [model._meta.fields[name] for name in ("id", *names.split())])


USERS = _table(User, "openid display_name created_at updated_at sample_bucket")
COMMUNITY_MEMBERS = _table(CommunityMembership, "user community region_path status created_at")
TAGS = _table(ResidentTag, "user tag consent_version consented_at withdrawn_at")
SHOPS = _table(
    Shop,
    """public_id name credit_code category address street community region_path lat lng
    phone opening_hours status rating_count rating_total rating_histogram risk_grade
    last_inspection_at last_inspection_result grade grade_score annual_grade annual_score
    annual_inspections grade_history open_rectifications lifecycle_seq lifecycle_head
    created_at updated_at sample_bucket""",
)
MEMBERSHIPS = _table(ShopMembership, "shop user role created_at")
CODES = _table(ShopCode, "code kind shop revoked_at issued_at")
LICENCES = _table(
    Licence,
    "public_id shop type number issuer valid_from valid_to verified_at created_at updated_at",
)
HONOURS = _table(Honour, "public_id shop title issuer awarded_on created_at")
RATINGS = _table(Rating, "public_id shop user stars text tags status reply created_at updated_at")
GRAMS = Table(ShopGram, [ShopGram.gram, ShopGram.shop])
CONFLICTS = _table(InspectorConflict, "staff shop reason created_at")
# In the order they are loaded: each after the tables its rows point at.
TABLES = [USERS, COMMUNITY_MEMBERS, TAGS, SHOPS, MEMBERSHIPS, CODES, LICENCES, HONOURS, RATINGS]
TABLES += [GRAMS, CONFLICTS, *scale_history.TABLES]
WITH_IDS = [table.model for table in TABLES if table is not GRAMS]


@dataclass
class World:
    """What new shops are put among: the regions, the inspectors, the work orders' kinds."""

    streets: list[Region]
    communities: dict[int, list[Region]]
    inspectors: list[int]
    service_categories: list[int]
    department: int


@dataclass
class NewShop:
    id: int
    public_id: str
    owner: int
    name: str
    category: str
    credit_code: str
    address: str
    street: Region
    community: Region
    lat: float
    lng: float
    created: datetime


@dataclass
class Growth:
    """What one growth wrote, and how long it took."""

    before: int
    after: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    analyse_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def shop_count() -> int:
    return Shop.select().count()


def grow(url: str, shops: int) -> Growth:
    """The district grown to `shops`, then vacuumed and analysed (inside the app context
    of a database bound to `url`)."""
    growth = Growth(before=shop_count(), after=shops)
    world = _world(shops)
    counters = Counters(WITH_IDS)
    now = clock.now()
    started = time.perf_counter()
    with CopyStream(url) as stream:
        for first in range(growth.before, shops, BATCH):
            size = min(BATCH, shops - first)
            rng = random.Random(f"{SEED}:{first}")  # noqa: S311  the same district every run
            out = {table: [] for table in TABLES}
            residents = _residents(rng, counters, out, world, now, size)
            for _ in range(size):
                _shop(rng, counters, out, world, now, residents, (growth.before, shops))
            for table, rows in out.items():
                stream.put(table, rows)
                growth.rows[repr(table)] = growth.rows.get(repr(table), 0) + len(rows)
    growth.seconds = time.perf_counter() - started
    catch_up_sequences(database, WITH_IDS)
    started = time.perf_counter()
    # VACUUM as well: index-only scans need the visibility map, and the numbers should
    # not change when autovacuum gets round to the new rows in the middle of a measure.
    database.execute_sql("VACUUM (ANALYZE)")
    growth.analyse_seconds = time.perf_counter() - started
    spot_check(growth.before, shops)
    return growth


def _world(shops: int) -> World:
    """The regions, the district's admin, a department and the inspectors for `shops`:
    made the first time, the inspectors topped up each time (written and committed here,
    before the COPY stream's transaction points at them)."""
    with write_transaction():
        if not Region.select().exists():
            scan_data._regions()
            User.create(openid=scan_data.BENCH_OPENID)
            district = Region.get(Region.level == "district")
            create_staff(name=ADMIN_NAME, role="admin", region=district)
            Department.create(name=DEPARTMENT_NAME, kind="urban_management", region=district)
        district = Region.get(Region.level == "district")
        inspectors = StaffAccount.select().where(StaffAccount.role == "inspector")
        wanted = max(FEWEST_INSPECTORS, math.ceil(shops / SHOPS_PER_INSPECTOR))
        now, tags = clock.now(), qualification_tags(["食品"])
        rows = [
            (f"检查员{n}", "inspector", district.id, district.path, True, tags, now)
            for n in range(inspectors.count() + 1, wanted + 1)
        ]
        fields = ["name", "role", "region", "region_path", "active", "qualifications"]
        fields = [StaffAccount._meta.fields[name] for name in (*fields, "created_at")]
        for start in range(0, len(rows), 1000):
            StaffAccount.insert_many(rows[start : start + 1000], fields=fields).execute()
    streets = list(Region.select().where(Region.level == "street").order_by(Region.id))
    communities = {street.id: [] for street in streets}
    for community in Region.select().where(Region.level == "community").order_by(Region.id):
        communities[community.parent_id].append(community)
    categories = ServiceCategory.select(ServiceCategory.id).where(
        ServiceCategory.code.not_in(PROCEDURE_CATEGORIES)
    )
    return World(
        streets=streets,
        communities=communities,
        inspectors=[s.id for s in inspectors.order_by(StaffAccount.id)],
        service_categories=[c.id for c in categories.order_by(ServiceCategory.id)],
        department=Department.select(Department.id).order_by(Department.id).scalar(),
    )


def admin() -> StaffAccount:
    return StaffAccount.get(StaffAccount.name == ADMIN_NAME, StaffAccount.role == "admin")


def _place(rng: random.Random, before: int, after: int) -> tuple[float, float]:
    """A point of the district at `after` shops outside the square that held `before`."""
    outer, inner = (SIDE_AT_100K / 2 * math.sqrt(n / 100_000) for n in (after, before))
    while True:
        dlat, dlng = rng.uniform(-outer, outer), rng.uniform(-outer, outer)
        if max(abs(dlat), abs(dlng)) >= inner:
            return CENTRE[0] + dlat, CENTRE[1] + dlng


def _residents(rng, counters: Counters, out: dict, world: World, now, count: int) -> list[int]:
    """`count` residents, each an approved member of a community, a fifth tagged."""
    made = []
    for _ in range(count):
        user_id = counters.take(User)
        street = rng.choice(world.streets)
        community = rng.choice(world.communities[street.id])
        joined = now - timedelta(days=rng.uniform(1, 700))
        name = rng.choice(scan_data.RESIDENT_NAMES)
        out[USERS].append(
            (user_id, f"oScaleResident_{user_id}", name, joined, joined, _bucket(rng))
        )
        out[COMMUNITY_MEMBERS].append(
            (counters.take(CommunityMembership), user_id, community.id, community.path)
            + ("approved", joined)
        )
        if rng.random() < TAGGED_SHARE:
            withdrawn = joined + timedelta(days=1) if rng.random() < WITHDRAWN_SHARE else None
            out[TAGS].append(
                (counters.take(ResidentTag), user_id, "age_60_plus", CONSENT_VERSION)
                + (joined, withdrawn)
            )
        made.append(user_id)
    return made


def _new_shop(rng, counters: Counters, world: World, now, sizes) -> NewShop:
    """A shop of the district's trades, streets and roads, with its owner's id."""
    street = rng.choice(world.streets)
    category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    road = rng.choice(scan_data.ROADS)
    name = f"{rng.choice(scan_data.BRANDS)}{rng.choice(scan_data.CATEGORY_WORDS[category])}"
    if rng.random() < 0.3:
        name += f"（{road}店）"
    shop_id = counters.take(Shop)
    return NewShop(
        id=shop_id,
        public_id=scrambled(shop_id, ID_ALPHABET, 12),
        owner=counters.take(User),
        name=name,
        category=category,
        credit_code=scan_data._credit_code(rng),
        address=f"{road}{rng.randrange(1, 1500)}号",
        street=street,
        community=rng.choice(world.communities[street.id]),
        lat=(point := _place(rng, *sizes))[0],
        lng=point[1],
        created=now - timedelta(days=rng.uniform(30, 3 * 365)),
    )


def _shop(rng, counters: Counters, out: dict, world: World, now, residents, sizes) -> None:
    """One active shop with its owner, code, licences, honours, ratings (by `residents`),
    index entries, record, inspections, work order and maybe a declared conflict."""
    shop = _new_shop(rng, counters, world, now, sizes)
    chain = Chain(shop.id, shop.public_id, out[scale_history.EVENTS], counters)
    registered = {"name": shop.name, "credit_code": shop.credit_code}
    registered |= {"category": shop.category, "address": shop.address}
    registered["region"] = shop.community.path
    chain.append("shop.registered", shop.created, f"user:{shop.owner}", registered)
    history = scale_history.inspected(rng, shop, chain, out, world, now)
    rating_count, rating_total, histogram = scan_data._rating(rng)
    history.update(rating_count=rating_count, rating_total=rating_total)
    out[SHOPS].append(_shop_row(rng, shop, chain, {**history, "rating_histogram": histogram}))
    out[USERS].append(
        (shop.owner, f"oScaleOwner_{shop.id}", None, shop.created, shop.created, _bucket(rng))
    )
    membership = counters.take(ShopMembership)
    out[MEMBERSHIPS].append((membership, shop.id, shop.owner, "owner", shop.created))
    _codes(rng, counters, out, shop)
    _licences(rng, counters, out, shop)
    _honours(rng, counters, out, shop)
    for row in scan_data._comments(rng, shop.id, histogram, residents, now, lambda: ""):
        rating_id = counters.take(Rating)
        out[RATINGS].append((rating_id, scrambled(rating_id, ID_ALPHABET, 12), *row[1:]))
    out[GRAMS] += [(gram, shop.id) for gram in sorted(shop_grams(shop.name, shop.address))]
    if rng.random() < CONFLICT_SHARE:
        staff = rng.choice(world.inspectors)
        out[CONFLICTS].append((counters.take(InspectorConflict), staff, shop.id, "亲属经营", now))
    scale_history.work_order(rng, shop, counters, out, world, now)


def _shop_row(rng, shop: NewShop, chain: Chain, decided: dict) -> tuple:
    """The shop's row: what it registered, and what its history and ratings decided."""
    values = {
        **decided,
        **{f: getattr(shop, f) for f in ("id", "public_id", "name", "credit_code", "category")},
        **{f: getattr(shop, f) for f in ("address", "lat", "lng")},
        "street": shop.street.id,
        "community": shop.community.id,
        "region_path": shop.community.path,
        "phone": f"021-{rng.randrange(5000_0000, 6999_9999)}" if rng.random() < 0.6 else None,
        "opening_hours": "09:00-21:00" if rng.random() < 0.7 else None,
        "status": "active",
        "risk_grade": rng.choice(scan_data.RISK_GRADES),
        "lifecycle_seq": chain.seq,
        "lifecycle_head": chain.head,
        "created_at": shop.created,
        "updated_at": shop.created,
        "sample_bucket": _bucket(rng),
    }
    return tuple(values[f.name] for f in SHOPS.fields)


def _bucket(rng) -> int:
    """The bucket a row drew when it was made (models.base.sample_bucket), drawn here from
    the seeded generator like everything else."""
    return rng.randrange(SAMPLE_BUCKETS)


def _codes(rng, counters: Counters, out: dict, shop: NewShop) -> None:
    """Its code in use; for one shop in twenty, an earlier one, replaced."""
    issued = [shop.created] if rng.random() < 0.05 else []
    issued.append(shop.created + timedelta(days=rng.uniform(0, 20)))
    for n, at in enumerate(issued, start=1):
        code_id = counters.take(ShopCode)
        revoked = issued[-1] if n < len(issued) else None
        code = scrambled(code_id, codes.CODE_ALPHABET, codes.CODE_LENGTH)
        out[CODES].append((code_id, code, "shop", shop.id, revoked, at))


def _licences(rng, counters: Counters, out: dict, shop: NewShop) -> None:
    """The business licence, and those its trade needs, as bench/scan_data.py has them."""
    today = clock.today_local()
    extra = scan_data.EXTRA_LICENCES.get(shop.category, [])
    for type_ in ["business_licence", *rng.sample(extra, k=rng.randint(0, min(2, len(extra))))]:
        if type_ == "business_licence":
            valid_from = shop.created.date()
            valid_to = valid_from + timedelta(days=20 * 365)
        else:
            valid_from = today - timedelta(days=rng.randrange(0, 2000))
            valid_to = valid_from + timedelta(days=5 * 365)
        licence_id = counters.take(Licence)
        out[LICENCES].append(
            (
                licence_id,
                scrambled(licence_id, ID_ALPHABET, 12),
                shop.id,
                type_,
                scan_data._licence_number(rng, type_, shop.credit_code),
                scan_data.ISSUERS[type_],
                valid_from,
                valid_to,
                shop.created + timedelta(days=3) if rng.random() < 0.6 else None,
                shop.created,
                shop.created,
            )
        )


def _honours(rng, counters: Counters, out: dict, shop: NewShop) -> None:
    if rng.random() >= 0.1:
        return
    today = clock.today_local()
    for title, issuer in rng.sample(scan_data.HONOURS, k=rng.randint(1, 2)):
        honour_id = counters.take(Honour)
        awarded = today - timedelta(days=rng.randrange(0, 1000))
        out[HONOURS].append(
            (honour_id, scrambled(honour_id, ID_ALPHABET, 12), shop.id, title, issuer, awarded)
            + (shop.created,)
        )


def spot_check(before: int, after: int, sample: int = 20) -> None:
    """A few of the new shops read back as the app reads them: a record whose chain holds
    and whose inspections match their digests, and the grades those inspections give.
    Numbers over rows the app would not have written would mean nothing."""
    rng = random.Random(after)  # noqa: S311
    ids = rng.sample(range(before + 1, after + 1), min(sample, after - before))
    for shop in Shop.select().where(Shop.id.in_(ids)):
        verdict = record.verify_shop(shop)
        if not verdict.ok:
            raise BenchError(f"shop {shop.id}: its record does not verify: {verdict}")
        found = grading.standing(shop)
        kept = (shop.grade, shop.grade_score, shop.annual_grade, shop.annual_score)
        if (found.grade, found.score, found.annual_grade, found.annual_score) != kept:
            raise BenchError(f"shop {shop.id}: grades {kept} but its inspections give {found}")
