"""What a shop of bench/scale.py's district has been through: its inspections (scored
and graded as backend/inspections would, each on its lifecycle record, the last one's
rectification order if it asked for one) and the work orders raised about it.

The rows are made here and written by scale_data.py's COPY stream; the shop's row
takes its grades and the head of its record from `inspected`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import orjson
from pg_copy import Counters, Table, scrambled
from scan_data import ID_ALPHABET, INSPECTION_RESULTS

from backend import clock, geo, lifecycle
from backend.inspections import checklists, recording, scoring
from backend.models import Inspection, LifecycleEvent, RectificationOrder, WorkOrder
from backend.models.base import GENESIS_HASH
from backend.models.inspections import NEEDS_TWO_INSPECTORS

INSPECTED_SHARE = 0.7  # as bench/scan_data.py: seven shops in ten have a last inspection
VISITS, VISIT_WEIGHTS = (1, 2, 3), (3, 4, 3)  # inspections of an inspected shop: two on average
RECTIFY_DAYS = 15
# The demo district (backend/workorders/demo.py) has five work orders for its twelve
# shops; here, unlike the demo's day-old ones, three in four are finished.
WORK_ORDERS_PER_SHOP = 5 / 12
OPEN_SHARE = 0.25
OPEN_STATES, OPEN_WEIGHTS = ("received", "dispatched", "signed", "in_progress"), (1, 3, 3, 3)
ORDER_TEXTS = {
    "report": ["门口暴露垃圾无人清理", "占道经营，影响通行", "油烟扰民", "夜间噪声扰民"],
    "complaint": ["售卖过期食品", "价格标示不清", "服务态度差，拒绝退款"],
    "referral": ["检查发现消防通道堵塞", "门前三包未落实"],
}

INSPECTIONS = Table(
    Inspection,
    [
        Inspection.id,
        Inspection.public_id,
        Inspection.shop,
        Inspection.inspector,
        Inspection.co_inspector,
        Inspection.template,
        Inspection.checklist,
        Inspection.result,
        Inspection.score,
        Inspection.rule_version,
        Inspection.grade,
        Inspection.lat,
        Inspection.lng,
        Inspection.distance_m,
        Inspection.far_away,
        Inspection.proof_jti,
        Inspection.recorded_at,
        Inspection.digest,
        Inspection.event_seq,
    ],
)
EVENTS = Table(
    LifecycleEvent,
    [
        LifecycleEvent.id,
        LifecycleEvent.shop,
        LifecycleEvent.seq,
        LifecycleEvent.type,
        LifecycleEvent.occurred_at,
        LifecycleEvent.actor,
        LifecycleEvent.payload,
        LifecycleEvent.prev_hash,
        LifecycleEvent.hash,
    ],
)
RECTIFICATIONS = Table(
    RectificationOrder,
    [
        RectificationOrder.id,
        RectificationOrder.public_id,
        RectificationOrder.shop,
        RectificationOrder.inspection,
        RectificationOrder.status,
        RectificationOrder.deadline,
        RectificationOrder.requirements,
        RectificationOrder.overdue,
        RectificationOrder.created_at,
    ],
)
WORK_ORDERS = Table(
    WorkOrder,
    [
        WorkOrder.id,
        WorkOrder.number,
        WorkOrder.source,
        WorkOrder.category,
        WorkOrder.region,
        WorkOrder.region_path,
        WorkOrder.lat,
        WorkOrder.lng,
        WorkOrder.shop,
        WorkOrder.description,
        WorkOrder.photos,
        WorkOrder.department,
        WorkOrder.priority,
        WorkOrder.state,
        WorkOrder.due_at,
        WorkOrder.warn_at,
        WorkOrder.sla,
        WorkOrder.created_at,
        WorkOrder.dispatched_at,
        WorkOrder.resolved_at,
        WorkOrder.closed_at,
        WorkOrder.reopened,
        WorkOrder.returned,
        WorkOrder.supervised,
        WorkOrder.self_handled,
        WorkOrder.lifecycle_seq,
        WorkOrder.lifecycle_head,
    ],
)
# In the order they are loaded, after the shops and the staff they point at.
TABLES = [INSPECTIONS, EVENTS, RECTIFICATIONS, WORK_ORDERS]


@dataclass
class Chain:
    """A shop's lifecycle record as it is being written: events appended to `rows`."""

    shop_id: int
    public_id: str
    rows: list
    counters: Counters
    seq: int = 0
    head: str = GENESIS_HASH

    def append(self, type_: str, occurred_at: datetime, actor: str, payload: dict) -> int:
        body = lifecycle.canonical(payload)
        self.seq += 1
        digest = lifecycle.event_hash(
            self.public_id, self.seq, type_, occurred_at, actor, body, self.head
        )
        self.rows.append(
            (
                self.counters.take(LifecycleEvent),
                self.shop_id,
                self.seq,
                type_,
                occurred_at,
                actor,
                body,
                self.head,
                digest,
            )
        )
        self.head = digest
        return self.seq


