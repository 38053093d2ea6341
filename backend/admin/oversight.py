"""What admins watch: the audit log, the dashboard, lifecycle verification, shop contacts."""
from __future__ import annotations

import json
from datetime import datetime, time, timezone

import peewee as pw

from backend import audit, clock, lifecycle, scope
from backend.admin.inspections import digest_of
from backend.clock import SHANGHAI
from backend.models import (
    AuditEntry,
    Finding,
    Inspection,
    InspectionCorrection,
    Licence,
    LifecycleEvent,
    RectificationOrder,
    Shop,
    ShopMembership,
    StaffAccount,
    User,
)
from backend.models.inspections import OPEN_ORDER_STATUSES, PASSES
from backend.shopstate import EXPIRING_WITHIN
from backend.sweeps import LIVE_SHOPS



def audit_entries(admin: StaffAccount, action: str | None, target_type: str | None):
    query = (AuditEntry.select().where(scope.under(AuditEntry.region_path, admin.region_path))
             .order_by(AuditEntry.id.desc()))
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    return query


def _month_start() -> datetime:
    local = clock.now().astimezone(SHANGHAI)
    start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=SHANGHAI)
    return start.astimezone(timezone.utc)


def stats(staff: StaffAccount) -> dict:
    """The dashboard for the caller's subtree: every count goes through the same scope."""
    shops = scope.shops(staff)
    in_scope = scope.under(Shop.region_path, staff.region_path)
    today = clock.today_local()

    def grouped(column):
        rows = (Shop.select(column, pw.fn.COUNT(Shop.id)).where(in_scope)
                .group_by(column).tuples())
        return {key: count for key, count in rows}

    # Counted as the sweeps count them: shops that trade, not one still waiting for
    # approval, nor one closed.
    live = in_scope & Shop.status.in_(LIVE_SHOPS)
    live_licences = Licence.select().join(Shop).where(live)
    month = Inspection.select().join(Shop).where(in_scope
                                                 & (Inspection.recorded_at >= _month_start()))
    inspected = month.count()
    passed = month.where(_result_as_corrected().in_(PASSES)).count()
    # A closed shop's unanswered order is over with the shop, like its licences.
    orders = RectificationOrder.select().join(Shop).where(
        live & RectificationOrder.status.in_(OPEN_ORDER_STATUSES))
    return {
        "region": staff.region.name,
        "shops": shops.count(),
        "shops_by_status": grouped(Shop.status),
        "shops_by_risk_grade": grouped(Shop.risk_grade),
        # Not one filed ahead of its start: the sweep and the views call it not yet valid.
        "licences_expiring_30_days": live_licences.where(
            (Licence.valid_from <= today) & (Licence.valid_to >= today)
            & (Licence.valid_to <= today + EXPIRING_WITHIN)).count(),
        "licences_expired": live_licences.where(Licence.valid_to < today).count(),
        "inspections_this_month": inspected,
        "pass_rate_this_month": round(passed / inspected, 3) if inspected else None,
        "rectifications_open": orders.count(),
        "rectifications_overdue": orders.where(RectificationOrder.overdue == True).count(),  # noqa
    }


def _result_as_corrected() -> pw.Node:
    """An inspection's result as its latest correction gives it, else as recorded."""
    latest = (InspectionCorrection.select(InspectionCorrection.corrected_result)
              .where((InspectionCorrection.inspection == Inspection.id)
                     & InspectionCorrection.corrected_result.is_null(False))
              .order_by(InspectionCorrection.id.desc()).limit(1))
    return pw.fn.COALESCE(latest, Inspection.result)


def verify_shop(shop: Shop) -> lifecycle.Verdict:
    """The chain, then every inspection row against the digest its event recorded."""
    verdict = lifecycle.verify(shop)
    if not verdict.ok:
        return verdict
    events = {e.seq: e for e in LifecycleEvent.select().where(
        (LifecycleEvent.shop == shop) & (LifecycleEvent.type == "inspection.recorded"))}
    for inspection in Inspection.select().where(Inspection.shop == shop).order_by(Inspection.id):
        findings = list(Finding.select().where(Finding.inspection == inspection)
                        .order_by(Finding.id))
        event = events.get(inspection.event_seq)
        recorded = json.loads(event.payload).get("digest") if event else None
        if recorded != digest_of(inspection, findings):
            return lifecycle.Verdict(False, verdict.length, inspection.event_seq,
                                     f"inspection {inspection.public_id} differs from its record")
    return verdict


def verify_all() -> list[tuple[Shop, lifecycle.Verdict]]:
    return [(shop, verify_shop(shop)) for shop in Shop.select().order_by(Shop.id)]


def shop_contacts(staff: StaffAccount, shop_id: str) -> list[dict]:
    """The shop's owners and staff, unmasked, for an inspector who must reach them: audited."""
    shop = scope.shop(staff, shop_id)
    people = (ShopMembership.select(ShopMembership, User).join(User)
              .where(ShopMembership.shop == shop).order_by(ShopMembership.id))
    audit.record(audit.READ_UNMASKED, "shop", shop.public_id, shop.region_path, staff=staff,
                 detail={"fields": ["display_name", "phone"], "of": "shop members"})
    return [{"role": m.role, "display_name": m.user.display_name, "phone": m.user.phone}
            for m in people]
