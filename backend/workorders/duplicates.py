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


def suggested(staff: StaffAccount, number: str) -> list[WorkOrder]:
    order = orders.find(staff, number)
    if order.lat is None:
        return []
    candidates = orders.visible(staff).where(
        (WorkOrder.category == order.category_id)
        & WorkOrder.state.in_(OPEN_STATES)
        & (WorkOrder.id != order.id)
        & (WorkOrder.created_at >= order.created_at - WITHIN)
        & geo.around(WorkOrder.lat, WorkOrder.lng, order.lat, order.lng, NEAR_METRES)
    )
    near = geo.nearest(candidates, order.lat, order.lng, NEAR_METRES)
    for distance, candidate in near:
        candidate.distance_m = round(distance)
    return [candidate for _, candidate in near]
