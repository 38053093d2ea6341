"""Pushing a published policy: its audience matched once, in the database, and for each
recipient not yet reached one delivery row and one outbox message, all written in one
transaction with a `policy.pushed` event on each matched shop's record. The engine
delivers the messages; running a push twice reaches no one twice."""

from __future__ import annotations

import json

import peewee as pw
from flask import current_app

from backend import clock, lifecycle, notify, queued
from backend.db import after_commit, lock_for_update, write_transaction
from backend.models import OutboxMessage, Policy, PolicyDelivery, Shop, ShopMembership, User
from backend.policies import matching
from backend.policies.labels import KIND_LABELS

BATCH = 200  # messages a delivery task takes at a time


def push(policy_id: int) -> int:
    """Reach everyone the policy's audience matches today and who has not had it: how
    many were reached now."""
    with write_transaction():
        policy = lock_for_update(Policy.select().where(Policy.id == policy_id)).first()
        if policy is None or policy.status != "published" or not policy.push_pending:
            return 0
        now = clock.now()
        audience = json.loads(policy.audience)
        if policy.target == "shops":
            reached = _deliveries(policy, _to_shop_owners(policy, audience), now)
            _record_on_shops(policy, now)
        else:
            reached = _deliveries(policy, _to_residents(policy, audience), now)
        _write_messages(policy, now)
        policy.push_pending = False
        policy.save()
        version = policy.version
        after_commit(lambda: _deliver(policy_id, version))
    return reached


def _reached(policy: Policy) -> pw.ModelSelect:
    """Deliveries of this policy, of a version that still counts."""
    return PolicyDelivery.select().where(
        (PolicyDelivery.policy == policy.id) & (PolicyDelivery.version >= policy.push_from_version)
    )


# NOT IN over an uncorrelated subquery: PostgreSQL hashes it once, before the first row
# is written. NOT EXISTS would scan the deliveries once per recipient, the pages the
# same INSERT is filling included: quadratic.
def _to_shop_owners(policy: Policy, audience: dict) -> pw.ModelSelect:
    matched = matching.shops(policy.region_path, audience).select(Shop.id)
    had = (
        _reached(policy)
        .select(PolicyDelivery.user, PolicyDelivery.shop)
        .where(PolicyDelivery.shop.is_null(False))
    )
    return (
        ShopMembership.select(
            ShopMembership.user, ShopMembership.shop, Shop.region_path, Shop.category
        )
        .join(Shop)
        .where(
            (ShopMembership.role == "owner")
            & Shop.id.in_(matched)
            & pw.Tuple(ShopMembership.user, ShopMembership.shop).not_in(had)
        )
    )


def _to_residents(policy: Policy, audience: dict) -> pw.ModelSelect:
    matched = matching.residents(policy.region_path, audience)
    had = _reached(policy).select(PolicyDelivery.user).where(PolicyDelivery.shop.is_null())
    return matched.select(
        User.id, pw.Value(None), matching.home(policy.region_path), pw.Value(None)
    ).where(User.id.not_in(had))


def _deliveries(policy: Policy, recipients: pw.ModelSelect, now) -> int:
    """One delivery row per recipient: (user, shop, region_path, category) in `recipients`."""
    rows = recipients.select_extend(
        pw.Value(policy.id), pw.Value(policy.version), pw.Value(_at(now))
    )
    fields = [
        PolicyDelivery.user,
        PolicyDelivery.shop,
        PolicyDelivery.region_path,
        PolicyDelivery.category,
        PolicyDelivery.policy,
        PolicyDelivery.version,
        PolicyDelivery.pushed_at,
    ]
    return PolicyDelivery.insert_from(rows, fields).as_rowcount().execute()


def _at(moment) -> object:
    return PolicyDelivery.pushed_at.db_value(moment)


def _this_push(policy: Policy, now) -> pw.Expression:
    """The deliveries this push wrote: older ones keep their message even once the outbox
    has forgotten it (purged, or its user's account deleted)."""
    return (
        (PolicyDelivery.policy == policy.id)
        & (PolicyDelivery.version == policy.version)
        & (PolicyDelivery.pushed_at == _at(now))
    )


def _write_messages(policy: Policy, now) -> None:
    """The outbox message of each delivery of this push, in one INSERT … SELECT; keyed by
    the delivery, so a message is never written twice for it."""
    key = pw.Value("policy:").concat(PolicyDelivery.id.cast("TEXT"))
    notify.send_many(
        PolicyDelivery.select(PolicyDelivery.user, PolicyDelivery.shop).where(
            _this_push(policy, now)
        ),
        current_app.config["CITYCODE"].wechat_template_policy,
        "policy.pushed",
        _message_data(policy, now),
        f"pages/policies/detail?id={policy.public_id}",
        key,
    )
    written = OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    PolicyDelivery.update(message=written).where(_this_push(policy, now)).execute()


def _message_data(policy: Policy, now) -> dict:
    """The subscribe message: what it is, who issued it, when, and what to do."""
    return {
        "thing1": {"value": policy.title[:20]},
        "phrase2": {"value": KIND_LABELS[policy.kind]},
        "thing3": {"value": policy.issuer[:20]},
        "time4": {"value": now.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")},
        "thing5": {"value": (policy.action_text or "点击查看详情")[:20]},
    }


def _record_on_shops(policy: Policy, now) -> None:
    """A `policy.pushed` event on the record of each shop this push reached."""
    shops = PolicyDelivery.select(PolicyDelivery.shop).where(_this_push(policy, now)).distinct()
    lifecycle.append_many(
        shops,
        "policy.pushed",
        lifecycle.SYSTEM,
        {"policy": policy.public_id, "version": policy.version, "title": policy.title},
    )


def _deliver(policy_id: int, version: int) -> None:
    """The messages of this push onto the engine's queue, a batch per task."""
    pending = (
        OutboxMessage.select(OutboxMessage.id)
        .join(PolicyDelivery, on=PolicyDelivery.message == OutboxMessage.id)
        .where(
            (PolicyDelivery.policy == policy_id)
            & (PolicyDelivery.version == version)
            & (OutboxMessage.status == "pending")
        )
        .order_by(OutboxMessage.id)
        .tuples()
    )
    ids = [message_id for (message_id,) in pending]
    for start in range(0, len(ids), BATCH):
        if not queued.ask("deliver_many", ids[start : start + BATCH]):
            return  # the queue down: the outbox's pick-up sends them


def push_due() -> int:
    """Published policies whose push has not run (its task lost, or just scheduled)."""
    due = [
        p.id
        for p in Policy.select(Policy.id).where(
            (Policy.status == "published") & Policy.push_pending
        )
    ]
    reached = 0
    for policy_id in due:
        try:
            reached += push(policy_id)
        except Exception:  # one policy that cannot be pushed does not hold back the rest
            current_app.logger.exception("policy %s not pushed", policy_id)
    return reached