_RULES: dict[str, tuple[dict, dict]] = {}


def _template(category: str) -> tuple[str, dict, dict]:
    """The checklist a shop of `category` is inspected with, and its rule in force."""
    name = checklists.for_category(category)
    if name not in _RULES:
        template = checklists.templates()[name]
        _RULES[name] = template, scoring.rule_in_force(template, clock.today_local())
    return name, *_RULES[name]


def _answers(rng: random.Random, items: list[dict], result: str) -> list[dict]:
    """Answers that give `result`: a remark is a minor item, a rectification a key item
    (and maybe a minor one), a failure two key items, which grades it 较差."""
    keys = [i["code"] for i in items if i["key"]]
    minor = [i["code"] for i in items if not i["key"]]
    failed = {
        "pass": [],
        "pass_with_remarks": rng.sample(minor, min(1, len(minor))),
        "rectify": rng.sample(keys, 1) + rng.sample(minor, rng.randint(0, min(1, len(minor)))),
        "fail": rng.sample(keys, 2),
    }[result]
    return [{"code": i["code"], "ok": i["code"] not in failed, "note": None} for i in items]


def inspected(rng: random.Random, shop, chain: Chain, out: dict, world, now: datetime) -> dict:
    """The shop's inspections since it opened, each on its record; the fields of its row
    they decide (last inspection, 动态/年度 grades, open rectifications)."""
    visits = rng.choices(VISITS, VISIT_WEIGHTS)[0] if rng.random() < INSPECTED_SHARE else 0
    moments = sorted(shop.created + (now - shop.created) * rng.random() for _ in range(visits))
    name, template, rule = _template(shop.category)
    counted, result, last = [], None, None
    for at in moments:
        result = rng.choice(INSPECTION_RESULTS)
        last = _inspection(rng, shop, chain, out, world, at, result, (name, template, rule))
        counted.insert(0, (at, last["score"], last["grade"]))
    standing = scoring.standing(counted, now, rule)
    open_orders = 0
    if result == "rectify":
        _rectification(shop, chain, out, last, now)
        open_orders = 1
    return {
        "last_inspection_at": moments[-1] if moments else None,
        "last_inspection_result": result,
        "grade": standing.grade,
        "grade_score": standing.score,
        "annual_grade": standing.annual_grade,
        "annual_score": standing.annual_score,
        "annual_inspections": standing.annual_inspections,
        "grade_history": orjson.dumps(standing.history).decode(),
        "open_rectifications": open_orders,
    }


