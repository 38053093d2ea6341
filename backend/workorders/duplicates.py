"""The same problem reported twice: open orders of the same category within 50 m made in
the 7 days before an order, suggested to its dispatcher, nearest first. Merging one
into another (transitions.merge) keeps both histories."""

from __future__ import annotations

from datetime import timedelta

from backend import geo
from backend.models import StaffAccount, WorkOrder
from backend.models.workorders import OPEN_STATES
from backend.workorders import orders

NEAR_METRES = 50
WITHIN = timedelta(days=7)
# About 55 m of latitude, and of longitude this far south: the box the index narrows to.
BOX_LAT, BOX_LNG = 0.0005, 0.0006


def suggested(staff: StaffAccount, number: str) -> list[WorkOrder]:
    order = orders.find(staff, number)
    if order.lat is None:
        return []
    candidates = orders.visible(staff).where(
        (WorkOrder.category == order.category_id)
        & WorkOrder.state.in_(OPEN_STATES)
        & (WorkOrder.id != order.id)
        & (WorkOrder.created_at >= order.created_at - WITHIN)
        & WorkOrder.lat.between(order.lat - BOX_LAT, order.lat + BOX_LAT)
        & WorkOrder.lng.between(order.lng - BOX_LNG, order.lng + BOX_LNG)
    )
    near = []
    for candidate in candidates:
        candidate.distance_m = round(
            geo.distance_m(order.lat, order.lng, candidate.lat, candidate.lng)
        )
        if candidate.distance_m <= NEAR_METRES:
            near.append(candidate)
    return sorted(near, key=lambda c: c.distance_m)
