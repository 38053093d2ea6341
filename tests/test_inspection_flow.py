"""The inspector's loop: scan → regulatory view → record → shopkeeper answers → verify."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from backend import clock
from backend.db import database
from backend.models import Department, Shop


@pytest.fixture
def scene(make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"], places["community_a"])
    make.licence(shop, clock.today_local() + timedelta(days=400))
    lead = make.staff("inspector", "inspector", places["street_a"], name="李明")
    second = make.staff("inspector2", "inspector", places["street_a"], name="赵强")
    make.staff("inspector_b", "inspector", places["street_b"], name="孙伟")
    return {
        "shop": shop,
        "code": make.code_of(shop),
        "lead": lead,
        "second": second,
        "places": places,
    }


def checklist(ok=True):
    codes = ["FS01", "FS02", "FS03", "FS04", "FS05", "FS06", "FS07", "FS08"]
    return [{"code": c, "ok": ok if c == "FS03" else True} for c in codes]


def scan(client, user, code):
    return client.login(user).get(f"/api/v1/scan/{code}")


def test_the_scan_hands_the_inspector_the_checklist_for_this_shops_industry(client, scene):
    regulatory = scan(client, "inspector", scene["code"]).get_json()["regulatory"]
    form = regulatory["checklist"]
    assert form["template"] == "food_safety" and form["title"]
    answers = [{"code": item["code"], "ok": True} for item in form["items"]]
    response = client.login("inspector").post(
        f"/api/v1/admin/shops/{scene['shop'].public_id}/inspections",
        json={
            "scan_proof": regulatory["scan_proof"]["token"],
            "template": form["template"],
            "location": {"lat": 31.2002, "lng": 121.4403},
            "checklist": answers,
            "result": "pass",
        },
    )
    assert response.status_code == 201, response.get_json()


def test_an_inspector_finds_a_co_inspector_among_active_inspectors_in_scope(client, scene, make):
    make.staff("street_admin", "admin", scene["places"]["street_a"], name="陈立")
    listed = client.login("inspector").get("/api/v1/admin/staff?role=admin")
    assert listed.status_code == 200
    # Only inspectors of street A, whatever the filter asks for; names masked.
    assert sorted(s["id"] for s in listed.get_json()) == sorted(
        [scene["lead"].id, scene["second"].id]
    )
    assert {s["name"] for s in listed.get_json()} == {"李*", "赵*"}


def test_inspector_records_and_the_loop_closes(client, scene, wechat_stub):
    inspector = client.login("inspector")
    view = inspector.get(f"/api/v1/scan/{scene['code']}").get_json()
    assert view["view"] == "regulatory"
    regulatory = view["regulatory"]
    assert regulatory["risk"]["grade"] == "B"
    assert regulatory["licences"][0]["number"] == "JY13101040012345"
    proof = regulatory["scan_proof"]["token"]

    shop_id = scene["shop"].public_id
    deadline = (clock.today_local() + timedelta(days=7)).isoformat()
    response = inspector.post(
        f"/api/v1/admin/shops/{shop_id}/inspections",
        json={
            "scan_proof": proof,
            "location": {"lat": 31.2002, "lng": 121.4403},
            "co_inspector": scene["second"].id,
            "checklist": checklist(ok=False),
            "findings": [{"code": "FS03", "severity": "major", "note": "后厨防蝇设施缺失"}],
            "result": "rectify",
            "rectify_by": deadline,
            "requirements": "安装纱窗与灭蝇灯",
        },
    )
    assert response.status_code == 201, response.get_json()
    recorded = response.get_json()
    assert recorded["far_away"] is False and recorded["distance_m"] < 50
    assert recorded["rectification"]["deadline"] == deadline
    assert recorded["shop_state"]["last_inspection_result"] == "rectify"
    assert recorded["shop_state"]["open_rectifications"] == 1
    assert recorded["shop_state"]["risk_grade"] == "C"
    events = inspector.get(f"/api/v1/admin/shops/{shop_id}/lifecycle").get_json()
    assert [e["type"] for e in events[:2]] == ["rectification.ordered", "inspection.recorded"]
    assert events[1]["seq"] == recorded["lifecycle_seq"]

    resident = client.login("resident")
    ordered = resident.get(f"/api/v1/scan/{scene['code']}").get_json()["shop"]["last_inspection"]
    assert (ordered["result_label"], ordered["rectification"]) == ("限期整改", "open")
    assert "限期整改" in client.http.get(f"/s/{scene['code']}").get_data(as_text=True)

    owner = client.login("owner")
    orders = owner.get(f"/api/v1/merchant/shops/{shop_id}/rectifications?open=true").get_json()
    order_id = orders[0]["id"]
    blank_photo = owner.post(
        f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}/submissions",
        json={"text": "已整改", "photos": [""]},
    )
    assert blank_photo.status_code == 422 and "photos" in blank_photo.get_json()["errors"]["json"]
    answered = owner.post(
        f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}/submissions",
        json={"text": "已安装纱窗和灭蝇灯"},
    )
    assert answered.status_code == 201 and answered.get_json()["status"] == "submitted"
    rejected = inspector.post(
        f"/api/v1/admin/rectifications/{order_id}/reject", json={"reason": "照片看不清"}
    )
    assert rejected.get_json()["status"] == "open"
    owner.post(
        f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}/submissions",
        json={"text": "补充清晰照片"},
    )
    verified = inspector.post(f"/api/v1/admin/rectifications/{order_id}/verify")
    assert verified.status_code == 200 and verified.get_json()["status"] == "closed"
    with database.connection_context():
        shop = Shop.get_by_id(scene["shop"].id)
        assert shop.open_rectifications == 0
    verify = inspector.get(f"/api/v1/admin/shops/{shop_id}/lifecycle/verify").get_json()
    assert verify["ok"] is True
    public = client.login("resident").get(f"/api/v1/scan/{scene['code']}").get_json()
    assert public["shop"]["last_inspection"]["result"] == "rectify"
    # Put right and seen to be: the resident is no longer told of an open order.
    assert public["shop"]["last_inspection"]["result_label"] == "已整改"
    assert public["shop"]["last_inspection"]["rectification"] == "done"
    page = client.http.get(f"/s/{scene['code']}").get_data(as_text=True)
    assert "已整改" in page and "限期整改" not in page
    assert public["regulatory"] is None


def _ordered_to_rectify(client, scene, rectify_by, requirements="整改") -> None:
    """The inspector finds the shop must put things right by `rectify_by`."""
    proof = scan(client, "inspector", scene["code"]).get_json()["regulatory"]["scan_proof"]["token"]
    recorded = client.login("inspector").post(
        f"/api/v1/admin/shops/{scene['shop'].public_id}/inspections",
        json={
            "scan_proof": proof,
            "location": {"lat": 31.2001, "lng": 121.4402},
            "co_inspector": scene["second"].id,
            "checklist": checklist(ok=False),
            "result": "rectify",
            "requirements": requirements,
            "rectify_by": rectify_by.isoformat(),
        },
    )
    assert recorded.status_code == 201, recorded.get_json()


def test_overdue_sweep_raises_the_grade(app, client, scene):
    _ordered_to_rectify(client, scene, clock.today_local() + timedelta(days=2))
    clock.travel(timedelta(days=4))
    result = app.test_cli_runner().invoke(args=["sweep-rectifications"])
    assert "overdue: 1" in result.output
    with database.connection_context():
        assert Shop.get_by_id(scene["shop"].id).risk_grade == "D"


def test_an_overdue_order_is_escalated_to_the_streets_regulator_once(app, client, scene, make):
    places = scene["places"]
    with database.connection_context():
        regulator = Department.create(
            name="天平路市场监管所", kind="market_supervision", region=places["street_a"]
        )
    make.staff("officer", "inspector", places["street_a"], name="钱峰", department=regulator)
    _ordered_to_rectify(
        client, scene, clock.today_local() + timedelta(days=2), requirements="后厨地面油污清理"
    )
    clock.travel(timedelta(days=4))
    app.test_cli_runner().invoke(args=["sweep-rectifications"])
    app.test_cli_runner().invoke(args=["sweep-rectifications"])

    [order] = client.login("officer").get("/api/v1/admin/work-orders").get_json()
    assert (order["source"], order["category"], order["shop"], order["department"]) == (
        "rectification",
        "rectification_overdue",
        scene["shop"].public_id,
        "天平路市场监管所",
    )
    assert "后厨地面油污清理" in order["description"] and order["state"] == "dispatched"


def test_the_shop_is_told_once_when_its_order_goes_overdue(app, client, scene, wechat_stub):
    deadline = clock.today_local() + timedelta(days=2)
    _ordered_to_rectify(client, scene, deadline)
    told_before = len(wechat_stub.sent("subscribe/send"))
    clock.travel(timedelta(days=4))
    app.test_cli_runner().invoke(args=["sweep-rectifications"])
    app.test_cli_runner().invoke(args=["sweep-rectifications"])
    told = wechat_stub.sent("subscribe/send")[told_before:]
    assert len(told) == 1, told
    data = {key: field["value"] for key, field in told[0]["body"]["data"].items()}
    assert data["thing2"] == "整改已逾期，请尽快整改" and data["date3"] == deadline.isoformat()
    assert told[0]["body"]["touser"] == "oStub_owner"


def test_evidence_sent_in_time_is_not_overdue_while_it_waits_for_the_inspector(app, client, scene):
    inspector = client.login("inspector")
    proof = scan(client, "inspector", scene["code"]).get_json()["regulatory"]["scan_proof"]["token"]
    shop_id = scene["shop"].public_id
    recorded = inspector.post(
        f"/api/v1/admin/shops/{shop_id}/inspections",
        json={
            "scan_proof": proof,
            "location": {"lat": 31.2001, "lng": 121.4402},
            "co_inspector": scene["second"].id,
            "checklist": checklist(ok=False),
            "result": "rectify",
            "requirements": "整改",
            "rectify_by": (clock.today_local() + timedelta(days=2)).isoformat(),
        },
    )
    order_id = recorded.get_json()["rectification"]["id"]
    owner = client.login("owner")
    assert (
        owner.post(
            f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}/submissions",
            json={"text": "已整改完毕"},
        ).status_code
        == 201
    )
    with database.connection_context():
        graded = Shop.get_by_id(scene["shop"].id).risk_grade

    clock.travel(timedelta(days=4))
    result = app.test_cli_runner().invoke(args=["sweep-rectifications"])

    assert "overdue: 0" in result.output
    with database.connection_context():
        assert Shop.get_by_id(scene["shop"].id).risk_grade == graded
    # Sent back, it is the shop's to answer again, and now late.
    client.login("inspector").post(
        f"/api/v1/admin/rectifications/{order_id}/reject", json={"reason": "照片看不清"}
    )
    result = app.test_cli_runner().invoke(args=["sweep-rectifications"])
    assert "overdue: 1" in result.output


def test_the_regulatory_view_publishes_one_grade_and_shows_what_today_would_give(
    client, make, scene
):
    # A licence that lapses while no write or sweep has touched the shop since.
    make.licence(scene["shop"], clock.today_local() + timedelta(days=1), number="JY99999999")
    clock.travel(timedelta(days=3))

    view = scan(client, "inspector", scene["code"]).get_json()
    public = scan(client, "stranger", scene["code"]).get_json()

    # The risk grade is the regulator's: the public part of either view has none.
    assert "risk_grade" not in public["shop"] and "risk_grade" not in view["shop"]
    published = view["regulatory"]["profile"]["risk_grade"]
    assert view["regulatory"]["risk"]["grade"] == published
    # Why the next sweep will move it: the expired licence is already among today's reasons.
    risk = view["regulatory"]["risk"]
    assert risk["grade_today"] != published
    assert sum(r["points"] for r in risk["reasons"]) == risk["points"]


def _photo(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_inspector_sees_the_evidence_before_deciding(client, scene, wechat_stub):
    shop_id = scene["shop"].public_id
    inspector = client.login("inspector")
    # A photo the inspector takes at the counter goes with the finding.
    taken = inspector.post(
        f"/api/v1/admin/shops/{shop_id}/uploads",
        data={"file": (io.BytesIO(_photo("grey")), "counter.png")},
        content_type="multipart/form-data",
    )
    assert taken.status_code == 201, taken.get_json()
    proof = scan(client, "inspector", scene["code"]).get_json()["regulatory"]["scan_proof"]["token"]
    recorded = inspector.post(
        f"/api/v1/admin/shops/{shop_id}/inspections",
        json={
            "scan_proof": proof,
            "location": {"lat": 31.2002, "lng": 121.4403},
            "co_inspector": scene["second"].id,
            "checklist": checklist(ok=False),
            "findings": [
                {
                    "code": "FS03",
                    "severity": "major",
                    "note": "后厨防蝇设施缺失",
                    "photo": taken.get_json()["id"],
                }
            ],
            "result": "rectify",
            "requirements": "安装纱窗与灭蝇灯",
            "rectify_by": (clock.today_local() + timedelta(days=7)).isoformat(),
        },
    )
    assert recorded.status_code == 201, recorded.get_json()
    order_id = recorded.get_json()["rectification"]["id"]

    owner = client.login("owner")
    evidence = owner.post(
        f"/api/v1/merchant/shops/{shop_id}/uploads",
        data={"file": (io.BytesIO(_photo("green")), "screen.png")},
        content_type="multipart/form-data",
    ).get_json()["id"]
    owner.post(
        f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}/submissions",
        json={"text": "已安装纱窗和灭蝇灯", "photos": [evidence]},
    )

    detail = inspector.get(f"/api/v1/admin/rectifications/{order_id}").get_json()
    [answer] = detail["submissions"]
    assert (answer["text"], answer["photos"], answer["decision"]) == (
        "已安装纱窗和灭蝇灯",
        [evidence],
        None,
    )
    photo = inspector.get(f"/api/v1/admin/shops/{shop_id}/uploads/{evidence}")
    assert photo.status_code == 200 and photo.data == _photo("green")
    # Another street's inspector reaches neither the order nor the photo.
    outsider = client.login("inspector_b")
    assert outsider.get(f"/api/v1/admin/rectifications/{order_id}").status_code == 404
    assert outsider.get(f"/api/v1/admin/shops/{shop_id}/uploads/{evidence}").status_code == 404

    inspector.post(f"/api/v1/admin/rectifications/{order_id}/reject", json={"reason": "纱窗有破洞"})
    mine = owner.get(f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}").get_json()
    assert mine["status"] == "open"
    assert (mine["submissions"][0]["decision"], mine["submissions"][0]["reason"]) == (
        "rejected",
        "纱窗有破洞",
    )
    told = [m for m in wechat_stub.sent("subscribe/send") if "纱窗有破洞" in str(m)]
    assert told, "the owner is told why"


def test_the_inspectors_order_list_says_which_shop_and_where(client, scene, make):
    other = make.shop("owner2", scene["places"]["street_a"], name="隔壁茶铺")
    for shop, code in [(scene["shop"], scene["code"]), (other, make.code_of(other))]:
        proof = scan(client, "inspector", code).get_json()["regulatory"]["scan_proof"]["token"]
        assert (
            client.login("inspector")
            .post(
                f"/api/v1/admin/shops/{shop.public_id}/inspections",
                json={
                    "scan_proof": proof,
                    "location": {"lat": 31.2001, "lng": 121.4402},
                    "co_inspector": scene["second"].id,
                    "checklist": checklist(ok=False),
                    "result": "rectify",
                    "requirements": "整改",
                    "rectify_by": (clock.today_local() + timedelta(days=2)).isoformat(),
                },
            )
            .status_code
            == 201
        )
    inspector = client.login("inspector")
    listed = inspector.get("/api/v1/admin/rectifications").get_json()
    assert sorted((o["shop_name"], o["shop_address"]) for o in listed) == [
        ("老王面馆", "天平路 88 号"),
        ("隔壁茶铺", "天平路 88 号"),
    ]
    detail = inspector.get(f"/api/v1/admin/rectifications/{listed[0]['id']}").get_json()
    assert (detail["shop_name"], detail["shop_address"]) == (
        listed[0]["shop_name"],
        listed[0]["shop_address"],
    )


def test_the_shop_is_told_when_its_rectification_is_accepted(client, scene, wechat_stub):
    proof = scan(client, "inspector", scene["code"]).get_json()["regulatory"]["scan_proof"]["token"]
    shop_id = scene["shop"].public_id
    recorded = client.login("inspector").post(
        f"/api/v1/admin/shops/{shop_id}/inspections",
        json={
            "scan_proof": proof,
            "location": {"lat": 31.2001, "lng": 121.4402},
            "co_inspector": scene["second"].id,
            "checklist": checklist(ok=False),
            "result": "rectify",
            "requirements": "整改",
            "rectify_by": (clock.today_local() + timedelta(days=2)).isoformat(),
        },
    )
    order_id = recorded.get_json()["rectification"]["id"]
    assert (
        client.login("owner")
        .post(
            f"/api/v1/merchant/shops/{shop_id}/rectifications/{order_id}/submissions",
            json={"text": "已整改完毕"},
        )
        .status_code
        == 201
    )

    verified = client.login("inspector").post(f"/api/v1/admin/rectifications/{order_id}/verify")

    assert verified.status_code == 200
    told = [m["body"] for m in wechat_stub.sent("subscribe/send")]
    assert told[-1]["touser"] == "oStub_owner"
    assert told[-1]["data"]["thing2"]["value"] == "整改已通过验收"
    assert told[-1]["data"]["date3"]["value"] == clock.today_local().isoformat()


def test_a_closed_shops_order_does_not_go_overdue_or_count_as_open(app, client, scene, make):
    proof = scan(client, "inspector", scene["code"]).get_json()["regulatory"]["scan_proof"]["token"]
    shop_id = scene["shop"].public_id
    assert (
        client.login("inspector")
        .post(
            f"/api/v1/admin/shops/{shop_id}/inspections",
            json={
                "scan_proof": proof,
                "location": {"lat": 31.2001, "lng": 121.4402},
                "co_inspector": scene["second"].id,
                "checklist": checklist(ok=False),
                "result": "fail",
                "requirements": "停业整改",
                "rectify_by": (clock.today_local() + timedelta(days=2)).isoformat(),
            },
        )
        .status_code
        == 201
    )
    make.staff("street_admin", "admin", scene["places"]["street_a"], name="陈立")
    admin = client.login("street_admin")
    # The shopkeeper gives up; the street closes the shop.
    assert (
        admin.post(
            f"/api/v1/admin/shops/{shop_id}/status",
            json={"status": "closed", "reason": "经营者已注销"},
        ).status_code
        == 200
    )

    clock.travel(timedelta(days=4))
    result = app.test_cli_runner().invoke(args=["sweep-rectifications"])

    assert "overdue: 0" in result.output
    stats = client.login("street_admin").get("/api/v1/admin/stats").get_json()
    assert (stats["rectifications_open"], stats["rectifications_overdue"]) == (0, 0)
