"""Input and output of the sign-in endpoints and /me."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


class LoginRequest(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "the js_code from wx.login() in the mini-program"},
    )


class TokenPair(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds"})
    refresh_token = ma.fields.String(required=True)
    refresh_expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds"})


class RefreshRequest(ma.Schema):
    refresh_token = ma.fields.String(required=True, validate=validate.Length(min=16, max=128))


class BindStaffRequest(ma.Schema):
    binding_code = ma.fields.String(required=True, validate=validate.Length(min=6, max=64))


class RegionBrief(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    path = ma.fields.String()


class StaffBrief(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()
    region = ma.fields.Nested(RegionBrief)
    department = ma.fields.Function(lambda s: s.department.name if s.department else None)


class MyShop(ma.Schema):
    id = ma.fields.String(attribute="shop.public_id")
    name = ma.fields.String(attribute="shop.name")
    status = ma.fields.String(attribute="shop.status")
    role = ma.fields.String()


class Me(ma.Schema):
    id = ma.fields.Integer()
    display_name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "your own, unmasked"})
    roles = ma.fields.List(ma.fields.String(), metadata={"example": ["resident", "shopkeeper"]})
    shops = ma.fields.List(ma.fields.Nested(MyShop))
    staff = ma.fields.Nested(StaffBrief, allow_none=True)
