"""Devices report what they see: a detection opens a dispatched work order, the same event
sent again changes nothing, and a "cleared" of the same type within 30 m closes the order
as verified by the device."""

from __future__ import annotations

import re

from backend.db import database
from backend.models import ClientKey, WorkOrder
from backend.workorders import history
from tests import test_work_orders

city, rules = test_work_orders.city, test_work_orders.rules
# 31.2071, 121.4488 and a point about 20 m north of it, and one about 110 m north.
HERE, NEAR, FAR = (31.2071, 121.4488), (31.20728, 121.4488), (31.2081, 121.4488)


def _device_key(app, name: str = "cam-01", region: str = "310104003001") -> str:
    result = app.test_cli_runner().invoke(args=["device-key", name, "--region", region])
    assert result.exit_code == 0, result.output
    return re.search(r"key \(shown once\): (\S+)", result.output).group(1)


def _event(client, key, event_id: str, status: str, where=HERE, type_: str = "litter"):
    body = {
        "event_id": event_id,
        "type": type_,
        "status": status,
        "location": {"lat": where[0], "lng": where[1]},
    }
    headers = {"X-Device-Key": key} if key else {}
    return client.http.post("/api/v1/events", json=body, headers=headers)


def test_a_detection_opens_a_dispatched_order_once(app, client, rules):
    key = _device_key(app)
    with database.connection_context():
        assert not ClientKey.select().where(ClientKey.key_hash.contains(key)).exists()
    first = _event(client, key, "evt-1", "detected")
    again = _event(client, key, "evt-1", "detected")

    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200 and again.get_json() == first.get_json()
    number = first.get_json()["order"]
    order = client.login("squad_lead").get(f"/api/v1/admin/work-orders/{number}").get_json()
    assert (order["source"], order["state"], order["department"]) == (
        "device",
        "dispatched",
        "天平路城管中队",
    )
    assert order["location"]["lat"] == HERE[0]
    with database.connection_context():
        assert WorkOrder.select().count() == 1


def test_a_cleared_event_nearby_closes_the_order_as_verified_by_the_device(app, client, rules):
    key = _device_key(app)
    number = _event(client, key, "evt-1", "detected").get_json()["order"]
    far = _event(client, key, "evt-2", "cleared", where=FAR)
    assert far.status_code == 201 and far.get_json()["order"] is None
    other_type = _event(client, key, "evt-3", "cleared", where=NEAR, type_="street_vending")
    assert other_type.get_json()["order"] is None

    cleared = _event(client, key, "evt-4", "cleared", where=NEAR)

    assert cleared.get_json()["order"] == number and cleared.get_json()["order_state"] == "closed"
    order = client.login("street_admin").get(f"/api/v1/admin/work-orders/{number}").get_json()
    assert order["result"] == "设备核查：问题已消除"
    assert [step["step"] for step in order["history"]][-2:] == ["resolved", "closed"]
    assert order["history"][-1]["detail"] == {
        "verified_by": "device",
        "device": "cam-01",
        "event": "evt-4",
    }
    with database.connection_context():
        assert history.verify(WorkOrder.get(WorkOrder.number == number)).ok


def test_a_missing_wrong_or_revoked_key_is_refused(app, client, rules):
    key = _device_key(app)
    assert _event(client, None, "evt-1", "detected").status_code == 401
    assert _event(client, key[:-2] + "xx", "evt-1", "detected").status_code == 401
    revoked = app.test_cli_runner().invoke(args=["device-key", "cam-01", "--revoke"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    refused = _event(client, key, "evt-1", "detected")
    assert (
        refused.status_code == 401
        and refused.get_json()["details"][0]["key"] == "device_key_invalid"
    )
    with database.connection_context():
        assert WorkOrder.select().count() == 0
