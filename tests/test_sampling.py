"""A random-sampling plan (双随机) from draft to published results: the lists frozen and
committed to, the draw seeded by a public value and re-run by an auditor, recusal, and
tasks fulfilled only by their team's on-site inspection."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend import clock
from backend.db import database
from backend.models import LifecycleEvent, SamplingTask, Shop
from tests.factories import error_keys

ADMIN = "/api/v1/admin"
PLANS = "/api/v1/admin/sampling-plans"
PUBLIC = "/api/v1/public/sampling-plans"
TASKS = "/api/v1/admin/sampling-tasks"
CONFLICTS = "/api/v1/admin/me/conflicts"
DUE = "/api/v1/admin/inspections-due"
AT_THE_COUNTER = {"lat": 31.2002, "lng": 121.4403}
LOTTERY = "中国体育彩票超级大乐透第 26141 期开奖号码"
NUMBERS = "03 11 19 25 31 + 05 09"


@pytest.fixture
def district(make):
    places = make.region_tree()
    admin = make.staff("street_admin", "admin", places["street_a"], name="陈立")
    make.staff("admin_b", "admin", places["street_b"], name="孙伟")
    inspectors = [
        make.staff(f"inspector{n}", "inspector", places["street_a"], name=f"检查员{n}")
        for n in range(4)
    ]
    shops = [make.shop(f"owner{n}", places["street_a"], name=f"小店{n}") for n in range(6)]
    with database.connection_context():
        for shop, grade in zip(shops, "AABCDD", strict=True):
            Shop.update(risk_grade=grade).where(Shop.id == shop.id).execute()
    return {"places": places, "admin": admin, "inspectors": inspectors, "shops": shops}


def plan_body(**changes) -> dict:
    today = clock.today_local()
    body = {
        "title": "2026 年第四季度餐饮双随机抽查",
        "items": ["food_safety"],
        "ratios": {"A": 50, "B": 100, "C": 100, "D": 50},
        "team_size": 2,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
    }
    body.update(changes)
    return body


def drawn_plan(client) -> dict:
    admin = client.login("street_admin")
    plan = admin.post(PLANS, json=plan_body()).get_json()
    committed = admin.post(f"{PLANS}/{plan['id']}/commit", json={"public_value_name": LOTTERY})
    assert committed.status_code == 200, committed.get_json()
    drawn = admin.post(f"{PLANS}/{plan['id']}/draw", json={"public_value": NUMBERS})
    assert drawn.status_code == 200, drawn.get_json()
    return drawn.get_json()


def test_a_committed_plan_shows_its_commitment_and_keeps_its_salt(client, district):
    admin = client.login("street_admin")
    made = admin.post(PLANS, json=plan_body())
    assert made.status_code == 201, made.get_json()
    plan = made.get_json()
    assert plan["ratios"] == {"A": 50, "B": 100, "C": 100, "D": 50}
    assert client.http.get(PUBLIC).get_json() == []  # a draft is not public
    committed = admin.post(f"{PLANS}/{plan['id']}/commit", json={"public_value_name": LOTTERY})
    assert committed.get_json()["state_label"] == "已公示承诺值，待抽取"
    seen = client.http.get(f"{PUBLIC}/{plan['id']}").get_json()
    assert (
        seen["commitment"] == committed.get_json()["commitment"] and len(seen["commitment"]) == 64
    )
    assert (seen["public_value_name"], seen["public_value"], seen["salt"]) == (LOTTERY, None, None)
    assert seen["candidates"] == 6 and seen["results"] == []
    again = admin.post(f"{PLANS}/{plan['id']}/commit", json={"public_value_name": LOTTERY})
    assert again.status_code == 409 and error_keys(again) == ["plan_committed"]


def test_the_draw_reveals_the_salt_and_an_auditor_re_runs_it(client, district, app, tmp_path):
    plan = drawn_plan(client)
    seen = client.http.get(f"{PUBLIC}/{plan['id']}").get_json()
    assert seen["public_value"] == NUMBERS and len(seen["salt"]) == 64
    # A 50 % of two, B and C all of one, D 50 % of two: four shops, none with its risk grade.
    assert len(seen["results"]) == 4
    assert "risk" not in json.dumps(seen) and '"D"' not in json.dumps(seen["results"])
    document = client.login("street_admin").get(f"{PLANS}/{plan['id']}/document.json").get_json()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), "utf-8")
    verified = app.test_cli_runner().invoke(args=["verify-draw", str(path)])
    assert verified.exit_code == 0, verified.output
    assert "match" in verified.output
    document["candidates"][0][1] = "A" if document["candidates"][0][1] != "A" else "D"
    path.write_text(json.dumps(document), "utf-8")
    tampered = app.test_cli_runner().invoke(args=["verify-draw", str(path)])
    assert tampered.exit_code == 1 and "commitment" in tampered.output
    twice = client.login("street_admin").post(
        f"{PLANS}/{plan['id']}/draw", json={"public_value": "1"}
    )
    assert twice.status_code == 409 and error_keys(twice) == ["plan_not_committed"]


def test_recused_inspectors_are_never_on_the_team(client, district, make):
    shops, inspectors = district["shops"], district["inspectors"]
    conflicted = client.login("inspector0").post(
        CONFLICTS, json={"shop_id": shops[4].public_id, "reason": "亲属经营"}
    )
    assert conflicted.status_code == 201, conflicted.get_json()
    with database.connection_context():
        from backend.models import ShopMembership

        ShopMembership.create(shop=shops[3], user=inspectors[1].user, role="staff")
    plan = drawn_plan(client)
    document = client.login("street_admin").get(f"{PLANS}/{plan['id']}/document.json").get_json()
    assert [shops[4].public_id, inspectors[0].id] in document["recusals"]
    assert [shops[3].public_id, inspectors[1].id] in document["recusals"]
    for shop_id, team in document["drawn"]["teams"].items():
        assert [shop_id, team[0]] not in document["recusals"]
        assert [shop_id, team[1]] not in document["recusals"]


def test_a_task_is_done_by_its_teams_inspection_on_site_and_not_by_anyone_elses(
    client, district, make
):
    plan = drawn_plan(client)
    with database.connection_context():
        task = (
            SamplingTask.select()
            .where(SamplingTask.done_at.is_null())
            .order_by(SamplingTask.rank)
            .first()
        )
        shop = Shop.get_by_id(task.shop_id)
        team = {m.staff_id for m in task.members}
    code = make.code_of(shop)
    member = next(i for i in district["inspectors"] if i.id in team)
    outsider = next(i for i in district["inspectors"] if i.id not in team)
    users = {i.id: f"inspector{n}" for n, i in enumerate(district["inspectors"])}
    mine = client.login(users[member.id]).get(TASKS).get_json()
    assert shop.public_id in [t["shop_id"] for t in mine]
    assert mine[0]["deadline"] == plan["ends_on"] and mine[0]["done"] is False

    def inspect(user):
        inspector = client.login(user)
        view = inspector.get(f"/api/v1/scan/{code}").get_json()
        recorded = inspector.post(
            f"{ADMIN}/shops/{shop.public_id}/inspections",
            json={
                "scan_proof": view["regulatory"]["scan_proof"]["token"],
                "location": AT_THE_COUNTER,
                "checklist": [{"code": f"FS0{n}", "ok": True} for n in range(1, 9)],
                "result": "pass",
            },
        )
        assert recorded.status_code == 201, recorded.get_json()

    inspect(users[outsider.id])
    with database.connection_context():
        assert SamplingTask.get_by_id(task.id).done_at is None
    inspect(users[member.id])
    with database.connection_context():
        assert SamplingTask.get_by_id(task.id).inspection_id is not None
        events = [e.type for e in LifecycleEvent.select().where(LifecycleEvent.shop == shop.id)]
    assert events.count("sampling.fulfilled") == 1
    result = next(
        r
        for r in client.http.get(f"{PUBLIC}/{plan['id']}").get_json()["results"]
        if r["shop_id"] == shop.public_id
    )
    assert (result["result_label"], result["grade"], result["score"]) == ("合格", "A", 100)


def test_plans_are_an_admins_of_their_region(client, district):
    plan = drawn_plan(client)
    other = client.login("admin_b")
    assert other.get(f"{PLANS}/{plan['id']}").status_code == 404
    assert other.get(f"{PLANS}/{plan['id']}/document.json").status_code == 404
    assert client.login("inspector0").post(PLANS, json=plan_body()).status_code == 403
    unknown = client.login("street_admin").post(PLANS, json=plan_body(items=["nothing"]))
    assert unknown.status_code == 422 and error_keys(unknown) == ["unknown_sampling_item"]


def test_a_plans_progress_and_its_overdue_tasks_for_supervision(client, district):
    plan = drawn_plan(client)
    admin = client.login("street_admin")
    progress = admin.get(f"{PLANS}/{plan['id']}/progress").get_json()
    assert (progress["drawn"], progress["done"], progress["overdue"]) == (4, 0, 0)
    assert [s["drawn"] for s in progress["by_street"]] == [4]
    assert admin.get(f"{TASKS}/overdue").get_json() == []
    clock.travel(timedelta(days=31))
    admin = client.login("street_admin")
    assert admin.get(f"{PLANS}/{plan['id']}/progress").get_json()["overdue"] == 4
    late = admin.get(f"{TASKS}/overdue").get_json()
    assert len(late) == 4 and all(t["overdue"] for t in late)
    assert client.login("admin_b").get(f"{TASKS}/overdue").get_json() == []
    assert client.login("admin_b").get(f"{PLANS}/{plan['id']}/progress").status_code == 404


def test_shops_fall_due_by_their_risk_grades_frequency(client, district):
    shops = district["shops"]  # risk grades A A B C D D
    now = clock.now()
    last = {0: 400, 1: 300, 2: 200, 3: 190, 4: 130, 5: None}  # days ago
    with database.connection_context():
        for n, days in last.items():
            at = now - timedelta(days=days) if days is not None else None
            Shop.update(last_inspection_at=at).where(Shop.id == shops[n].id).execute()
    listed = client.login("inspector0").get(DUE).get_json()
    # Never inspected first, then the longest since: A at 400 days, C at 190 (> 182),
    # D at 130 (> 121); A at 300 and B at 200 are not due yet.
    assert [s["id"] for s in listed] == [
        shops[5].public_id,
        shops[0].public_id,
        shops[3].public_id,
        shops[4].public_id,
    ]
    assert listed[0]["due_on"] is None and listed[1]["risk_grade"] == "A"
    elsewhere = client.login("street_admin").get(
        f"{DUE}?street={district['places']['street_b'].code}"
    )
    assert elsewhere.get_json() == []
