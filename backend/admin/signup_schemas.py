"""Input and output of the staff's side of bookings and registration forms."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend import masking
from backend.community.schemas import EventSummary, FormOut
from backend.fields import Line, Moment
from backend.i18n import N_, Reason
from backend.models.community import FIELD_TYPES

FIELD_NAME = validate.Regexp(
    r"^[A-Za-z][A-Za-z0-9_]{0,31}$",
    error=Reason(N_("letters, digits and _; starting with a letter"), "invalid_field_name"),
)


class SlotIn(ma.Schema):
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    capacity = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=100000))


class EventIn(ma.Schema):
    region = ma.fields.String(
        required=True,
        metadata={"description": "code of the region it is for: mine or one below it"},
    )
    title = Line(required=True, validate=validate.Length(min=2, max=100))
    description = ma.fields.String(load_default=None, validate=validate.Length(max=2000))
    per_resident = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    slots = ma.fields.List(
        ma.fields.Nested(SlotIn), required=True, validate=validate.Length(min=1, max=200)
    )


class StaffSlotOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    capacity = ma.fields.Integer()
    booked = ma.fields.Integer()
    remaining = ma.fields.Function(
        lambda s: max(s.capacity - s.booked, 0), metadata={"type": "integer"}
    )


class StaffEventOut(EventSummary):
    slots = ma.fields.List(ma.fields.Nested(StaffSlotOut), attribute="slot_list")


class MaskedResident(ma.Schema):
    """Who booked, as staff see them: enough to recognise at the hand-out, not to copy."""

    name = ma.fields.Function(
        lambda u: masking.name(u.display_name) if u.display_name else "居民",
        metadata={"type": "string", "description": "masked: 张*"},
    )
    phone = ma.fields.Function(
        lambda u: masking.phone(u.phone),
        metadata={"type": "string", "nullable": True, "description": "masked: 138****5678"},
    )


class StaffBookingOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    slot_id = ma.fields.String(attribute="slot.public_id")
    starts_at = ma.fields.DateTime(attribute="slot.starts_at")
    resident = ma.fields.Nested(MaskedResident, attribute="user")
    created_at = ma.fields.DateTime()


class FormFieldIn(ma.Schema):
    name = Line(required=True, validate=FIELD_NAME)
    label = Line(required=True, validate=validate.Length(min=1, max=50))
    type = ma.fields.String(required=True, validate=validate.OneOf(list(FIELD_TYPES)))
    required = ma.fields.Boolean(load_default=False)
    # Trimmed as the resident's answer is, or a choice typed with a space could not be chosen.
    choices = ma.fields.List(
        Line(validate=validate.Length(min=1, max=50)),
        load_default=None,
        validate=validate.Length(max=50),
    )
    personal = ma.fields.Boolean(
        load_default=False, metadata={"description": "masked for staff; phone fields always are"}
    )


class FormIn(ma.Schema):
    region = ma.fields.String(
        required=True,
        metadata={"description": "code of the region it is for: mine or one below it"},
    )
    title = Line(required=True, validate=validate.Length(min=2, max=100))
    description = ma.fields.String(load_default=None, validate=validate.Length(max=2000))
    fields = ma.fields.List(
        ma.fields.Nested(FormFieldIn), required=True, validate=validate.Length(min=1, max=50)
    )
    closes_at = Moment(load_default=None)


class StaffFormOut(FormOut):
    submissions = ma.fields.Integer(
        attribute="submission_count", metadata={"description": "submissions in my scope"}
    )


class SubmissionOut(ma.Schema):
    id = ma.fields.Integer()
    community = ma.fields.String()
    community_name = ma.fields.String()
    answers = ma.fields.Dict(
        metadata={
            "description": "field name → answer; personal answers masked unless unmasked=true"
        }
    )
    submitted_at = ma.fields.DateTime()
