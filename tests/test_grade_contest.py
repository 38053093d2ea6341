"""A shop may contest its grade: appeal an inspection's grade (decided by someone who took
no part in it), publish a reply beside it, ask for a re-rating visit. Every step is on the
shop's hash-chained record, and the public sees the grade with what stands beside it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.db import database
from backend.models import Department, LifecycleEvent, ShopMembership
from tests.factories import error_keys

ADMIN = "/api/v1/admin"
APPEALS = "/api/v1/admin/appeals"
RERATINGS = "/api/v1/admin/reratings"
AT_THE_COUNTER = {"lat": 31.2002, "lng": 121.4403}
FOOD = [f"FS0{n}" for n in range(1, 9)]


@pytest.fixture
def scene(make):
    places = make.region_tree()
    with database.connection_context():
        market = Department.create(
            name="天平路市场监管所", kind="market_supervision", region=places["street_a"]
        )
        elsewhere = Department.create(
            name="天平路城管中队", kind="city_management", region=places["street_a"]
        )
    lead = make.staff("inspector", "inspector", places["street_a"], name="李明", department=market)
    co = make.staff("inspector2", "inspector", places["street_a"], name="赵强", department=market)
    make.staff("reviewer", "inspector", places["street_a"], name="周正", department=market)
    make.staff("warden", "inspector", places["street_a"], name="吴刚", department=elsewhere)
    make.staff("street_admin", "admin", places["street_a"], name="钱进")
    make.staff("admin_b", "admin", places["street_b"], name="孙伟")
    shop = make.shop("owner", places["street_a"], places["community_a"])
    make.licence(shop, clock.today_local() + timedelta(days=400))
    with database.connection_context():
        ShopMembership.create(shop=shop, user=make.user("clerk"), role="staff")
    return {
        "shop": shop,
        "code": make.code_of(shop),
        "lead": lead,
        "co": co,
        "places": places,
        "base": f"/api/v1/merchant/shops/{shop.public_id}",
    }


def inspect(client, scene, *failed, result="pass", co=False, **extra) -> dict:
    inspector = client.login("inspector")
    view = inspector.get(f"/api/v1/scan/{scene['code']}").get_json()
    body = {
        "scan_proof": view["regulatory"]["scan_proof"]["token"],
        "location": AT_THE_COUNTER,
        "checklist": [{"code": c, "ok": c not in failed} for c in FOOD],
        "result": result,
        **extra,
    }
    if co:
        body["co_inspector"] = scene["co"].id
    response = inspector.post(f"{ADMIN}/shops/{scene['shop'].public_id}/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def public(client, scene) -> dict:
    return client.login("passer_by").get(f"/api/v1/scan/{scene['code']}").get_json()["shop"]


def searched(client, scene) -> dict:
    [found] = client.http.get("/api/v1/public/shops?q=老王").get_json()
    return found


def page(client, scene) -> str:
    return client.http.get(f"/s/{scene['code']}").get_data(as_text=True)


def events(scene) -> list[str]:
    with database.connection_context():
        return [
            e.type
            for e in LifecycleEvent.select()
            .where(LifecycleEvent.shop == scene["shop"].id)
            .order_by(LifecycleEvent.seq)
        ]


def verifies(client, scene) -> bool:
    url = f"{ADMIN}/shops/{scene['shop'].public_id}/lifecycle/verify"
    return client.login("street_admin").get(url).get_json()["ok"]


def appeal(client, scene, inspection_id, user="owner", reason="检查时冷柜刚补货，温度已恢复"):
    return client.login(user).post(
        f"{scene['base']}/inspections/{inspection_id}/appeal", json={"reason": reason}
    )


def decide(client, user, appeal_id, outcome, **body):
    return client.login(user).post(
        f"{APPEALS}/{appeal_id}/decision",
        json={"outcome": outcome, "note": "复核意见：现场照片显示温度正常", **body},
    )


# -- appeal -------------------------------------------------------------------------------
def test_the_owner_appeals_and_the_public_sees_the_grade_marked_pending(client, scene):
    recorded = inspect(client, scene, "FS04", "FS06")  # 70, B
    filed = appeal(client, scene, recorded["id"])
    assert filed.status_code == 201, filed.get_json()
    body = filed.get_json()
    assert (body["state"], body["state_label"], body["grade"], body["score"]) == (
        "open",
        "复核中",
        "B",
        70,
    )
    today = clock.today_local().isoformat()
    # Residents still see the grade, with the mark and the day it was filed, everywhere.
    grade = public(client, scene)["grade"]
    assert (grade["value"], grade["appeal"]) == ("B", {"label": "复核中", "filed_on": today})
    found = searched(client, scene)
    assert found["grade"]["appeal"]["filed_on"] == today
    detail = client.http.get(f"/api/v1/public/shops/{scene['shop'].public_id}").get_json()
    assert detail["grade"]["appeal"]["label"] == "复核中"
    layer = client.http.get("/api/v1/public/shops.geojson?bbox=121,31,122,32").get_json()
    assert layer["features"][0]["properties"]["new_rating_pending"] is True
    assert f"于 {today} 申请复核" in page(client, scene)
    # The work order is the street's market regulator's, due in 15 working days.
    order = client.login("reviewer").get(f"{ADMIN}/work-orders/{body['work_order']}").get_json()
    assert (order["source"], order["department"]) == ("appeal", "天平路市场监管所")
    assert "appeal.filed" in events(scene) and verifies(client, scene)


def test_one_appeal_per_inspection_by_the_owner_within_the_window(client, scene):
    recorded = inspect(client, scene, "FS04")
    clerk = appeal(client, scene, recorded["id"], user="clerk")
    assert clerk.status_code == 403 and error_keys(clerk) == ["owner_only"]
    stranger = appeal(client, scene, recorded["id"], user="someone_else")
    assert stranger.status_code == 404
    assert appeal(client, scene, recorded["id"]).status_code == 201
    again = appeal(client, scene, recorded["id"], reason="再次申请复核，请重新查看")
    assert again.status_code == 409 and error_keys(again) == ["already_appealed"]
    late = inspect(client, scene, "FS03")
    clock.travel(timedelta(days=21, minutes=1))
    closed = appeal(client, scene, late["id"])
    assert closed.status_code == 409 and error_keys(closed) == ["appeal_window_closed"]
    assert "21" in closed.get_json()["message"]


def test_only_someone_who_took_no_part_decides_and_an_upheld_grade_stands(
    client, scene, wechat_stub
):
    recorded = inspect(
        client,
        scene,
        "FS04",
        "FS06",
        co=True,
        result="rectify",
        rectify_by=(clock.today_local() + timedelta(days=7)).isoformat(),
        requirements="冷柜温度调至 4℃ 以下",
    )
    appeal_id = appeal(client, scene, recorded["id"]).get_json()["id"]
    for user in ("inspector", "inspector2"):
        refused = decide(client, user, appeal_id, "upheld")
        assert refused.status_code == 403 and error_keys(refused) == ["took_part_in_inspection"]
    outsider = decide(client, "warden", appeal_id, "upheld")
    assert outsider.status_code == 404  # another department's order: not theirs to see
    other_street = decide(client, "admin_b", appeal_id, "upheld")
    assert other_street.status_code == 404
    upheld = decide(client, "reviewer", appeal_id, "upheld")
    assert upheld.status_code == 200, upheld.get_json()
    assert (upheld.get_json()["state_label"], upheld.get_json()["corrected_grade"]) == (
        "维持原等级",
        None,
    )
    grade = public(client, scene)["grade"]
    assert (grade["value"], grade["score"], grade["appeal"]) == ("B", 70, None)
    again = decide(client, "reviewer", appeal_id, "changed")
    assert again.status_code == 409 and error_keys(again) == ["appeal_decided"]
    told = [m["body"]["data"] for m in wechat_stub.sent("subscribe/send")]
    assert any(d.get("thing4", {}).get("value") == "复核结果：维持原等级" for d in told)
    assert events(scene)[-1] == "appeal.decided" and verifies(client, scene)


def test_a_changed_grade_is_a_correction_scored_under_the_inspections_rules(client, scene):
    recorded = inspect(client, scene, "FS04", "FS06")  # 70, B
    appeal_id = appeal(client, scene, recorded["id"]).get_json()["id"]
    missing = decide(client, "reviewer", appeal_id, "changed")
    assert missing.status_code == 422 and error_keys(missing) == ["required"]
    corrected = [{"code": c, "ok": c != "FS06"} for c in FOOD]  # FS04 was fine after all
    changed = decide(client, "reviewer", appeal_id, "changed", checklist=corrected)
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["corrected_score"], changed.get_json()["corrected_grade"]) == (
        85,
        "A",
    )
    grade = public(client, scene)["grade"]
    assert (grade["value"], grade["score"], grade["appeal"]) == ("A", 85, None)
    assert grade["history"][0]["score"] == 85 and grade["annual"]["score"] == 85
    detail = client.http.get(f"/api/v1/public/shops/{scene['shop'].public_id}").get_json()
    assert (detail["inspections"][0]["score"], detail["inspections"][0]["grade"]) == (85, "A")
    # The inspection row keeps what was recorded; the correction is its own event.
    listed = (
        client.login("inspector")
        .get(f"{ADMIN}/shops/{scene['shop'].public_id}/inspections")
        .get_json()
    )
    assert (listed[0]["score"], listed[0]["grade"]) == (70, "B")
    assert events(scene)[-2:] == ["inspection.corrected", "appeal.decided"]
    assert verifies(client, scene)


def test_appeals_past_their_deadline_are_listed_for_supervision(client, scene):
    recorded = inspect(client, scene, "FS04")
    appeal_id = appeal(client, scene, recorded["id"]).get_json()["id"]
    admin = client.login("street_admin")
    assert admin.get(f"{APPEALS}?overdue=true").get_json() == []
    clock.travel(timedelta(days=30))
    overdue = client.login("street_admin").get(f"{APPEALS}?overdue=true").get_json()
    assert [a["id"] for a in overdue] == [appeal_id] and overdue[0]["overdue"] is True
    assert client.login("admin_b").get(f"{APPEALS}?overdue=true").get_json() == []
    # The generic resolve does not decide it: the appeal's own decision does.
    number = overdue[0]["work_order"]
    reviewer = client.login("reviewer")
    assert reviewer.post(f"{ADMIN}/work-orders/{number}/sign").status_code == 200
    resolved = reviewer.post(
        f"{ADMIN}/work-orders/{number}/resolve", json={"result": "已处理", "photos": []}
    )
    assert resolved.status_code == 409 and error_keys(resolved) == ["decided_elsewhere"]


# -- right to reply -----------------------------------------------------------------------
def test_the_reply_is_shown_masked_beside_the_grade_until_the_next_inspection(client, scene):
    base = scene["base"]
    early = client.login("owner").post(f"{base}/reply", json={"text": "我们已整改"})
    assert early.status_code == 409 and error_keys(early) == ["nothing_to_reply_to"]
    inspect(client, scene, "FS03")
    text = "当天冷柜维修，已于次日修好，欢迎监督，电话13812345678"
    clerk = client.login("clerk").post(f"{base}/reply", json={"text": text})
    assert clerk.status_code == 403
    long = client.login("owner").post(f"{base}/reply", json={"text": "很" * 301})
    assert long.status_code == 422
    published = client.login("owner").post(f"{base}/reply", json={"text": text})
    assert published.status_code == 201, published.get_json()
    reply = public(client, scene)["grade"]["reply"]
    assert reply["note"] == "商户自述，未经核实"
    assert "138****5678" in reply["text"] and "13812345678" not in reply["text"]
    assert searched(client, scene)["grade"]["reply"]["text"] == reply["text"]
    layer = client.http.get("/api/v1/public/shops.geojson?bbox=121,31,122,32").get_json()
    assert layer["features"][0]["properties"]["right_to_reply"] == reply["text"]
    html = page(client, scene)
    assert "商户自述，未经核实" in html and "13812345678" not in html
    again = client.login("owner").post(f"{base}/reply", json={"text": "补充说明"})
    assert again.status_code == 409 and error_keys(again) == ["already_replied"]
    inspect(client, scene)
    assert public(client, scene)["grade"]["reply"] is None
    assert "reply.published" in events(scene) and verifies(client, scene)


def test_an_admin_of_the_street_hides_a_reply_with_a_reason_and_the_owner_is_told(
    client, scene, wechat_stub
):
    inspect(client, scene, "FS03")
    client.login("owner").post(f"{scene['base']}/reply", json={"text": "隔壁老张家才脏"})
    url = f"{ADMIN}/shops/{scene['shop'].public_id}/reply/hide"
    reasons = {"reason": "defamatory", "note": "涉及对他人的指责"}
    assert client.login("admin_b").post(url, json=reasons).status_code == 404
    assert client.login("inspector").post(url, json=reasons).status_code == 403
    unexplained = client.login("street_admin").post(url, json={"reason": "defamatory"})
    assert unexplained.status_code == 422
    hidden = client.login("street_admin").post(url, json=reasons)
    assert hidden.status_code == 200, hidden.get_json()
    assert hidden.get_json()["hidden_reason_label"] == "含诋毁内容"
    assert public(client, scene)["grade"]["reply"] is None
    audit = client.login("street_admin").get(f"{ADMIN}/audit").get_json()
    assert any(e["action"] == "reply.hidden" for e in audit)
    told = [m["body"]["data"]["thing2"]["value"] for m in wechat_stub.sent("subscribe/send")]
    assert "商户说明已隐藏：含诋毁内容" in told
    mine = client.login("owner").get(f"{scene['base']}/replies").get_json()
    assert mine[0]["hidden"] is True
    assert "reply.hidden" in events(scene) and verifies(client, scene)


# -- re-rating ----------------------------------------------------------------------------
def test_a_re_rating_visit_is_unannounced_and_its_inspection_may_lower_the_grade(
    client, scene, wechat_stub
):
    deadline = (clock.today_local() + timedelta(days=7)).isoformat()
    inspect(
        client,
        scene,
        "FS03",
        result="rectify",
        co=True,
        rectify_by=deadline,
        requirements="清理后厨",
    )
    base = scene["base"]
    ask = {"evidence": "后厨已全面清理，防蝇帘已安装"}
    open_order = client.login("owner").post(f"{base}/rerating", json=ask)
    assert open_order.status_code == 409 and error_keys(open_order) == ["rectification_open"]
    [order] = client.login("owner").get(f"{base}/rectifications?open=true").get_json()
    client.login("owner").post(
        f"{base}/rectifications/{order['id']}/submissions", json={"text": "已清理"}
    )
    verified = client.login("inspector").post(
        f"{ADMIN}/rectifications/{order['id']}/verify", json={}
    )
    assert verified.status_code == 200, verified.get_json()
    asked = client.login("owner").post(f"{base}/rerating", json=ask)
    assert asked.status_code == 201, asked.get_json()
    body = asked.get_json()
    assert body["state_label"] == "已受理" and body["due_on"]
    assert not {"visit_on", "visit_at", "scheduled_at"} & set(body)
    again = client.login("owner").post(f"{base}/rerating", json=ask)
    assert again.status_code == 409 and error_keys(again) == ["already_requested"]
    listed = client.login("inspector").get(RERATINGS).get_json()
    assert [r["id"] for r in listed] == [body["id"]] and listed[0]["due_on"] == body["due_on"]
    assert client.login("admin_b").get(RERATINGS).get_json() == []

    visit = inspect(client, scene, "FS03", "FS06", "FS07")  # 65: down from 90 to B
    grade = public(client, scene)["grade"]
    assert (grade["value"], grade["score"]) == ("B", 65)
    assert client.login("inspector").get(RERATINGS).get_json() == []
    [done] = client.login("owner").get(f"{base}/rerating").get_json()
    assert done["state"] == "done"
    told = [m["body"]["data"] for m in wechat_stub.sent("subscribe/send")]
    assert any(d.get("thing4", {}).get("value") == "复查完成：等级B（65分）" for d in told)
    assert events(scene)[-1] == "rerating.done" and visit["id"]
    assert verifies(client, scene)


def test_no_one_files_an_appeal_or_a_re_rating_as_a_problem(client, scene):
    services = client.http.get("/open311/v2/services.json").get_json()
    codes = {s["service_code"] for s in services}
    assert "food_safety" in codes and not {"grade_appeal", "rerating"} & codes
    assert client.http.get("/open311/v2/services/grade_appeal.json").status_code == 404
    referred = client.login("inspector").post(
        f"{ADMIN}/work-orders",
        json={
            "category": "rerating",
            "shop": scene["shop"].public_id,
            "description": "转交一个复查",
        },
    )
    assert referred.status_code == 422 and error_keys(referred) == ["unknown_category"]
