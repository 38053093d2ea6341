"""What the public API answers with: RFC 7946 GeoJSON, field for field."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


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
