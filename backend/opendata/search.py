"""The public search of shops, as the UK's food hygiene ratings API does it: by name or
address, category, street or community, grade, last inspection, or place and radius;
and one shop by id with its last three inspections. Only open and suspended shops, and
only what their sticker's page shows."""

from __future__ import annotations

from datetime import datetime, time

import peewee as pw
from flask import current_app

from backend import clock, codes, geo, scope
from backend.errors import Invalid, NotFound
from backend.models import (
    ImportedBusiness,
    ImportedFeed,
    ImportedInspection,
    Inspection,
    Region,
    Shop,
    ShopCode,
)
from backend.models.inspections import corrected_grades, corrected_results, counted
from backend.shops import facts, search_index

PUBLIC_STATUSES = ("active", "suspended")
SORTS = ("name", "grade", "distance", "inspected", "registered")
# The grade filter's word for a shop with no counted inspection (待评级).
AWAITING_GRADE = "awaiting"
INSPECTIONS_SHOWN = 3
Street, Community = Region.alias(), Region.alias()
# The shop's printed code in use, for a LEFT OUTER JOIN: a shop without one has no page.
CURRENT_CODE = (
    (ShopCode.shop == Shop.id) & ShopCode.revoked_at.is_null() & (ShopCode.kind == "shop")
)


def page_url(code: str | None) -> str | None:
    """The address its sticker prints, or None for a shop with no code in use."""
    return codes.printed_url(current_app.config["CITYCODE"].public_base_url, code) if code else None


def _shops() -> pw.ModelSelect:
    return (
        Shop.select(Shop, Street.name, Community.name, ShopCode.code)
        .join(Street, on=(Shop.street == Street.id), attr="street_row")
        .switch(Shop)
        .join(
            Community, pw.JOIN.LEFT_OUTER, on=(Shop.community == Community.id), attr="community_row"
        )
        .switch(Shop)
        .join(ShopCode, pw.JOIN.LEFT_OUTER, on=CURRENT_CODE, attr="current_code")
        .where(Shop.status.in_(PUBLIC_STATUSES))
    )


def region_named(code: str, field: str, location: str = "json") -> Region:
    """The region a caller without a scope names (the public, an operator): any of the
    district's; an unknown code is a 422 on `field`."""
    found = Region.get_or_none(Region.code == code)
    if found is None:
        raise Invalid.field(
            field, "no region with this code", location=location, key="unknown_region"
        )
    return found


def search(args: dict):
    """The shops found, as a query of their ids (the database pages and counts it) or a
    list of (id, metres or None): near a place nearest first, for words the first
    SEARCH_COUNT_CAP + 1 in the order they were registered; `items` makes a page of any."""
    query = Shop.select(Shop.id).where(Shop.status.in_(PUBLIC_STATUSES))
    if args.get("category"):
        query = query.where(Shop.category == args["category"])
    for field in ("street", "community"):
        if args.get(field):
            query = query.where(
                scope.under(
                    Shop.region_path, region_named(args[field], field, location="query").path
                )
            )
    if args.get("grade") == AWAITING_GRADE:
        query = query.where(Shop.grade.is_null())
    elif args.get("grade"):
        query = query.where(Shop.grade == args["grade"])
    if args.get("inspected_since"):
        since = datetime.combine(args["inspected_since"], time(0), tzinfo=clock.SHANGHAI)
        query = query.where(Shop.last_inspection_at >= since)
    near = args.get("lat") is not None
    sort = args.get("sort") or _default_sort(near, bool(args.get("q")))
    if sort == "distance" and not near:
        raise Invalid.field(
            "sort", "distance needs lat, lng and radius_m", location="query", key="needs_place"
        )
    if args.get("q") and sort == "registered" and not near:
        # One more than is counted, so that the page can say there are more.
        wanted = current_app.config["CITYCODE"].search_count_cap + 1
        return [(i, None) for i in search_index.first_holding(args["q"], query, wanted)]
    if args.get("q"):
        query = query.where(search_index.matching(args["q"]))
    if not near:
        return query.order_by(*_order(sort))
    lat, lng, radius = args["lat"], args["lng"], args["radius_m"]
    # Only the points are read for the few thousand shops in the box; whole rows only
    # for the page shown.
    box = query.select(Shop.id, Shop.lat, Shop.lng).where(
        geo.around(Shop.lat, Shop.lng, lat, lng, radius)
    )
    metres = {row.id: round(d) for d, row in geo.nearest(box.namedtuples(), lat, lng, radius)}
    if sort == "distance":
        return list(metres.items())
    ordered = query.where(Shop.id.in_(list(metres))).order_by(*_order(sort)).tuples()
    return [(shop_id, metres[shop_id]) for (shop_id,) in ordered] if metres else []


