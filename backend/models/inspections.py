"""Inspections recorded at a storefront, their findings, and the rectification loop."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.people import StaffAccount, User
from backend.models.shops import Shop, Upload, new_shop_public_id

RESULTS = ("pass", "pass_with_remarks", "rectify", "fail")
SEVERITIES = ("minor", "major", "critical")
NEEDS_TWO_INSPECTORS = ("rectify", "fail")
PASSES = ("pass", "pass_with_remarks")
FAR_AWAY_METRES = 300


class ImmutableRecord(Exception):
    """Raised on any attempt to change a recorded inspection; corrections are new events."""


class Inspection(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="inspections", on_delete="RESTRICT")
    inspector = pw.ForeignKeyField(StaffAccount, backref="inspections", on_delete="RESTRICT")
    co_inspector = pw.ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
    template = pw.CharField(max_length=32)
    checklist = pw.TextField()
    result = pw.CharField(max_length=32)
    # The checklist's score on 100, the scoring rule's version and the grade it gave
    # (动态等级), fixed when recorded: a later rule never rescores it.
    score = pw.SmallIntegerField(null=True)
    rule_version = pw.SmallIntegerField(null=True)
    grade = pw.CharField(max_length=1, null=True)
    note = pw.TextField(null=True)
    lat = pw.DoubleField()
    lng = pw.DoubleField()
    distance_m = pw.IntegerField(null=True)
    far_away = pw.BooleanField(default=False)
    # A scan proof is spent by the inspection it authorised.
    proof_jti = pw.CharField(max_length=64, unique=True)
    recorded_at = UTCDateTimeField(default=created_now, index=True)
    # SHA-256 of the canonical record, also written into its lifecycle event.
    digest = pw.CharField(max_length=64)
    event_seq = pw.IntegerField()

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise ImmutableRecord("inspections are never edited; record a correction")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise ImmutableRecord("inspections are never deleted")


# An inspection recorded away from the shop (or at a shop with no location on record)
# waits for an admin: "pending" until "confirmed" or "rejected", or "superseded" when a
# later inspection of the shop comes to count first.
CONFIRMATION_STATES = ("pending", "confirmed", "rejected", "superseded")


class InspectionConfirmation(BaseModel):
    """The decision about an inspection that needed one, kept beside the inspection because
    the inspection row never changes. An inspection without one was recorded on site."""

    inspection = pw.ForeignKeyField(
        Inspection, backref="confirmations", unique=True, on_delete="RESTRICT"
    )
    state = pw.CharField(max_length=16, default="pending", index=True)
    # The order the inspector asked for, made only once the inspection is confirmed.
    rectify_by = pw.DateField(null=True)
    requirements = pw.TextField(null=True)
    decided_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
    decided_at = UTCDateTimeField(null=True)
    reason = pw.TextField(null=True)
    # The lifecycle event that decided it (confirmed, rejected, or the superseding one).
    event_seq = pw.IntegerField(null=True)


def counted() -> pw.Expression:
    """Inspections that count for the shop's public state: recorded on site, or confirmed."""
    waiting_or_refused = InspectionConfirmation.select(InspectionConfirmation.inspection).where(
        InspectionConfirmation.state != "confirmed"
    )
    return Inspection.id.not_in(waiting_or_refused)


class Finding(BaseModel):
    inspection = pw.ForeignKeyField(Inspection, backref="findings", on_delete="RESTRICT")
    code = pw.CharField(max_length=32)
    severity = pw.CharField(max_length=16)
    note = pw.TextField(null=True)
    photo = pw.ForeignKeyField(Upload, null=True, on_delete="SET NULL")


class InspectionCorrection(BaseModel):
    inspection = pw.ForeignKeyField(Inspection, backref="corrections", on_delete="RESTRICT")
    staff = pw.ForeignKeyField(StaffAccount, on_delete="RESTRICT")
    note = pw.TextField()
    corrected_result = pw.CharField(max_length=32, null=True)
    # An appeal decided "changed" corrects the score, and so the grade.
    corrected_score = pw.SmallIntegerField(null=True)
    corrected_grade = pw.CharField(max_length=1, null=True)
    event_seq = pw.IntegerField()
    created_at = UTCDateTimeField(default=created_now)


def corrected_results(inspection_ids: list[int]) -> dict[int, str]:
    """The result the latest correction gives each inspection that one corrected (the
    inspection row itself never changes), in one query."""
    rows = (
        InspectionCorrection.select(
            InspectionCorrection.inspection, InspectionCorrection.corrected_result
        )
        .where(
            InspectionCorrection.inspection.in_(inspection_ids)
            & InspectionCorrection.corrected_result.is_null(False)
        )
        .order_by(InspectionCorrection.id)
        .tuples()
    )
    return dict(rows)  # in id order: the latest correction of each is the one kept


def corrected_grades(inspection_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The score and grade the latest correction of each gives, for those it changed."""
    rows = (
        InspectionCorrection.select(
            InspectionCorrection.inspection,
            InspectionCorrection.corrected_score,
            InspectionCorrection.corrected_grade,
        )
        .where(
            InspectionCorrection.inspection.in_(inspection_ids)
            & InspectionCorrection.corrected_score.is_null(False)
        )
        .order_by(InspectionCorrection.id)
        .tuples()
    )
    return {inspection: (score, grade) for inspection, score, grade in rows}


# "withdrawn": a correction found the inspection a pass, so there was nothing to put right.
ORDER_STATUSES = ("open", "submitted", "closed", "withdrawn")
OPEN_ORDER_STATUSES = ("open", "submitted")
# "withdrawn": the order was withdrawn while the evidence waited, so no inspector will decide it.
SUBMISSION_DECISIONS = ("verified", "rejected", "withdrawn")


class RectificationOrder(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="rectifications", on_delete="RESTRICT")
    inspection = pw.ForeignKeyField(Inspection, backref="rectifications", on_delete="RESTRICT")
    status = pw.CharField(max_length=16, default="open", index=True)
    deadline = pw.DateField(index=True)
    requirements = pw.TextField()
    overdue = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(default=created_now)
    closed_at = UTCDateTimeField(null=True)


class RectificationSubmission(BaseModel):
    order = pw.ForeignKeyField(RectificationOrder, backref="submissions", on_delete="RESTRICT")
    submitted_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    text = pw.TextField()
    photos = pw.TextField(default="[]")
    created_at = UTCDateTimeField(default=created_now)
    decision = pw.CharField(max_length=16, null=True)
    decided_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
    decided_at = UTCDateTimeField(null=True)
    reason = pw.TextField(null=True)
