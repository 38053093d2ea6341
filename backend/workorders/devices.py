"""Events from devices (an AI camera seeing street vending outside a shopfront, exposed
litter, a blocked fire lane): a detection opens a dispatched order; a later "cleared" of
the same type within 30 m closes it, verified by the device. Each event is taken once per
the device's own id: sent again, it answers what it did the first time."""

from __future__ import annotations

from backend import clock, geo
from backend.db import write_transaction
from backend.errors import Unauthorized
from backend.models import ClientKey, DeviceEvent, Region, ServiceCategory, WorkOrder
from backend.models.workorders import OPEN_STATES
from backend.workorders import history, orders

# A device's event type → the category of the order it opens.
EVENT_CATEGORIES = {
    "street_vending": "street_vending",
    "litter": "litter",
    "fire_lane_blocked": "fire_lane",
}
CLEARED_WITHIN_METRES = 30
DESCRIPTIONS = {
    "street_vending": "设备发现店外占道经营",
    "litter": "设备发现暴露垃圾",
    "fire_lane_blocked": "设备发现消防通道被堵塞",
}


def receive(device: ClientKey | None, data: dict) -> tuple[DeviceEvent, bool]:
    """(the event as recorded, whether this call recorded it)."""
    if device is None:
        raise Unauthorized("a valid device key is needed", key="device_key_invalid")
    with write_transaction():
        seen = DeviceEvent.get_or_none(
            (DeviceEvent.device == device) & (DeviceEvent.event_id == data["event_id"])
        )
        if seen is not None:
            return seen, False
        event = DeviceEvent.create(
            device=device,
            event_id=data["event_id"],
            type=data["type"],
            status=data["status"],
            lat=data["location"]["lat"],
            lng=data["location"]["lng"],
            occurred_at=data.get("occurred_at") or clock.now(),
        )
        actor = f"device:{device.id}"
        if data["status"] == "detected":
            event.order = _open(device, event, actor)
        else:
            event.order = _clear(device, event, actor)
        event.save()
    return event, True


def _open(device: ClientKey, event: DeviceEvent, actor: str) -> WorkOrder:
    region = Region.get_by_id(device.region_id)
    return orders.open_order(
        source="device",
        category=ServiceCategory.get(ServiceCategory.code == EVENT_CATEGORIES[event.type]),
        region=region,
        description=f"{DESCRIPTIONS[event.type]}（{device.name}）",
        actor=actor,
        location={"lat": event.lat, "lng": event.lng},
    )


def _clear(device: ClientKey, event: DeviceEvent, actor: str) -> WorkOrder | None:
    """The nearest open order this device's detections of the type opened within 30 m,
    closed as verified by the device; None when there is none."""
    candidates = (
        WorkOrder.select()
        .join(DeviceEvent, on=(DeviceEvent.order == WorkOrder.id))
        .where(
            (DeviceEvent.device == device)
            & (DeviceEvent.type == event.type)
            & (DeviceEvent.status == "detected")
            & WorkOrder.state.in_(OPEN_STATES)
        )
    )
    near = geo.nearest(candidates, event.lat, event.lng, CLEARED_WITHIN_METRES)
    if not near:
        return None
    order = near[0][1]
    now = clock.now()
    order.state, order.resolved_at, order.closed_at = "closed", now, now
    order.result = "设备核查：问题已消除"
    orders.set_step_deadline(order, now, None)
    order.save()
    verified = {"verified_by": "device", "device": device.name, "event": event.event_id}
    history.append(order, "order.resolved", actor, {"result": order.result, **verified})
    history.append(order, "order.closed", actor, verified)
    return order