def items(page: list) -> list[dict]:
    """The public items of a page: of Shop rows holding their id, or of (id, metres)."""
    pairs = [(row.id, None) if isinstance(row, Shop) else row for row in page]
    found = {shop.id: shop for shop in _shops().where(Shop.id.in_([i for i, _ in pairs]))}
    return [item(found[shop_id], metres) for shop_id, metres in pairs if shop_id in found]


def _default_sort(near: bool, words: bool) -> str:
    """Nearest first near a place; for words, in the order the shops were registered: the
    index of character pairs hands its shops over in that order, so a page of a word that
    ten thousand shops hold is read without sorting them all (by name, it is not)."""
    if near:
        return "distance"
    return "registered" if words else "name"


def _order(sort: str) -> list:
    return {
        "name": [Shop.name, Shop.id],
        "grade": [Shop.grade.asc(nulls="LAST"), Shop.grade_score.desc(nulls="LAST"), Shop.id],
        "inspected": [Shop.last_inspection_at.desc(nulls="LAST"), Shop.id],
        "registered": [Shop.id],
    }.get(sort, [Shop.name, Shop.id])


def item(shop: Shop, metres: int | None = None) -> dict:
    code = getattr(getattr(shop, "current_code", None), "code", None)
    return {
        "id": shop.public_id,
        "name": shop.name,
        "address": shop.address,
        "category": shop.category,
        "category_label": facts.CATEGORIES.get(shop.category),
        "street": shop.street_row.name,
        "community": shop.community_row.name if shop.community_id else None,
        "status": shop.status,
        "status_label": facts.SHOP_STATUS_LABELS.get(shop.status),
        "grade": facts.grade(shop),
        "last_inspection": facts.last_inspection(shop),
        "open_rectifications": shop.open_rectifications,
        "location": {"lat": shop.lat, "lng": shop.lng, "datum": "GCJ-02"}
        if shop.lat is not None
        else None,
        "distance_m": metres,
        "page": page_url(code),
    }


def one(public_id: str) -> dict:
    shop = _shops().where(Shop.public_id == public_id).first()
    if shop is None:
        raise NotFound("shop not found", key="shop_not_found")
    ours = list(
        Inspection.select(
            Inspection.id,
            Inspection.recorded_at,
            Inspection.result,
            Inspection.score,
            Inspection.grade,
        )
        .where((Inspection.shop == shop.id) & counted())
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
        .limit(INSPECTIONS_SHOWN)
    )
    # A correction stands in for the result it corrected, as on the shop's own page.
    corrected = corrected_results([i.id for i in ours])
    regraded = corrected_grades([i.id for i in ours])
    imported = (
        ImportedInspection.select(ImportedInspection, ImportedFeed.name)
        .join(ImportedBusiness)
        .join(ImportedFeed)
        .where(ImportedInspection.shop == shop.id)
        .order_by(ImportedInspection.date.desc())
        .limit(INSPECTIONS_SHOWN)
    )
    past = [
        {
            "date": clock.local_date(i.recorded_at).isoformat(),
            "result": corrected.get(i.id, i.result),
            "result_label": facts.RESULT_LABELS.get(corrected.get(i.id, i.result)),
            "score": regraded.get(i.id, (i.score, i.grade))[0],
            "grade": regraded.get(i.id, (i.score, i.grade))[1],
            "source": None,
        }
        for i in ours
    ] + [
        {
            "date": i.date.isoformat(),
            "result": None,
            "result_label": i.description,
            "score": i.score,
            "grade": None,
            "source": i.business.feed.name,
        }
        for i in imported
    ]
    past.sort(key=lambda i: i["date"], reverse=True)  # stable: ours first on a shared day
    return {**item(shop), "inspections": past[:INSPECTIONS_SHOWN]}
