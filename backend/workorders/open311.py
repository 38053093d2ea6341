"""Open311 GeoReport v2: our categories as its services, a client's request as a work
order (source open311), and every order as a service request anyone may read, in the
standard's own field names. What a GET shows holds no personal data: no reporter, the
description with phone numbers and the like masked, and for what a resident raised
(reports, complaints) no description at all and the place to about 100 m."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import peewee as pw

from backend import clock, geo, masking, scope
from backend.db import write_transaction
from backend.errors import Forbidden, Invalid, NotFound
from backend.models import ClientKey, Department, Region, ServiceCategory, Shop, WorkOrder
from backend.models.workorders import PROCEDURE_CATEGORIES
from backend.workorders import orders

OPEN = ("received", "dispatched", "returned", "signed", "in_progress")
RAISED_BY_RESIDENTS = ("report", "complaint")
DEFAULT_DAYS = 90
MOST = 1000
# A request's place, when no attribute names a community: the nearest open shop's region
# within this distance, inside the client's region.
NEAREST_SHOP_METRES = 500


def services() -> list[dict]:
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description,
            "metadata": True,
            "type": "realtime",
            "keywords": c.group,
            "group": c.group,
        }
        for c in ServiceCategory.select()
        .where(ServiceCategory.code.not_in(PROCEDURE_CATEGORIES))
        .order_by(ServiceCategory.id)
    ]


def definition(code: str) -> dict:
    known = ServiceCategory.select().where(ServiceCategory.code == code).exists()
    if not known or code in PROCEDURE_CATEGORIES:
        raise NotFound("no such service", key="service_not_found")
    communities = Region.select().where(Region.level == "community").order_by(Region.code)
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "community",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "问题所在的社区；不填时按位置就近确定",
                "order": 1,
                "description": "所在社区",
                "values": [{"key": r.code, "name": r.name} for r in communities],
            }
        ],
    }


def submit(client: ClientKey | None, data: dict) -> WorkOrder:
    if client is None:
        raise Forbidden("api_key is missing, unknown or revoked", key="api_key_invalid")
    with write_transaction():
        category = ServiceCategory.get_or_none(ServiceCategory.code == data["service_code"])
        if category is None or category.code in PROCEDURE_CATEGORIES:
            raise Invalid.field("service_code", "no such service", key="service_not_found")
        if data.get("lat") is None and not data.get("address_string"):
            raise Invalid.field("lat", "a place is needed: lat and long, or address_string")
        region = _region(client, data)
        order = orders.open_order(
            source="open311",
            category=category,
            region=region,
            description=(data.get("description") or category.name).strip(),
            actor=f"open311:{client.id}",
            location={
                "lat": data.get("lat"),
                "lng": data.get("long"),
                "address": data.get("address_string"),
            },
        )
        order.open311_token = secrets.token_hex(8)
        order.media_url = data.get("media_url")
        order.save()
    return order


def _region(client: ClientKey, data: dict) -> Region:
    home = Region.get_by_id(client.region_id)
    named = (data.get("attribute") or {}).get("community")
    if named:
        region = Region.get_or_none((Region.code == named) & (Region.level == "community"))
        if region is None or not home.covers(region.path):
            raise Invalid.field("attribute[community]", "no such community here")
        return region
    if data.get("lat") is None:
        return home
    shops = Shop.select(Shop.region_path, Shop.lat, Shop.lng).where(
        scope.under(Shop.region_path, home.path)
        & (Shop.status == "active")
        & geo.around(Shop.lat, Shop.lng, data["lat"], data["long"], NEAREST_SHOP_METRES)
    )
    near = geo.nearest(shops, data["lat"], data["long"], NEAREST_SHOP_METRES)
    return Region.get(Region.path == near[0][1].region_path) if near else home


# -- reading ---------------------------------------------------------------------------
def _readable() -> pw.ModelSelect:
    return (
        WorkOrder.select(WorkOrder, ServiceCategory, Department)
        .join(ServiceCategory)
        .switch(WorkOrder)
        .join(Department, pw.JOIN.LEFT_OUTER)
    )


def find(filters: dict) -> list[dict]:
    query = _readable()
    if filters.get("service_request_id"):
        ids = [i.strip() for i in filters["service_request_id"].split(",") if i.strip()]
        return [shown(o) for o in query.where(WorkOrder.number.in_(ids[:MOST]))]
    end = filters.get("end_date") or clock.now()
    start = filters.get("start_date") or end - timedelta(days=DEFAULT_DAYS)
    query = query.where((WorkOrder.created_at >= start) & (WorkOrder.created_at <= end))
    if filters.get("service_code"):
        codes = [c.strip() for c in filters["service_code"].split(",")]
        query = query.where(ServiceCategory.code.in_(codes))
    statuses = {s.strip() for s in (filters.get("status") or "").split(",") if s.strip()}
    if statuses == {"open"}:
        query = query.where(WorkOrder.state.in_(OPEN))
    elif statuses == {"closed"}:
        query = query.where(WorkOrder.state.not_in(OPEN))
    query = query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(MOST)
    return [shown(order) for order in query]


def one(number: str) -> dict:
    order = _readable().where(WorkOrder.number == number).first()
    if order is None:
        raise NotFound("no such service request", key="service_request_not_found")
    return shown(order)


def token(value: str) -> dict:
    order = WorkOrder.get_or_none(WorkOrder.open311_token == value)
    if order is None:
        raise NotFound("no such token", key="token_not_found")
    return {"service_request_id": order.number, "token": value}


def shown(order: WorkOrder) -> dict:
    private = order.source in RAISED_BY_RESIDENTS
    closed = order.state not in OPEN
    return {
        "service_request_id": order.number,
        "status": "closed" if closed else "open",
        "status_notes": _notes(order) if closed else None,
        "service_name": order.category.name,
        "service_code": order.category.code,
        "description": None if private else masking.free_text(order.description),
        "agency_responsible": order.department.name if order.department_id else None,
        "service_notice": _notice(order),
        "requested_datetime": order.created_at,
        "updated_datetime": _updated(order),
        "expected_datetime": order.resolve_due_at,
        "address": None if private else order.address,
        "address_id": None,
        "zipcode": None,
        "lat": _rounded(order.lat, private),
        "long": _rounded(order.lng, private),
        "media_url": order.media_url,
    }


def posted(order: WorkOrder) -> dict:
    """What a client is answered when it posts: the request's id, a token to follow it
    by, and the time it has; no account is kept for the client's user."""
    return {
        "service_request_id": order.number,
        "token": order.open311_token,
        "service_notice": _notice(order),
        "account_id": None,
    }


def _notice(order: WorkOrder) -> str:
    return f"{order.category.resolve_working_days} 个工作日内办结"


def _notes(order: WorkOrder) -> str | None:
    if order.state == "merged":
        return f"已并入工单 {order.merged_into.number}"
    return masking.free_text(order.result)


def _updated(order: WorkOrder) -> datetime:
    moments = [order.created_at, order.dispatched_at, order.signed_at, order.resolved_at]
    return max(m for m in [*moments, order.closed_at] if m is not None)


def _rounded(value: float | None, private: bool) -> float | None:
    return round(value, 3) if private and value is not None else value
