"""Shapes more than one domain reads or answers with: a place, an uploaded photo, a picture's
size, an event of a shop's lifecycle record, an inspector's qualification tags; and a flag
read strictly."""

from __future__ import annotations

import json

import marshmallow as ma
from flask_smorest.fields import Upload as UploadField
from marshmallow import validate

from backend import masking
from backend.fields import Line


class Location(ma.Schema):
    """GCJ-02 coordinates, as WeChat's wx.getLocation({type: 'gcj02'}) returns them."""

    lat = ma.fields.Float(required=True, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(required=True, validate=validate.Range(min=73.5, max=135.1))


class PhotoUpload(ma.Schema):
    file = UploadField(required=True, metadata={"description": "JPEG or PNG, at most 5 MB"})


class UploadOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    content_type = ma.fields.String()
    size = ma.fields.Integer()


class PngSize(ma.Schema):
    size = ma.fields.Integer(
        load_default=600,
        validate=validate.Range(min=150, max=3000),
        metadata={"description": "width in pixels"},
    )


class LifecycleEventOut(ma.Schema):
    seq = ma.fields.Integer()
    type = ma.fields.String()
    occurred_at = ma.fields.DateTime()
    actor = ma.fields.String()
    payload = ma.fields.Function(lambda e: json.loads(e.payload), metadata={"type": "object"})
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


class FreeText(ma.fields.String):
    """Text a person typed (a rating, a complaint, a report) as anyone but its author sees
    it: the phone numbers, ID-card numbers and e-mail addresses in it masked. A row read
    with audit.unmasked (a staff member's audited request) keeps it whole."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and not getattr(obj, "shown_whole", False):
            value = masking.free_text(value)
        return super()._serialize(value, attr, obj, **kwargs)


class UnmaskedQuery(ma.Schema):
    unmasked = ma.fields.Boolean(
        load_default=False, metadata={"description": "show personal data in full (audited)"}
    )


class Flag(ma.fields.Boolean):
    """true or false, as JSON writes them; marshmallow would also read 1, 0, "yes" and "on"
    as one, and a client that sends those has misread the schema."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def Qualifications(metadata: dict | None = None, **kwargs) -> ma.fields.List:  # noqa: N802  a field, named as one
    """An inspector's qualification tags (食品, 特种设备, …), or those a plan's pool needs:
    at most ten, each one line of up to 20 characters, kept once each."""
    return ma.fields.List(
        Line(validate=validate.Length(min=1, max=20)),
        validate=validate.Length(max=10),
        metadata={"example": ["食品", "特种设备"], **(metadata or {})},
        **kwargs,
    )
