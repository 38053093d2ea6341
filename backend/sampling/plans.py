"""A sampling plan from draft to draw: an admin sets it inside their region; committing
freezes the candidate shops (with their risk grade), the inspector pool and the recused
pairs, and publishes the commitment and the name of the public value that will seed
the draw; drawing takes that value once announced, reveals the salt and makes the tasks.
The draw itself is draw.py's, which an auditor re-runs from the plan's document."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import peewee as pw

from backend import audit, clock, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.models import (
    Inspection,
    InspectorConflict,
    SamplingItem,
    SamplingPlan,
    SamplingTask,
    SamplingTaskMember,
    Shop,
    ShopMembership,
    StaffAccount,
)
from backend.models.inspections import counted
from backend.models.people import AUDITOR
from backend.people.staffing import qualification_tags
from backend.sampling import draw, publication, tasks

DEFAULT_RATIOS = {"A": 1, "B": 2, "C": 10, "D": 30}  # percent, after Henan's 2021 classes
LIVE = ("active", "suspended")
BATCH = 500  # rows a statement: well under SQLite's 32,766 bound parameters


READERS = ("admin", AUDITOR)  # an auditor reads plans and their lists, changes nothing


def _admin(staff: StaffAccount) -> None:
    if staff.role != "admin":
        raise Forbidden("only an admin plans random inspections", key="admin_only")


def create(staff: StaffAccount, data: dict) -> SamplingPlan:
    _admin(staff)
    with write_transaction():
        region = scope.region(staff, data["region"]) if data.get("region") else staff.region
        known = {i.code for i in SamplingItem.select(SamplingItem.code)}
        unknown = sorted(set(data["items"]) - known)
        if unknown:
            raise Invalid.field(
                "items",
                "not on the list of inspection items: %(items)s",
                key="unknown_sampling_item",
                params={"items": ", ".join(unknown)},
            )
        if data["ends_on"] < data["starts_on"]:
            raise Invalid.field("ends_on", "ends before it starts", key="ends_before_start")
        plan = SamplingPlan.create(
            title=data["title"],
            region=region,
            region_path=region.path,
            items=json.dumps(sorted(set(data["items"]))),
            categories=json.dumps(sorted(set(data.get("categories") or []))),
            ratios=json.dumps({**DEFAULT_RATIOS, **(data.get("ratios") or {})}),
            department=data.get("department"),
            qualifications=qualification_tags(data.get("qualifications") or ()),
            team_size=data["team_size"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            recusal_days=data["recusal_days"],
            created_by=staff,
        )
        _audit("sampling_plan.created", plan, staff)
    return plan


def _audit(action: str, plan: SamplingPlan, staff: StaffAccount) -> None:
    audit.record(action, "sampling_plan", plan.public_id, plan.region_path, staff=staff)


def in_scope(staff: StaffAccount) -> pw.ModelSelect:
    return (
        SamplingPlan.select()
        .where(scope.under(SamplingPlan.region_path, staff.region_path))
        .order_by(SamplingPlan.id.desc())
    )


def one(staff: StaffAccount, plan_id: str, lock: bool = False) -> SamplingPlan:
    query = in_scope(staff).where(SamplingPlan.public_id == plan_id)
    found = (lock_for_update(query) if lock else query).first()
    if found is None:
        raise NotFound("sampling plan not found", key="sampling_plan_not_found")
    return found


def _candidates(plan: SamplingPlan) -> pw.Expression:
    """The shops the plan draws from: live, in its region, of its categories."""
    where = scope.under(Shop.region_path, plan.region_path) & Shop.status.in_(LIVE)
    categories = json.loads(plan.categories)
    return where & Shop.category.in_(categories) if categories else where


def _frozen_lists(plan: SamplingPlan) -> dict:
    """The candidates, the pool and the recused pairs as the plan stands now."""
    shops = Shop.select(Shop.public_id, Shop.risk_grade).where(_candidates(plan))
    staff = StaffAccount.select(
        StaffAccount.id, StaffAccount.user, StaffAccount.qualifications
    ).where(
        scope.under(StaffAccount.region_path, plan.region_path)
        & (StaffAccount.role == "inspector")
        & (StaffAccount.active == True)  # noqa: E712  SQL, not Python
    )
    if plan.department_id:
        staff = staff.where(StaffAccount.department == plan.department_id)
    needed = set(json.loads(plan.qualifications))
    staff = [s for s in staff if needed <= set(json.loads(s.qualifications))]
    return {
        "candidates": sorted(list(row) for row in shops.tuples()),
        "pool": sorted(s.id for s in staff),
        "recusals": _recusals(plan, staff),
    }


def _recusals(plan: SamplingPlan, staff: list) -> list:
    """回避: inspected it within the plan's days, declared a conflict, or belongs to it.
    Joined to the candidates in SQL: a plan may draw from a hundred thousand shops."""
    members = {s.id for s in staff}
    since = clock.now() - timedelta(days=plan.recusal_days)
    pairs = set()
    recent = (
        Inspection.select(Shop.public_id, Inspection.inspector, Inspection.co_inspector)
        .join(Shop)
        .where(_candidates(plan) & (Inspection.recorded_at >= since) & counted())
    )
    for shop, lead, co in recent.tuples():
        pairs |= {(shop, who) for who in (lead, co) if who in members}
    declared = (
        InspectorConflict.select(Shop.public_id, InspectorConflict.staff)
        .join(Shop)
        .where(_candidates(plan))
    )
    pairs |= {(shop, who) for shop, who in declared.tuples() if who in members}
    by_user = {s.user_id: s.id for s in staff if s.user_id}
    belonging = (
        ShopMembership.select(Shop.public_id, ShopMembership.user)
        .join(Shop)
        .where(_candidates(plan) & ShopMembership.user.in_(list(by_user)))
    )
    pairs |= {(shop, by_user[user]) for shop, user in belonging.tuples()}
    return sorted([shop, who] for shop, who in pairs)


def commit(staff: StaffAccount, plan_id: str, public_value_name: str) -> SamplingPlan:
    _admin(staff)
    with write_transaction():
        plan = one(staff, plan_id, lock=True)
        if plan.state != "draft":
            raise Conflict("this plan is already committed", key="plan_committed")
        lists = _frozen_lists(plan)
        if len(lists["pool"]) < plan.team_size:
            raise Conflict("fewer inspectors in the pool than a team needs", key="pool_too_small")
        plan.salt = secrets.token_hex(32)
        plan.commitment = draw.commitment(
            lists["candidates"], lists["pool"], lists["recusals"], plan.salt
        )
        plan.frozen = json.dumps(lists)
        plan.public_value_name, plan.state, plan.committed_at = (
            public_value_name,
            "committed",
            clock.now(),
        )
        plan.save()
        _audit("sampling_plan.committed", plan, staff)
    return plan


def draw_plan(staff: StaffAccount, plan_id: str, public_value: str) -> SamplingPlan:
    _admin(staff)
    with write_transaction():
        plan = one(staff, plan_id, lock=True)
        if plan.state != "committed":
            raise Conflict("only a committed plan is drawn, once", key="plan_not_committed")
        plan.public_value, plan.state, plan.drawn_at = public_value, "drawn", clock.now()
        drawn = draw.run(document(plan))
        _tasks(plan, drawn)
        plan.save()
        _audit("sampling_plan.drawn", plan, staff)
    return plan


def publish(staff: StaffAccount, plan_id: str) -> dict:
    """Publish the plan's results done so far (一公开); its progress after."""
    _admin(staff)
    plan = one(staff, plan_id)
    publication.publish(staff, plan)
    return tasks.progress(plan)


