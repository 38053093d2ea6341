"""Input and output of the staff API."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.merchant.schemas import ShopOut, ShopRequestOut  # noqa: F401  (shared views)
from backend.models.shops import REQUEST_STATUSES


class RequestFilter(ma.Schema):
    status = ma.fields.String(load_default="pending",
                              validate=validate.OneOf(list(REQUEST_STATUSES)))


class Rejection(ma.Schema):
    note = ma.fields.String(required=True, validate=validate.Length(min=2, max=300),
                            metadata={"description": "why, shown to the applicant"})


class StatusChange(ma.Schema):
    status = ma.fields.String(required=True,
                              validate=validate.OneOf(["active", "suspended", "closed"]))
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=300))


class PrintFormat(ma.Schema):
    format = ma.fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "zip"]))
