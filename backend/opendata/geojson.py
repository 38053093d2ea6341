"""The shops as a map layer: an RFC 7946 FeatureCollection of the open shops in a box,
their points in WGS 84 (converted from the GCJ-02 we store), and on each only what the
sticker's page shows."""

from __future__ import annotations

import peewee as pw

from backend.errors import Invalid
from backend.models import Shop, ShopCode
from backend.opendata.coordinates import wgs84_from_gcj02
from backend.opendata.search import CURRENT_CODE, PUBLIC_STATUSES, page_url
from backend.shops import facts

MAX_FEATURES = 5000
# GCJ-02 moves a point by well under this many degrees anywhere in China: a box this
# much wider in GCJ-02 holds every shop whose WGS 84 point is in the box asked for.
WIDEST_SHIFT = 0.01


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """RFC 7946's bbox: west, south, east, north, in WGS 84 degrees."""
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        raise Invalid.field(
            "bbox", "four numbers: west,south,east,north", location="query", key="bad_bbox"
        ) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise Invalid.field(
            "bbox",
            "west before east and south before north, in degrees",
            location="query",
            key="bad_bbox",
        )
    return west, south, east, north


def layer(raw_bbox: str) -> dict:
    west, south, east, north = parse_bbox(raw_bbox)
    rows = list(
        Shop.select(
            Shop.public_id,
            Shop.name,
            Shop.category,
            Shop.address,
            Shop.status,
            *facts.GRADE_COLUMNS,
            Shop.lat,
            Shop.lng,
            ShopCode.code,
        )
        .join(ShopCode, pw.JOIN.LEFT_OUTER, on=CURRENT_CODE)
        .where(
            Shop.status.in_(PUBLIC_STATUSES)
            & Shop.lat.between(south - WIDEST_SHIFT, north + WIDEST_SHIFT)
            & Shop.lng.between(west - WIDEST_SHIFT, east + WIDEST_SHIFT)
        )
        .order_by(Shop.id)
        .limit(2 * MAX_FEATURES)
        .objects()
    )
    features = []
    for shop in rows:
        lat, lng = wgs84_from_gcj02(shop.lat, shop.lng)
        if south <= lat <= north and west <= lng <= east:
            features.append(_feature(shop, lat, lng))
    return {
        "type": "FeatureCollection",
        "features": features[:MAX_FEATURES],
        # More than fit, or the rows read stopped short of the box's last ones.
        "truncated": len(features) > MAX_FEATURES or len(rows) == 2 * MAX_FEATURES,
    }


def _feature(shop, lat: float, lng: float) -> dict:
    grade = facts.grade(shop)
    return {
        "type": "Feature",
        "id": shop.public_id,
        # RFC 7946: longitude first; six decimals are a tenth of a metre.
        "geometry": {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]},
        "properties": {
            "name": shop.name,
            "category": shop.category,
            "category_label": facts.CATEGORIES.get(shop.category),
            "address": shop.address,
            "status": shop.status,
            "status_label": facts.SHOP_STATUS_LABELS.get(shop.status),
            "grade": grade["value"],
            "grade_label": grade["label"],
            "grade_meaning": grade["meaning"],
            "grade_score": grade["score"],
            "annual_grade": grade["annual"]["value"],
            # As the UK's food hygiene API names them.
            "new_rating_pending": grade["appeal"] is not None,
            "right_to_reply": grade["reply"]["text"] if grade["reply"] else None,
            "page": page_url(shop.code),
        },
    }
