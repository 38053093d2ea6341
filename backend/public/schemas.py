"""What the public API reads and answers with: the shop search, and RFC 7946 GeoJSON
field for field."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.fields import Line
from backend.i18n import reason
from backend.inspections.scoring import GRADES
from backend.opendata.search import AWAITING_GRADE, SORTS
from backend.shops.facts import CATEGORIES


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
    grade = ma.fields.String(
        allow_none=True,
        metadata={"description": "动态等级: A 良好, B 一般, C 较差; null: 待评级"},
    )
    grade_label = ma.fields.String()
    grade_meaning = ma.fields.String(allow_none=True)
    grade_score = ma.fields.Integer(allow_none=True, metadata={"description": "0–100"})
    annual_grade = ma.fields.String(
        allow_none=True, metadata={"description": "年度等级 of the last 12 months; null: 待评级"}
    )
    new_rating_pending = ma.fields.Boolean(
        metadata={"description": "an appeal of the grade is open (复核中)"}
    )
    right_to_reply = ma.fields.String(
        allow_none=True, metadata={"description": "the owner's statement (商户自述，未经核实)"}
    )
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
    grade = ma.fields.String(
        load_default=None,
        validate=validate.OneOf([*GRADES, AWAITING_GRADE]),
        metadata={"description": "动态等级 A, B or C; awaiting: 待评级 (never inspected)"},
    )
    inspected_since = ma.fields.Date(load_default=None)
    lat = ma.fields.Float(
        load_default=None,
        validate=validate.Range(min=3.8, max=53.6),
        metadata={"description": "GCJ-02, as WeChat's wx.getLocation gives it"},
    )
    lng = ma.fields.Float(load_default=None, validate=validate.Range(min=73.5, max=135.1))
    radius_m = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=5000))
    sort = ma.fields.String(
        load_default=None,
        validate=validate.OneOf(list(SORTS)),
        metadata={
            "description": "default: distance near a place, registered (first registered "
            "first) with q, else name"
        },
    )

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


class AnnualGrade(ma.Schema):
    value = ma.fields.String(allow_none=True, metadata={"description": "null: 待评级"})
    meaning = ma.fields.String()
    score = ma.fields.Integer(
        allow_none=True, metadata={"description": "the average of the 12 months' scores"}
    )
    inspections = ma.fields.Integer(metadata={"description": "how many it rests on"})


class GradedInspection(ma.Schema):
    date = ma.fields.String(metadata={"format": "date", "description": "the day in Shanghai"})
    grade = ma.fields.String()
    score = ma.fields.Integer()


class Appeal(ma.Schema):
    label = ma.fields.String(metadata={"description": "复核中"})
    filed_on = ma.fields.String(metadata={"format": "date"})


class Reply(ma.Schema):
    text = ma.fields.String(metadata={"description": "as published, personal data masked"})
    date = ma.fields.String(metadata={"format": "date"})
    note = ma.fields.String(metadata={"description": "商户自述，未经核实"})


class Grade(ma.Schema):
    """The public grade, from inspections alone (the regulator's risk grade is not here)."""

    value = ma.fields.String(
        allow_none=True,
        metadata={"description": "动态等级: A 良好, B 一般, C 较差; null: 待评级"},
    )
    label = ma.fields.String(metadata={"description": "食品安全等级, 经营规范等级 …"})
    meaning = ma.fields.String(metadata={"description": "良好, 一般, 较差 or 待评级"})
    face = ma.fields.String(allow_none=True, metadata={"enum": ["笑脸", "平脸", "哭脸", None]})
    score = ma.fields.Integer(allow_none=True, metadata={"description": "0–100"})
    annual = ma.fields.Nested(AnnualGrade, metadata={"description": "年度等级"})
    history = ma.fields.Nested(
        GradedInspection, many=True, metadata={"description": "the latest three, newest first"}
    )
    appeal = ma.fields.Nested(
        Appeal,
        allow_none=True,
        metadata={"description": "an appeal of the grade, open: the grade is shown marked 复核中"},
    )
    reply = ma.fields.Nested(
        Reply, allow_none=True, metadata={"description": "the owner's reply (right to reply)"}
    )
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
    score = ma.fields.Integer(allow_none=True, metadata={"description": "0–100"})
    grade = ma.fields.String(
        allow_none=True, metadata={"description": "动态等级; null for one a feed brought in"}
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


class GradeMeaning(ma.Schema):
    value = ma.fields.String(metadata={"enum": ["A", "B", "C"]})
    meaning = ma.fields.String(metadata={"description": "良好, 一般, 较差"})
    face = ma.fields.String(metadata={"description": "笑脸, 平脸, 哭脸"})
    colour = ma.fields.String(metadata={"enum": ["green", "yellow", "red"]})


class ScoredItem(ma.Schema):
    code = ma.fields.String()
    text = ma.fields.String()
    points = ma.fields.Integer()
    key = ma.fields.Boolean(metadata={"description": "a key item (关键项)"})


class Cutoffs(ma.Schema):
    A = ma.fields.Integer(metadata={"description": "a score at or above it is 良好"})
    B = ma.fields.Integer(metadata={"description": "at or above it 一般; below it 较差"})


class RuleVersion(ma.Schema):
    version = ma.fields.Integer()
    effective_from = ma.fields.String(metadata={"format": "date"})
    cutoffs = ma.fields.Nested(Cutoffs)
    key_failures_to_worst = ma.fields.Integer(
        metadata={"description": "this many failed key items give 较差 whatever the score"}
    )
    items = ma.fields.Nested(ScoredItem, many=True)


class ScoredTemplate(ma.Schema):
    template = ma.fields.String()
    title = ma.fields.String()
    categories = ma.fields.List(ma.fields.String())
    versions = ma.fields.Nested(RuleVersion, many=True, metadata={"description": "oldest first"})


class GradingRules(ma.Schema):
    grades = ma.fields.Nested(GradeMeaning, many=True)
    awaiting = ma.fields.String(
        metadata={"description": "what a shop with no counted inspection shows"}
    )
    annual_window_days = ma.fields.Integer(
        metadata={"description": "the 年度等级 averages the scores of this many days"}
    )
    templates = ma.fields.Nested(ScoredTemplate, many=True)
