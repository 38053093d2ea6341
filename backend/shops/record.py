"""A shop's lifecycle record as its people and staff in scope read it, and its verification:
the chain, then every inspection row against the digest its event recorded."""

from __future__ import annotations

import json

from backend import lifecycle, progress, scope
from backend.inspections.recording import digest_of
from backend.models import Finding, Inspection, LifecycleEvent, Shop, StaffAccount, User
from backend.shops.access import member_shop


def events(shop: Shop):
    return (
        LifecycleEvent.select()
        .where(LifecycleEvent.shop == shop)
        .order_by(LifecycleEvent.seq.desc())
    )


def member_events(user: User, public_id: str):
    return events(member_shop(user, public_id))


def events_in_scope(staff: StaffAccount, public_id: str):
    return events(scope.shop(staff, public_id))


def verify_in_scope(staff: StaffAccount, public_id: str) -> lifecycle.Verdict:
    return verify_shop(scope.shop(staff, public_id))


def verify_shop(shop: Shop) -> lifecycle.Verdict:
    """The chain, then every inspection row against the digest its event recorded."""
    verdict = lifecycle.verify(shop)
    if not verdict.ok:
        return verdict
    recorded = {
        e.seq: e
        for e in LifecycleEvent.select().where(
            (LifecycleEvent.shop == shop) & (LifecycleEvent.type == "inspection.recorded")
        )
    }
    for inspection in Inspection.select().where(Inspection.shop == shop).order_by(Inspection.id):
        findings = list(
            Finding.select().where(Finding.inspection == inspection).order_by(Finding.id)
        )
        event = recorded.get(inspection.event_seq)
        digest = json.loads(event.payload).get("digest") if event else None
        if digest != digest_of(inspection, findings):
            return lifecycle.Verdict(
                False,
                verdict.length,
                inspection.event_seq,
                f"inspection {inspection.public_id} differs from its record",
            )
    return verdict


def verify_all(shown=progress.quietly) -> list[tuple[Shop, lifecycle.Verdict]]:
    shops = Shop.select().order_by(Shop.id)
    return [(shop, verify_shop(shop)) for shop in shown(shops, "lifecycle chains")]
