"""What the public API reads and answers with: the shop search, and RFC 7946 GeoJSON
field for field."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api import Line
from backend.i18n import reason
from backend.opendata.search import SORTS
from backend.shops.facts import CATEGORIES, GRADE_MEANINGS


class LayerQuery(ma.Schema):
    bbox = ma.fields.String(
        required=True,
        validate=validate.Length(max=100),
        metadata={
            "description": "west,south,east,north in WGS 84 degrees (RFC 7946 §5)",
            "example": "121.43,31.19,121.46,31.21",
        },
    )


class Point(ma.Schema):
    type = ma.fields.String(metadata={"enum": ["Point"]})
    coordinates = ma.fields.List(
        ma.fields.Float(),
        metadata={"description": "[longitude, latitude] in WGS 84, converted from GCJ-02"},
    )


class ShopProperties(ma.Schema):
    name = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.String(allow_none=True)
    address = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["active", "suspended"]})
    status_label = ma.fields.String(allow_none=True)
    grade = ma.fields.String(metadata={"description": "A best … D worst"})
    grade_label = ma.fields.String()
    grade_meaning = ma.fields.String(allow_none=True)
    page = ma.fields.String(allow_none=True, metadata={"description": "the sticker's page"})


class ShopFeature(ma.Schema):
    type = ma.fields.String(metadata={"enum": ["Feature"]})
    id = ma.fields.String()
    geometry = ma.fields.Nested(Point)
    properties = ma.fields.Nested(ShopProperties)


class ShopLayer(ma.Schema):
    type = ma.fields.String(metadata={"enum": ["FeatureCollection"]})
    features = ma.fields.Nested(ShopFeature, many=True)
    truncated = ma.fields.Boolean(
        metadata={"description": "more than 5,000 shops in the box: ask for a smaller one"}
    )


class ShopSearch(ma.Schema):
    q = Line(
        load_default=None,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "any part of the name or address, e.g. 面馆, 天平路"},
    )
    category = ma.fields.String(load_default=None, validate=validate.OneOf(list(CATEGORIES)))
    street = Line(load_default=None, validate=validate.Length(max=32))
    community = Line(load_default=None, validate=validate.Length(max=32))
    grade = ma.fields.String(load_default=None, validate=validate.OneOf(list(GRADE_MEANINGS)))
    inspected_since = ma.fields.Date(load_default=None)
    lat = ma.fields.Float(
        load_default=None,
        validate=validate.Range(min=3.8, max=53.6),
        metadata={"description": "GCJ-02, as WeChat's wx.getLocation gives it"},
    )
    lng = ma.fields.Float(load_default=None, validate=validate.Range(min=73.5, max=135.1))
    radius_m = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=5000))
    sort = ma.fields.String(load_default=None, validate=validate.OneOf(list(SORTS)))

    @ma.validates_schema
    def _a_place_is_three_numbers(self, data, **kwargs):
        given = [name for name in ("lat", "lng", "radius_m") if data.get(name) is not None]
        if given and len(given) < 3:
            missing = [n for n in ("lat", "lng", "radius_m") if n not in given]
            raise ma.ValidationError(
                reason("place_incomplete", "lat, lng and radius_m go together"), missing[0]
            )


class StoredLocation(ma.Schema):
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    datum = ma.fields.String(metadata={"enum": ["GCJ-02"]})


class Grade(ma.Schema):
    value = ma.fields.String()
    label = ma.fields.String()
    meaning = ma.fields.String(allow_none=True)
    legend = ma.fields.String()


class InspectionSummary(ma.Schema):
    date = ma.fields.String(metadata={"format": "date", "description": "the day in Shanghai"})
    result = ma.fields.String()
    result_label = ma.fields.String(allow_none=True)
    rectification = ma.fields.String(allow_none=True)


class PublicShop(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    address = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.String(allow_none=True)
    street = ma.fields.String()
    community = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["active", "suspended"]})
    status_label = ma.fields.String(allow_none=True)
    grade = ma.fields.Nested(Grade)
    last_inspection = ma.fields.Nested(InspectionSummary, allow_none=True)
    open_rectifications = ma.fields.Integer()
    location = ma.fields.Nested(StoredLocation, allow_none=True)
    distance_m = ma.fields.Integer(allow_none=True, metadata={"description": "near a place"})
    page = ma.fields.String(allow_none=True, metadata={"description": "the sticker's page"})


class PastInspection(ma.Schema):
    date = ma.fields.String(metadata={"format": "date", "description": "the day in Shanghai"})
    result = ma.fields.String(
        allow_none=True, metadata={"description": "ours; null for one a feed brought in"}
    )
    result_label = ma.fields.String(allow_none=True)
    score = ma.fields.Integer(
        allow_none=True, metadata={"description": "an imported inspection's score (0–100)"}
    )
    source = ma.fields.String(
        allow_none=True,
        metadata={"description": "the feed an imported inspection came from; null for ours"},
    )


class PublicShopDetail(PublicShop):
    inspections = ma.fields.Nested(
        PastInspection,
        many=True,
        metadata={
            "description": "the last three, newest first, ours and those imported from the "
            "records the district kept before"
        },
    )
