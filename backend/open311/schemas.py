"""GeoReport v2's documents, field for field (wiki.open311.org/GeoReport_v2)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.fields import Line, Text

WEB_ADDRESS = r"^https?://[^\s/?#]+\S*$"


class Open311Error(ma.Schema):
    code = ma.fields.Integer()
    description = ma.fields.String()


class Endpoint(ma.Schema):
    specification = ma.fields.String()
    url = ma.fields.String()
    changeset = ma.fields.String()
    type = ma.fields.String()
    formats = ma.fields.List(ma.fields.String())


class Discovery(ma.Schema):
    changeset = ma.fields.String()
    contact = ma.fields.String()
    key_service = ma.fields.String()
    endpoints = ma.fields.Nested(Endpoint, many=True)


class Service(ma.Schema):
    service_code = ma.fields.String()
    service_name = ma.fields.String()
    description = ma.fields.String()
    metadata = ma.fields.Boolean()
    type = ma.fields.String(metadata={"enum": ["realtime", "batch", "blackbox"]})
    keywords = ma.fields.String()
    group = ma.fields.String()


class AttributeValue(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()


class Attribute(ma.Schema):
    variable = ma.fields.Boolean()
    code = ma.fields.String()
    datatype = ma.fields.String()
    required = ma.fields.Boolean()
    datatype_description = ma.fields.String()
    order = ma.fields.Integer()
    description = ma.fields.String()
    values = ma.fields.Nested(AttributeValue, many=True)


class ServiceDefinition(ma.Schema):
    service_code = ma.fields.String()
    attributes = ma.fields.Nested(Attribute, many=True)


class RequestIn(ma.Schema):
    """POST requests.json. The person's own details (names, e-mail, phone, account and
    device ids) are taken and not kept: the client tells its user how it goes."""

    api_key = ma.fields.String(required=True, validate=validate.Length(max=100))
    jurisdiction_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    service_code = Line(required=True, validate=validate.Length(max=32))
    lat = ma.fields.Float(load_default=None, validate=validate.Range(min=3.8, max=53.6))
    long = ma.fields.Float(load_default=None, validate=validate.Range(min=73.5, max=135.1))
    address_string = Line(load_default=None, validate=validate.Length(max=255))
    address_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    community = Line(
        data_key="attribute[community]",
        load_default=None,
        validate=validate.Length(max=32),
        metadata={"description": "the service definition's attribute: a community code"},
    )
    email = ma.fields.String(load_default=None, validate=validate.Length(max=255))
    device_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    account_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    first_name = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    last_name = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    phone = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    description = Text(load_default=None, validate=validate.Length(max=4000))
    media_url = ma.fields.String(
        load_default=None,
        validate=[validate.Length(max=500), validate.Regexp(WEB_ADDRESS)],
        metadata={"pattern": WEB_ADDRESS, "description": "a picture's http(s) address"},
    )

    @ma.validates_schema
    def _both_or_neither(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("long") is None):
            raise ma.ValidationError("lat and long go together", "long")


class Posted(ma.Schema):
    service_request_id = ma.fields.String()
    token = ma.fields.String()
    service_notice = ma.fields.String()
    account_id = ma.fields.String(allow_none=True)


class RequestQuery(ma.Schema):
    jurisdiction_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    service_request_id = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "ids, comma-separated: the other filters are then ignored"},
    )
    service_code = ma.fields.String(load_default=None, validate=validate.Length(max=500))
    start_date = ma.fields.AwareDateTime(load_default=None)
    end_date = ma.fields.AwareDateTime(load_default=None)
    status = ma.fields.String(
        load_default=None, validate=validate.OneOf(["open", "closed", "open,closed", "closed,open"])
    )


class ServiceRequest(ma.Schema):
    service_request_id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["open", "closed"]})
    status_notes = ma.fields.String(allow_none=True)
    service_name = ma.fields.String()
    service_code = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    agency_responsible = ma.fields.String(allow_none=True)
    service_notice = ma.fields.String()
    requested_datetime = ma.fields.DateTime()
    updated_datetime = ma.fields.DateTime()
    expected_datetime = ma.fields.DateTime(allow_none=True)
    address = ma.fields.String(allow_none=True)
    address_id = ma.fields.String(allow_none=True)
    zipcode = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    long = ma.fields.Float(allow_none=True)
    media_url = ma.fields.String(allow_none=True)


class TokenAnswer(ma.Schema):
    service_request_id = ma.fields.String()
    token = ma.fields.String()
