"""What a drawn plan asks of inspectors, and what the public reads of it.

Each drawn shop is a task for its team, due by the plan's end. An inspection of the shop
that counts, recorded by a team member during the plan, fulfils it (the lifecycle record
says 双随机: `sampling.fulfilled`); one by anyone else does not. An inspector declares a
shop they must never be drawn for (回避). The public reads every committed plan: the
commitment, the public value's name and value, the salt once drawn, the frozen lists'
hashes, the drawn shops (never their risk grade) and each task's result.
"""

from __future__ import annotations

import json

import peewee as pw

from backend import clock, lifecycle, scope
from backend.db import write_transaction
from backend.errors import Conflict, NotFound
from backend.models import (
    Inspection,
    InspectorConflict,
    Region,
    SamplingPlan,
    SamplingTask,
    SamplingTaskMember,
    Shop,
    StaffAccount,
)
from backend.sampling import draw, publication

PUBLIC_STATES = ("committed", "drawn")


def listed() -> pw.ModelSelect:
    """Tasks with their plan and shop, as every list of them shows them."""
    return (
        SamplingTask.select(SamplingTask, SamplingPlan, Shop)
        .join(SamplingPlan)
        .switch(SamplingTask)
        .join(Shop)
    )


def in_scope(staff: StaffAccount) -> pw.ModelSelect:
    """Tasks of the plans in `staff`'s region."""
    return listed().where(scope.under(SamplingPlan.region_path, staff.region_path))


def mine(staff: StaffAccount) -> pw.ModelSelect:
    """My tasks, open first, by deadline."""
    return (
        listed()
        .where(
            SamplingTask.id.in_(
                SamplingTaskMember.select(SamplingTaskMember.task).where(
                    SamplingTaskMember.staff == staff.id
                )
            )
        )
        .order_by(SamplingTask.done_at.is_null(False), SamplingTask.deadline, SamplingTask.id)
    )


def fulfil(shop: Shop, inspection: Inspection, actor: str) -> None:
    """An inspection that now counts fulfils the shop's open task whose team it was one of
    (inspector or co-inspector), during the plan; in the inspection's transaction."""
    today = clock.local_date(inspection.recorded_at)
    team = [who for who in (inspection.inspector_id, inspection.co_inspector_id) if who]
    open_tasks = (
        SamplingTask.select(SamplingTask, SamplingPlan)
        .join(SamplingPlan)
        .where(
            (SamplingTask.shop == shop.id)
            & SamplingTask.done_at.is_null()
            & (SamplingPlan.starts_on <= today)
            & (SamplingPlan.ends_on >= today)
            & SamplingTask.id.in_(
                SamplingTaskMember.select(SamplingTaskMember.task).where(
                    SamplingTaskMember.staff.in_(team)
                )
            )
        )
    )
    for task in open_tasks:
        task.inspection, task.done_at = inspection, clock.now()
        task.publish_by = publication.due_on(inspection)
        task.save()
        lifecycle.append(
            shop,
            "sampling.fulfilled",
            actor,
            {"plan": task.plan.public_id, "inspection": inspection.public_id},
        )


def declare_conflict(staff: StaffAccount, shop_id: str, reason: str) -> InspectorConflict:
    with write_transaction():
        shop = scope.shop(staff, shop_id)
        if InspectorConflict.get_or_none(
            (InspectorConflict.staff == staff) & (InspectorConflict.shop == shop)
        ):
            raise Conflict("you have declared this conflict already", key="conflict_declared")
        conflict = InspectorConflict.create(staff=staff, shop=shop, reason=reason)
    return (
        InspectorConflict.select(InspectorConflict, Shop)
        .join(Shop)
        .where(InspectorConflict.id == conflict.id)
        .get()
    )


# -- what the public reads --------------------------------------------------------------
def published() -> pw.ModelSelect:
    return (
        SamplingPlan.select()
        .where(SamplingPlan.state.in_(PUBLIC_STATES))
        .order_by(SamplingPlan.id.desc())
    )


def public_plan(plan_id: str) -> dict:
    plan = published().where(SamplingPlan.public_id == plan_id).first()
    if plan is None:
        raise NotFound("sampling plan not found", key="sampling_plan_not_found")
    lists = json.loads(plan.frozen)
    tasks = (
        SamplingTask.select(SamplingTask, Shop, Inspection)
        .join(Shop)
        .switch(SamplingTask)
        .join(Inspection, pw.JOIN.LEFT_OUTER)
        .where(SamplingTask.plan == plan)
        .order_by(SamplingTask.rank)
    )
    drawn = plan.state == "drawn"
    return {
        "id": plan.public_id,
        "title": plan.title,
        "state": plan.state,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "commitment": plan.commitment,
        "public_value_name": plan.public_value_name,
        "public_value": plan.public_value,
        "salt": plan.salt if drawn else None,
        "hashes": {name: draw.digest(lists[name]) for name in ("candidates", "pool", "recusals")},
        "candidates": len(lists["candidates"]),
        "results": list(tasks),
    }


def progress(plan: SamplingPlan) -> dict:
    """drawn / done / overdue / published / published late, for the plan and each street."""
    today = clock.today_local()
    rows = (
        SamplingTask.select(
            SamplingTask.done_at,
            SamplingTask.deadline,
            SamplingTask.published_at,
            SamplingTask.published_late_on,
            Region.name,
        )
        .join(Shop)
        .join(Region, on=(Shop.street == Region.id))
        .where(SamplingTask.plan == plan)
        .tuples()
    )
    tallies = ("drawn", "done", "overdue", "published", "late")
    total = dict.fromkeys(tallies, 0)
    streets: dict[str, dict] = {}
    for done_at, deadline, published_at, late_on, street in rows:
        counts = streets.setdefault(street, {"street": street, **dict.fromkeys(tallies, 0)})
        for tally in (total, counts):
            tally["drawn"] += 1
            tally["done"] += done_at is not None
            tally["overdue"] += done_at is None and deadline < today
            tally["published"] += published_at is not None
            tally["late"] += late_on is not None
    return {**total, "by_street": sorted(streets.values(), key=lambda s: s["street"])}


def overdue_in_scope(staff: StaffAccount) -> pw.ModelSelect:
    """Tasks of plans in `staff`'s region past their deadline and not done: for supervision."""
    return (
        in_scope(staff)
        .where(SamplingTask.done_at.is_null() & (SamplingTask.deadline < clock.today_local()))
        .order_by(SamplingTask.deadline, SamplingTask.id)
    )


def unpublished_in_scope(staff: StaffAccount) -> pw.ModelSelect:
    """Results of my region's plans done and not yet published, the soonest due first."""
    return (
        in_scope(staff)
        .where(SamplingTask.done_at.is_null(False) & SamplingTask.published_at.is_null())
        .order_by(SamplingTask.publish_by, SamplingTask.id)
    )