def _tasks(plan: SamplingPlan, drawn: draw.Draw) -> None:
    """The tasks and their teams, written a batch at a time, not a row at a time."""
    shop_ids = {}
    for batch in pw.chunked(drawn.shops, BATCH):
        query = Shop.select(Shop.public_id, Shop.id).where(Shop.public_id.in_(batch))
        shop_ids.update(query.tuples())
    rows = [
        (plan.id, shop_ids[public_id], position, plan.ends_on)
        for position, public_id in enumerate(drawn.shops, 1)
    ]
    fields = [SamplingTask.plan, SamplingTask.shop, SamplingTask.rank, SamplingTask.deadline]
    for batch in pw.chunked(rows, BATCH):
        SamplingTask.insert_many(batch, fields=fields).execute()
    task_ids = dict(
        SamplingTask.select(SamplingTask.shop, SamplingTask.id)
        .where(SamplingTask.plan == plan)
        .tuples()
    )
    members = [
        (task_ids[shop_ids[public_id]], member)
        for public_id in drawn.shops
        for member in drawn.teams[public_id]
    ]
    fields = [SamplingTaskMember.task, SamplingTaskMember.staff]
    for batch in pw.chunked(members, BATCH):
        SamplingTaskMember.insert_many(batch, fields=fields).execute()


def document(plan: SamplingPlan) -> dict:
    """Everything the draw is a function of, and what it gave once drawn: the file an
    auditor downloads and `citycode verify-draw` re-runs."""
    lists = json.loads(plan.frozen or "{}")
    drawn = None
    if plan.state == "drawn":
        drawn = {"shops": [], "teams": {}}
        rows = (
            SamplingTask.select(Shop.public_id, SamplingTaskMember.staff)
            .join(Shop)
            .switch(SamplingTask)
            .join(SamplingTaskMember, pw.JOIN.LEFT_OUTER)
            .where(SamplingTask.plan == plan)
            .order_by(SamplingTask.rank, SamplingTaskMember.id)
            .tuples()
        )
        for shop_id, member in rows:  # one query, teams in the order they were drawn
            if shop_id not in drawn["teams"]:
                drawn["shops"].append(shop_id)
                drawn["teams"][shop_id] = []
            if member is not None:
                drawn["teams"][shop_id].append(member)
    return {
        "plan": plan.public_id,
        "ratios": json.loads(plan.ratios),
        "team_size": plan.team_size,
        "commitment": plan.commitment,
        "public_value_name": plan.public_value_name,
        "public_value": plan.public_value,
        "salt": plan.salt if plan.state == "drawn" else None,
        **lists,
        "drawn": drawn,
    }
