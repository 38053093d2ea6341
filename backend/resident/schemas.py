"""Input and output of the resident API (account, membership, code, ratings, complaints)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.fields import Line, Text
from backend.models.ratings import COMPLAINT_CATEGORIES
from backend.models.workorders import RATINGS


class JoinRequest(ma.Schema):
    code = ma.fields.String(
        required=True,
        metadata={"description": "the community code's id (or the whole scanned URL)"},
    )


class MembershipOut(ma.Schema):
    id = ma.fields.Integer()
    community = ma.fields.String(attribute="community.code")
    community_name = ma.fields.String(attribute="community.name")
    status = ma.fields.String(metadata={"enum": ["pending", "approved", "rejected", "left"]})
    note = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class PhoneBinding(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "from the getPhoneNumber button"},
    )


class DisplayNameChange(ma.Schema):
    display_name = Line(required=True, validate=validate.Length(min=1, max=40))


class ProfileOut(ma.Schema):
    """Your own profile: nothing masked."""

    id = ma.fields.Integer()
    display_name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class ResidentCodeOut(ma.Schema):
    code = ma.fields.String(metadata={"description": "SQR1: + compact ES256 JWS"})
    expires_at = ma.fields.DateTime()
    refresh_in = ma.fields.Integer(metadata={"description": "seconds until the app should refresh"})


class RatingIn(ma.Schema):
    rating_ticket = ma.fields.String(
        load_default=None,
        metadata={"description": "from scanning the shop's code (valid 24 hours)"},
    )
    stars = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    text = Text(load_default=None, validate=validate.Length(max=500))
    tags = ma.fields.List(
        Line(validate=validate.Length(min=1, max=12)),
        load_default=list,
        validate=validate.Length(max=5),
    )


class ComplaintIn(ma.Schema):
    rating_ticket = ma.fields.String(
        load_default=None,
        metadata={
            "description": "from scanning the shop's code (valid 24 hours); "
            "not needed once WeChat has verified my phone number"
        },
    )
    category = ma.fields.String(required=True, validate=validate.OneOf(list(COMPLAINT_CATEGORIES)))
    # Trimmed before it is measured: five spaces are not a complaint, and it counts in the grade.
    text = Text(required=True, validate=validate.Length(min=5, max=1000))


class SatisfactionIn(ma.Schema):
    rating = ma.fields.String(
        required=True,
        validate=validate.OneOf(list(RATINGS)),
        metadata={
            "description": "满意 satisfied, 基本满意 basically_satisfied, 不满意 unsatisfied"
        },
    )
    comment = Text(load_default=None, validate=validate.Length(max=500))


class ReopeningIn(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=500))
