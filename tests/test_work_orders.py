"""Work orders (一网统管): routed by the rules to the department that owns them, handled step
by step by that department only, with the reporter told at dispatch, resolution and
closure, and every step on the order's hash chain."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from backend import clock
from backend.db import database, write_transaction
from backend.models import Department, Region, ServiceCategory, User, WorkOrder
from backend.workorders import history, orders
from tests.factories import error_keys

TEMPLATE = "tmpl_work_order_progress"


@pytest.fixture
def city(make, places):
    """Street A's urban-management squad and market regulator, the district's regulator,
    and a member of staff in each; rules: litter in street A to the squad, food safety
    anywhere to the district, anything else in street A to the squad too."""
    with database.connection_context():
        squad = Department.create(
            name="天平路城管中队", kind="urban_management", region=places["street_a"]
        )
        market = Department.create(
            name="天平路市场监管所", kind="market_supervision", region=places["street_a"]
        )
        district = Department.create(
            name="徐汇区市场监督管理局", kind="market_supervision", region=places["district"]
        )
    make.staff("squad_lead", "cadre", places["street_a"], name="赵刚", department=squad)
    make.staff("market_officer", "inspector", places["street_a"], name="钱峰", department=market)
    make.staff(
        "district_officer", "inspector", places["district"], name="李娜", department=district
    )
    return {**places, "squad": squad, "market": market, "regulator": district}


def _rule(client, admin: str, region: str, department: int, category: str | None = None):
    body = {"region": region, "department": department, "category": category}
    answer = client.login(admin).post("/api/v1/admin/routing-rules", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def rules(client, city):
    street_a = city["street_a"].code
    _rule(client, "street_admin", street_a, city["squad"].id, "litter")
    _rule(client, "street_admin", street_a, city["squad"].id)
    _rule(client, "district_admin", city["district"].code, city["regulator"].id, "food_safety")
    return city


def _refer(client, who: str, category: str, region: str, **extra):
    body = {"category": category, "region": region, "description": "路口有暴露垃圾，多日无人清理"}
    answer = client.login(who).post("/api/v1/admin/work-orders", json={**body, **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _reported_by(app, openid: str, category: str, region: Region) -> str:
    """An order a resident raised (the sources that make one are tested with them)."""
    with app.test_request_context(), database.connection_context(), write_transaction():
        kind = ServiceCategory.get(ServiceCategory.code == category)
        user = User.get(User.openid == openid)
        return orders.open_order(
            source="report",
            category=kind,
            region=region,
            description="小区门口的路灯坏了一个星期",
            actor=f"user:{user.id}",
            reporter=user,
        ).number


def _photo(client, who: str) -> str:
    image = io.BytesIO()
    Image.new("RGB", (32, 32), "green").save(image, "JPEG")
    answer = client.login(who).post(
        "/api/v1/admin/uploads",
        data={"file": (io.BytesIO(image.getvalue()), "done.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_the_most_specific_rule_routes_a_new_order(client, rules):
    community = rules["community_a"].code
    litter = _refer(client, "inspector", "litter", community)
    food = _refer(client, "inspector", "food_safety", community)
    noise = _refer(client, "inspector", "noise", community)
    elsewhere = _refer(client, "inspector", "noise", rules["community_b"].code)

    assert (litter["state"], litter["department"]) == ("dispatched", "天平路城管中队")
    # A category's rule at the district beats street A's rule for any category.
    assert food["department"] == "徐汇区市场监督管理局"
    assert noise["department"] == "天平路城管中队"  # street A's default
    # No rule in street B: the order waits for a dispatcher.
    assert (elsewhere["state"], elsewhere["department"]) == ("received", None)
    assert litter["number"].startswith("GD" + clock.today_local().strftime("%Y%m%d"))
    assert int(noise["number"][-6:]) == int(litter["number"][-6:]) + 2


def test_the_department_signs_works_and_resolves_and_the_reporter_closes_it(
    app, client, rules, wechat_stub
):
    wechat_stub.control(
        "subscriptions", {"openid": "oStub_alice", "template_id": TEMPLATE, "count": 5}
    )
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    squad = client.login("squad_lead")
    base = f"/api/v1/admin/work-orders/{number}"

    signed = squad.post(f"{base}/sign")
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["state"] == "signed"
    assert squad.post(f"{base}/start").get_json()["state"] == "in_progress"
    no_photo = squad.post(f"{base}/resolve", json={"result": "已更换灯泡", "photos": []})
    assert no_photo.status_code == 422
    resolved = squad.post(
        f"{base}/resolve",
        json={"result": "已更换灯泡，恢复照明", "photos": [_photo(client, "squad_lead")]},
    )
    assert resolved.get_json()["state"] == "resolved", resolved.get_json()

    alice = client.login("alice")
    rated = alice.post(
        f"/api/v1/resident/work-orders/{number}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200, rated.get_json()
    mine = alice.get(f"/api/v1/resident/work-orders/{number}").get_json()
    assert mine["state"] == "closed" and mine["state_label"] == "已关闭"
    assert [step["label"] for step in mine["timeline"]] == [
        "已受理",
        "已派发",
        "承办部门已签收",
        "处理中",
        "已办结",
        "已评价",
        "已关闭",
    ]
    # Each step the department took names it; the others name none.
    assert [step["department"] for step in mine["timeline"]] == [None] + ["天平路城管中队"] * 4 + [
        None
    ] * 2
    assert mine["timeline"][4]["detail"] == "已更换灯泡，恢复照明"

    told = [m["body"] for m in wechat_stub.sent("subscribe/send")]
    assert [m["data"]["phrase3"]["value"] for m in told] == ["已派发", "已办结", "已关闭"]
    assert {m["touser"] for m in told} == {"oStub_alice"}
    assert told[0]["data"]["character_string1"]["value"] == number
    with database.connection_context():
        order = WorkOrder.get(WorkOrder.number == number)
        assert history.verify(order).ok and history.verify(order).length == 7


def test_only_the_department_it_is_dispatched_to_may_act_on_it(client, rules, app):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    base = f"/api/v1/admin/work-orders/{number}"
    # Another department's officer does not see it at all.
    assert client.login("market_officer").post(f"{base}/sign").status_code == 404
    # A dispatcher sees it, but signing is the department's.
    by_dispatcher = client.login("street_admin").post(f"{base}/sign")
    assert by_dispatcher.status_code == 403 and error_keys(by_dispatcher) == ["not_your_department"]
    # And a step out of order is refused, saying the state it is in.
    early = client.login("squad_lead").post(f"{base}/start")
    assert early.status_code == 409 and error_keys(early) == ["work_order_state"]
    assert early.get_json()["message"] == "该工单当前为待签收，不能进行这一步"


def test_a_returned_order_goes_back_to_the_dispatchers_with_its_reason(client, rules, app):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    base = f"/api/v1/admin/work-orders/{number}"
    squad = client.login("squad_lead")
    no_reason = squad.post(f"{base}/return", json={"reason": ""})
    assert no_reason.status_code == 422
    back = squad.post(f"{base}/return", json={"reason": "路灯归绿化市容所管理"})
    assert back.get_json()["state"] == "returned" and back.get_json()["returned"] == 1
    # The squad no longer reaches it; a dispatcher sends it on by hand.
    assert squad.get(base).status_code == 404
    sent = client.login("street_admin").post(
        f"{base}/dispatch", json={"department": rules["market"].id}
    )
    assert sent.get_json()["department"] == "天平路市场监管所"
    history_steps = [s["step"] for s in sent.get_json()["history"]]
    assert history_steps == ["created", "dispatched", "returned", "dispatched"]
    assert sent.get_json()["history"][2]["detail"]["reason"] == "路灯归绿化市容所管理"
    assert sent.get_json()["history"][2]["by"] == "赵*"


def test_a_dispatcher_outside_the_region_cannot_reach_the_order(client, rules, app, make):
    make.staff("street_b_admin", "admin", rules["street_b"], name="冯达")
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    outsider = client.login("street_b_admin")
    assert outsider.get(f"/api/v1/admin/work-orders/{number}").status_code == 404
    merged = outsider.post(f"/api/v1/admin/work-orders/{number}/close")
    assert merged.status_code == 404
    listed = outsider.get("/api/v1/admin/work-orders").get_json()
    assert listed == []


def test_an_unsatisfied_reporter_reopens_once_within_seven_days(client, rules, app):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    base = f"/api/v1/admin/work-orders/{number}"
    squad = client.login("squad_lead")
    squad.post(f"{base}/sign")
    squad.post(
        f"{base}/resolve", json={"result": "已处理", "photos": [_photo(client, "squad_lead")]}
    )
    alice = client.login("alice")
    mine = f"/api/v1/resident/work-orders/{number}"
    alice.post(f"{mine}/rating", json={"rating": "unsatisfied", "comment": "灯还是不亮"})

    reopened = alice.post(f"{mine}/reopen", json={"reason": "灯还是不亮"})
    assert reopened.status_code == 200, reopened.get_json()
    assert reopened.get_json()["state"] == "in_progress"
    squad.post(
        f"{base}/resolve",
        json={"result": "更换了整套灯具", "photos": [_photo(client, "squad_lead")]},
    )
    alice.post(f"{mine}/rating", json={"rating": "unsatisfied"})
    again = alice.post(f"{mine}/reopen", json={"reason": "还是不满意"})
    assert again.status_code == 409 and error_keys(again) == ["reopen_not_allowed"]
    # Bob cannot see or rate alice's order.
    assert client.login("bob").get(mine).status_code == 404


def test_a_reporter_may_not_reopen_after_seven_days(client, rules, app):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    base = f"/api/v1/admin/work-orders/{number}"
    squad = client.login("squad_lead")
    squad.post(f"{base}/sign")
    squad.post(
        f"{base}/resolve", json={"result": "已处理", "photos": [_photo(client, "squad_lead")]}
    )
    alice = client.login("alice")
    alice.post(f"/api/v1/resident/work-orders/{number}/rating", json={"rating": "unsatisfied"})
    clock.travel(timedelta(days=8))
    late = client.login("alice").post(
        f"/api/v1/resident/work-orders/{number}/reopen", json={"reason": "没修好"}
    )
    assert late.status_code == 409 and error_keys(late) == ["reopen_too_late"]


# A valid body for each step: what is refused is then the caller, not the request.
STEP_BODIES = {
    "sign": None,
    "start": None,
    "close": None,
    "return": {"reason": "不属于本部门"},
    "resolve": {"result": "已处理", "photos": ["x" * 24]},
    "transfer": {"department": 1, "reason": "转交"},
    "extension": {"days": 3, "reason": "需要协调"},
    "extension-decision": {"grant": True},
    "dispatch": {"department": 1},
    "supervise": {"note": "请尽快处理"},
    "reopen": {"reason": "需重新处理"},
    "merge": {"into": "GD20260101000001"},
}


DISPATCHER_STEPS = {"extension-decision", "dispatch", "supervise", "close", "reopen", "merge"}


def test_no_step_or_read_reaches_an_order_outside_the_callers_region_or_department(
    app, client, rules, make
):
    make.staff("street_b_admin", "admin", rules["street_b"], name="冯达")
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    base = f"/api/v1/admin/work-orders/{number}"
    before = client.login("street_admin").get(base).get_json()
    for outsider in ("street_b_admin", "market_officer", "inspector"):
        caller = client.login(outsider)
        assert caller.get(base).status_code == 404
        assert number not in {
            o["number"] for o in caller.get("/api/v1/admin/work-orders").get_json()
        }
        for step, body in STEP_BODIES.items():
            answer = (
                caller.post(f"{base}/{step}", json=body) if body else caller.post(f"{base}/{step}")
            )
            # A dispatcher's step is refused to staff who are not dispatchers by role,
            # before the order is looked for; anything else finds no such order.
            dispatchers_only = step in DISPATCHER_STEPS and outsider != "street_b_admin"
            assert answer.status_code == (403 if dispatchers_only else 404), (outsider, step)
    assert client.login("street_admin").get(base).get_json() == before


def test_an_admin_deletes_only_the_rules_of_their_region(client, rules, make):
    make.staff("street_b_admin", "admin", rules["street_b"], name="冯达")
    rule_id = client.login("street_admin").get("/api/v1/admin/routing-rules").get_json()[0]["id"]
    assert (
        client.login("street_b_admin").delete(f"/api/v1/admin/routing-rules/{rule_id}").status_code
        == 404
    )
    assert client.login("street_b_admin").get("/api/v1/admin/routing-rules").get_json() == []
    assert (
        client.login("street_admin").delete(f"/api/v1/admin/routing-rules/{rule_id}").status_code
        == 204
    )


def test_a_result_photo_must_be_the_resolvers_own(app, client, rules, make):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    base = f"/api/v1/admin/work-orders/{number}"
    make.staff("squad_member", "cadre", rules["street_a"], name="孙武", department=rules["squad"])
    someone_elses = _photo(client, "squad_member")
    squad = client.login("squad_lead")
    squad.post(f"{base}/sign")
    taken = squad.post(f"{base}/resolve", json={"result": "已处理", "photos": [someone_elses]})
    assert taken.status_code == 422 and error_keys(taken) == ["not_your_photo"]


def test_the_categories_are_the_same_for_every_member_of_staff(client, rules):
    listed = client.login("squad_lead").get("/api/v1/admin/work-order-categories").get_json()
    assert {"code": "litter", "name": "暴露垃圾"}.items() <= listed[6].items()
    assert (
        listed
        == client.login("district_admin").get("/api/v1/admin/work-order-categories").get_json()
    )


def test_an_altered_history_is_found_by_staff_and_by_the_command_line(app, client, rules):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    client.login("squad_lead").post(f"/api/v1/admin/work-orders/{number}/sign")
    url = f"/api/v1/admin/work-orders/{number}/history/verify"
    assert client.login("street_admin").get(url).get_json() == {
        "ok": True,
        "length": 3,
        "first_broken_seq": None,
        "reason": None,
    }
    with database.connection_context():
        # Someone with the database's password rewrites who signed the only order.
        database.execute_sql(
            "UPDATE work_order_event SET actor = 'staff:999' "
            "WHERE seq = 3 AND order_id = (SELECT MAX(id) FROM work_order)"
        )
    altered = client.login("street_admin").get(url).get_json()
    assert (altered["ok"], altered["first_broken_seq"], altered["reason"]) == (
        False,
        3,
        "event was altered",
    )
    result = app.test_cli_runner().invoke(args=["verify-chains"])
    assert result.exit_code == 1
    assert f"BROKEN {number}: seq 3 (event was altered)" in result.output
    assert "work orders: 1, chains ok: 0, broken: 1" in result.output
