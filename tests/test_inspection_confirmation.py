"""An inspection recorded away from the shop counts for nothing public until an admin whose
scope covers the shop confirms it; rejected, it stays on record with no effect."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend import clock
from backend.db import database
from backend.models import LifecycleEvent, RectificationOrder, Shop
from tests.factories import ApiClient
from tests.races import at_once

ADMIN = "/api/v1/admin"
AT_THE_COUNTER = {"lat": 31.2002, "lng": 121.4403}
# About 2 km north of the shop (31.2001, 121.4402).
TWO_KM_AWAY = {"lat": 31.2181, "lng": 121.4402}


@pytest.fixture
def scene(make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"], places["community_a"])
    # Never inspected (2) and an expired licence (2): grade C.
    make.licence(shop, clock.today_local() - timedelta(days=1))
    make.staff("inspector", "inspector", places["street_a"], name="李明")
    second = make.staff("inspector2", "inspector", places["street_a"], name="赵强")
    make.staff("admin_a", "admin", places["street_a"], name="陈立")
    make.staff("admin_b", "admin", places["street_b"], name="刘洋")
    return {"shop": shop, "code": make.code_of(shop), "second": second, "places": places}


def checklist(ok=True):
    return [{"code": f"FS0{n}", "ok": ok or n != 3} for n in range(1, 9)]


def record(client, scene, location, **changes):
    inspector = client.login("inspector")
    view = inspector.get(f"/api/v1/scan/{scene['code']}").get_json()
    body = {
        "scan_proof": view["regulatory"]["scan_proof"]["token"],
        "location": location,
        "checklist": checklist(),
        "result": "pass",
        **changes,
    }
    response = inspector.post(f"{ADMIN}/shops/{scene['shop'].public_id}/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def rectify(scene, days=7):
    return {
        "result": "rectify",
        "co_inspector": scene["second"].id,
        "checklist": checklist(False),
        "rectify_by": (clock.today_local() + timedelta(days=days)).isoformat(),
        "requirements": "更换破损的冷藏柜密封条",
    }


def public(client, scene):
    return client.login("passer_by").get(f"/api/v1/scan/{scene['code']}").get_json()["shop"]


def regulators_see(client, scene, inspection_id):
    view = client.login("inspector").get(f"/api/v1/scan/{scene['code']}").get_json()
    return next(i for i in view["regulatory"]["inspections"] if i["id"] == inspection_id)


def lifecycle(client, scene):
    url = f"{ADMIN}/shops/{scene['shop'].public_id}/lifecycle"
    return client.login("admin_a").get(url).get_json()


def verifies(client, scene):
    url = f"{ADMIN}/shops/{scene['shop'].public_id}/lifecycle/verify"
    return client.login("admin_a").get(url).get_json()["ok"]


def decide(client, user, inspection_id, action, **body):
    url = f"{ADMIN}/inspections/{inspection_id}/{action}"
    return client.login(user).post(url, json=body) if body else client.login(user).post(url)


def inspection_messages(wechat_stub):
    return [
        m["body"]["data"]["thing2"]["value"]
        for m in wechat_stub.sent("subscribe/send")
        if m["body"]["template_id"] == "tmpl_inspection_result"
    ]


def test_a_pass_recorded_two_km_away_leaves_the_grade_until_an_admin_confirms_it(
    client, scene, wechat_stub
):
    assert public(client, scene)["grade"]["value"] is None
    recorded = record(client, scene, TWO_KM_AWAY)
    assert recorded["far_away"] is True and 1900 < recorded["distance_m"] < 2100
    assert (recorded["confirmation"], recorded["confirmation_label"]) == ("pending", "待确认")
    assert recorded["shop_state"]["risk_grade"] == "C"
    assert recorded["shop_state"]["last_inspection_result"] is None
    shop = public(client, scene)
    assert (shop["grade"]["value"], shop["last_inspection"], shop["status"]) == (
        None,
        None,
        "active",
    )
    assert regulators_see(client, scene, recorded["id"])["confirmation_label"] == "待确认"
    event = lifecycle(client, scene)[0]
    assert (event["type"], event["seq"]) == ("inspection.recorded", recorded["lifecycle_seq"])
    assert inspection_messages(wechat_stub) == []

    confirmed = decide(client, "admin_a", recorded["id"], "confirm")

    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["confirmation"] == "confirmed"
    shop = public(client, scene)
    assert (shop["grade"]["value"], shop["last_inspection"]["result"]) == ("A", "pass")
    assert regulators_see(client, scene, recorded["id"])["confirmation_label"] == "已确认"
    event = lifecycle(client, scene)[0]
    assert event["type"] == "inspection.confirmed"
    assert event["payload"]["refers_to_seq"] == recorded["lifecycle_seq"]
    assert inspection_messages(wechat_stub) == ["检查结果：合格"]
    assert verifies(client, scene)


def test_confirming_makes_the_order_it_asked_for_with_the_days_it_gave(client, scene):
    recorded = record(client, scene, TWO_KM_AWAY, **rectify(scene, days=7))
    assert recorded["rectification"] is None
    assert recorded["deferred_order"]["requirements"] == "更换破损的冷藏柜密封条"
    owner = client.login("owner")
    orders_url = f"/api/v1/merchant/shops/{scene['shop'].public_id}/rectifications"
    assert owner.get(orders_url).get_json() == []

    clock.travel(timedelta(days=3))
    confirmed = decide(client, "admin_a", recorded["id"], "confirm").get_json()

    order = confirmed["rectification"]
    # The shop hears of the order only now: it gets its seven days from today.
    assert order["deadline"] == (clock.today_local() + timedelta(days=7)).isoformat()
    assert confirmed["deferred_order"] is None
    assert confirmed["shop_state"]["open_rectifications"] == 1
    owner = client.login("owner")
    assert [o["id"] for o in owner.get(orders_url).get_json()] == [order["id"]]
    assert [e["type"] for e in lifecycle(client, scene)[:2]] == [
        "rectification.ordered",
        "inspection.confirmed",
    ]
    shop = public(client, scene)
    assert (shop["last_inspection"]["result_label"], shop["last_inspection"]["rectification"]) == (
        "限期整改",
        "open",
    )
    assert verifies(client, scene)


def test_a_fail_recorded_away_suspends_the_shop_only_once_confirmed(client, scene):
    fail = {**rectify(scene), "result": "fail"}
    recorded = record(client, scene, TWO_KM_AWAY, **fail)
    assert public(client, scene)["status"] == "active"
    confirmed = decide(client, "admin_a", recorded["id"], "confirm").get_json()
    assert confirmed["shop_state"]["status"] == "suspended"
    assert public(client, scene)["status"] == "suspended"


def test_a_rejected_inspection_stays_on_record_marked_rejected_with_no_effect(
    client, scene, wechat_stub
):
    recorded = record(client, scene, TWO_KM_AWAY, **rectify(scene))
    assert decide(client, "admin_a", recorded["id"], "reject").status_code == 422

    rejected = decide(client, "admin_a", recorded["id"], "reject", reason="定位在辖区外，疑似补录")

    assert rejected.status_code == 200, rejected.get_json()
    assert (rejected.get_json()["confirmation"], rejected.get_json()["rectification"]) == (
        "rejected",
        None,
    )
    seen = regulators_see(client, scene, recorded["id"])
    assert (seen["confirmation_label"], seen["rejection_reason"]) == (
        "已驳回",
        "定位在辖区外，疑似补录",
    )
    event = lifecycle(client, scene)[0]
    assert event["type"] == "inspection.rejected"
    assert event["payload"]["reason"] == "定位在辖区外，疑似补录"
    shop = public(client, scene)
    assert (shop["grade"]["value"], shop["last_inspection"], shop["status"]) == (
        None,
        None,
        "active",
    )
    with database.connection_context():
        assert RectificationOrder.select().count() == 0
    assert inspection_messages(wechat_stub) == []
    assert verifies(client, scene)


def test_deciding_twice_is_a_conflict(client, scene):
    recorded = record(client, scene, TWO_KM_AWAY)
    assert decide(client, "admin_a", recorded["id"], "confirm").status_code == 200
    with database.connection_context():
        seq = Shop.get_by_id(scene["shop"].id).lifecycle_seq
    for action, body in (("confirm", {}), ("reject", {"reason": "重复操作"})):
        again = decide(client, "admin_a", recorded["id"], action, **body)
        assert again.status_code == 409, again.get_json()
        assert "inspection_already_decided" in json.dumps(again.get_json())
    on_site = record(client, scene, AT_THE_COUNTER)
    needless = decide(client, "admin_a", on_site["id"], "confirm")
    assert needless.status_code == 409
    assert "inspection_needs_no_confirmation" in json.dumps(needless.get_json())
    with database.connection_context():
        # The on-site recording's event, and nothing from the refused decisions.
        assert Shop.get_by_id(scene["shop"].id).lifecycle_seq == seq + 1


def test_two_admins_deciding_at_once_make_one_decision(app, client, scene, make):
    make.staff("admin_a2", "admin", scene["places"]["street_a"], name="周全")
    recorded = record(client, scene, TWO_KM_AWAY, **rectify(scene))
    url = f"{ADMIN}/inspections/{recorded['id']}"
    confirmer = ApiClient(app, client.login("admin_a").token)
    rejecter = ApiClient(app, client.login("admin_a2").token)
    answers = at_once(
        lambda: confirmer.post(f"{url}/confirm"),
        lambda: rejecter.post(f"{url}/reject", json={"reason": "定位异常"}),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    decided = [e["type"] for e in lifecycle(client, scene)]
    assert decided.count("inspection.confirmed") + decided.count("inspection.rejected") == 1
    with database.connection_context():
        orders = RectificationOrder.select().count()
    assert orders == (1 if "inspection.confirmed" in decided else 0)
    assert verifies(client, scene)


def test_only_an_admin_whose_scope_covers_the_shop_decides(client, scene):
    recorded = record(client, scene, TWO_KM_AWAY)
    for action, body in (("confirm", {}), ("reject", {"reason": "越权驳回"})):
        elsewhere = decide(client, "admin_b", recorded["id"], action, **body)
        missing = decide(client, "admin_b", "NoSuchRecord", action, **body)
        assert elsewhere.status_code == missing.status_code == 404
        assert decide(client, "inspector", recorded["id"], action, **body).status_code == 403
    assert regulators_see(client, scene, recorded["id"])["confirmation"] == "pending"
    assert public(client, scene)["grade"]["value"] is None


def test_a_shop_without_a_location_on_record_gives_a_pending_inspection(client, scene):
    with database.connection_context():
        Shop.update(lat=None, lng=None).where(Shop.id == scene["shop"].id).execute()
    recorded = record(client, scene, AT_THE_COUNTER)
    assert (recorded["distance_m"], recorded["confirmation"]) == (None, "pending")
    assert public(client, scene)["last_inspection"] is None


def test_an_inspection_recorded_on_site_counts_at_once_and_supersedes_the_waiting_one(
    client, scene
):
    away = record(client, scene, TWO_KM_AWAY, **rectify(scene))
    on_site = record(client, scene, AT_THE_COUNTER)

    assert on_site["confirmation"] == "confirmed"
    assert on_site["shop_state"]["last_inspection_result"] == "pass"
    assert public(client, scene)["grade"]["value"] == "A"
    assert regulators_see(client, scene, away["id"])["confirmation"] == "superseded"
    with database.connection_context():
        event = LifecycleEvent.get(
            (LifecycleEvent.shop == scene["shop"].id)
            & (LifecycleEvent.seq == on_site["lifecycle_seq"])
        )
    assert json.loads(event.payload)["supersedes"] == [away["id"]]
    assert decide(client, "admin_a", away["id"], "confirm").status_code == 409
    assert public(client, scene)["last_inspection"]["result"] == "pass"
    assert verifies(client, scene)


def test_a_correction_made_while_it_waited_is_what_the_confirmation_publishes(client, scene):
    recorded = record(client, scene, TWO_KM_AWAY, **rectify(scene))
    corrected = client.login("inspector").post(
        f"{ADMIN}/inspections/{recorded['id']}/corrections",
        json={"note": "误判，冷藏柜密封完好", "corrected_result": "pass"},
    )
    assert corrected.status_code == 201, corrected.get_json()
    assert public(client, scene)["last_inspection"] is None

    confirmed = decide(client, "admin_a", recorded["id"], "confirm").get_json()

    assert confirmed["rectification"] is None
    assert confirmed["shop_state"]["last_inspection_result"] == "pass"


def test_an_admin_lists_the_inspections_waiting_in_their_scope(client, scene, make):
    waiting = record(client, scene, TWO_KM_AWAY)
    on_site = record(client, scene, AT_THE_COUNTER)
    later = record(client, scene, TWO_KM_AWAY)
    admin = client.login("admin_a")

    def listed(query=""):
        response = admin.get(f"{ADMIN}/inspections{query}")
        assert response.status_code == 200, response.get_json()
        return [(i["id"], i["confirmation"]) for i in response.get_json()]

    assert listed("?confirmation=pending") == [(later["id"], "pending")]
    assert listed("?confirmation=superseded") == [(waiting["id"], "superseded")]
    assert listed("?confirmation=confirmed") == [(on_site["id"], "confirmed")]
    assert [i for i, _ in listed()] == [later["id"], on_site["id"], waiting["id"]]
    assert client.login("admin_b").get(f"{ADMIN}/inspections").get_json() == []
    assert admin.get(f"{ADMIN}/inspections?confirmation=maybe").status_code == 422