def _inspection(rng, shop, chain: Chain, out: dict, world, at, result, checklist) -> dict:
    """One inspection recorded on site at `at`, on the record; its row's values by field."""
    name, template, rule = checklist
    answers = _answers(rng, template["items"], result)
    scored = scoring.score(template, rule, answers)
    lead, co = rng.sample(world.inspectors, 2)
    row_id = chain.counters.take(Inspection)
    lat, lng = shop.lat + rng.uniform(-1, 1) * 1.5e-4, shop.lng + rng.uniform(-1, 1) * 1.5e-4
    row = {
        "id": row_id,
        "public_id": scrambled(row_id, ID_ALPHABET, 12),
        "shop": shop.id,
        "inspector": lead,
        "co_inspector": co if result in NEEDS_TWO_INSPECTORS else None,
        "template": name,
        "checklist": lifecycle.canonical(answers),
        "result": result,
        "score": scored.score,
        "rule_version": scored.version,
        "grade": scored.grade,
        "lat": lat,
        "lng": lng,
        "distance_m": round(geo.distance_m(lat, lng, shop.lat, shop.lng)),
        "far_away": False,
        "proof_jti": f"scale-{row_id}",
        "recorded_at": at,
    }
    # The fingerprint recording.py writes, from the attributes it reads; a model instance
    # would cost a random public id of its own for each of a million rows.
    row["digest"] = recording.digest_of(
        SimpleNamespace(
            **row,
            note=None,
            shop_id=shop.id,
            inspector_id=lead,
            co_inspector_id=row["co_inspector"],
        ),
        [],
    )
    row["event_seq"] = chain.append(
        "inspection.recorded", at, f"staff:{lead}", _recorded(row, scored.version)
    )
    out[INSPECTIONS].append(tuple(row[f.name] for f in INSPECTIONS.fields))
    return row


def _recorded(row: dict, rule_version: int) -> dict:
    """The payload recording.py writes on the record for an inspection that counts."""
    return {
        "inspection": row["public_id"],
        "digest": row["digest"],
        "result": row["result"],
        "score": row["score"],
        "grade": row["grade"],
        "rule_version": rule_version,
        "distance_m": row["distance_m"],
        "far_away": False,
        "confirmation": "confirmed",
        "supersedes": [],
        "co_inspector": row["co_inspector"],
        "findings": [],
    }


def _rectification(shop, chain: Chain, out: dict, inspection: dict, now) -> None:
    """The order the shop's last inspection made, still open (overdue once its day passed)."""
    row_id = chain.counters.take(RectificationOrder)
    public_id = scrambled(row_id, ID_ALPHABET, 12)
    deadline = clock.local_date(inspection["recorded_at"]) + timedelta(days=RECTIFY_DAYS)
    requirements = "按检查意见完成整改，并上传整改照片"
    out[RECTIFICATIONS].append(
        (
            row_id,
            public_id,
            shop.id,
            inspection["id"],
            "open",
            deadline,
            requirements,
            deadline < clock.local_date(now),
            inspection["recorded_at"],
        )
    )
    chain.append(
        "rectification.ordered",
        inspection["recorded_at"],
        f"staff:{inspection['inspector']}",
        {
            "order": public_id,
            "inspection": inspection["public_id"],
            "deadline": deadline,
            "requirements": requirements,
        },
    )


def work_order(rng: random.Random, shop, counters: Counters, out: dict, world, now) -> None:
    """One work order about the shop, for as many shops as the demo district has them:
    finished within the year, or open with its step's deadline on either side of now."""
    if rng.random() >= WORK_ORDERS_PER_SHOP:
        return
    row_id = counters.take(WorkOrder)
    source = rng.choice(list(ORDER_TEXTS))
    if rng.random() < OPEN_SHARE:
        state = rng.choices(OPEN_STATES, OPEN_WEIGHTS)[0]
        created = now - timedelta(days=rng.uniform(0, 20))
        step = timedelta(days=rng.uniform(1, 15))
        due, warn = (None, None) if state == "received" else (created + step, created + 0.8 * step)
        resolved = closed = None
    else:
        state = rng.choice(("resolved", "closed"))
        created = now - timedelta(days=rng.uniform(20, 365))
        due = warn = None
        resolved = created + timedelta(days=rng.uniform(1, 10))
        closed = resolved + timedelta(days=3) if state == "closed" else None
    out[WORK_ORDERS].append(
        (
            row_id,
            f"GD{clock.local_date(created):%Y%m%d}{row_id:07d}",
            source,
            rng.choice(world.service_categories),
            shop.community.id,
            shop.community.path,
            shop.lat,
            shop.lng,
            shop.id if source != "report" else None,
            rng.choice(ORDER_TEXTS[source]),
            "[]",
            None if state == "received" else world.department,
            "normal",
            state,
            due,
            warn,
            "on_time",
            created,
            None if state == "received" else created,
            resolved,
            closed,
            0,
            0,
            0,
            False,
            0,
            GENESIS_HASH,
        )
    )
