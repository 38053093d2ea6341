"""A random-sampling plan (双随机) from draft to published results: the lists frozen and
committed to, the draw seeded by a public value and re-run by an auditor, recusal, and
tasks fulfilled only by their team's on-site inspection."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

import pytest

from backend import clock, engine
from backend.db import database
from backend.models import LifecycleEvent, SamplingPlan, SamplingTask, Shop
from backend.sampling import publication
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


def test_a_draw_of_tens_of_thousands_of_shops_keeps_every_tasks_place(client, district):
    """A million-shop district's plan draws past 32,767 shops: each task keeps its place."""
    plan = drawn_plan(client)
    with database.connection_context():
        task = (
            SamplingTask.select()
            .join(SamplingPlan)
            .where(SamplingPlan.public_id == plan["id"])
            .first()
        )
        SamplingTask.update(rank=43_210).where(SamplingTask.id == task.id).execute()
        assert SamplingTask.get_by_id(task.id).rank == 43_210


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


def first_task(district):
    """The first open task of the drawn plan, its shop, a member and a non-member."""
    with database.connection_context():
        task = (
            SamplingTask.select()
            .where(SamplingTask.done_at.is_null())
            .order_by(SamplingTask.rank)
            .first()
        )
        shop = Shop.get_by_id(task.shop_id)
        team = {m.staff_id for m in task.members}
    users = {i.id: f"inspector{n}" for n, i in enumerate(district["inspectors"])}
    member = next(users[i.id] for i in district["inspectors"] if i.id in team)
    outsider = next(users[i.id] for i in district["inspectors"] if i.id not in team)
    return task, shop, member, outsider


def inspect_on_site(client, make, user: str, shop: Shop) -> None:
    inspector = client.login(user)
    view = inspector.get(f"/api/v1/scan/{make.code_of(shop)}").get_json()
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


def public_result(client, plan: dict, shop: Shop) -> dict:
    results = client.http.get(f"{PUBLIC}/{plan['id']}").get_json()["results"]
    return next(r for r in results if r["shop_id"] == shop.public_id)


def test_a_task_is_done_by_its_teams_inspection_on_site_and_not_by_anyone_elses(
    client, district, make, app, tmp_path
):
    plan = drawn_plan(client)
    task, shop, member, outsider = first_task(district)
    mine = client.login(member).get(TASKS).get_json()
    assert shop.public_id in [t["shop_id"] for t in mine]
    assert mine[0]["deadline"] == plan["ends_on"] and mine[0]["done"] is False

    inspect_on_site(client, make, outsider, shop)
    with database.connection_context():
        assert SamplingTask.get_by_id(task.id).done_at is None
    clock.travel(timedelta(days=1))
    inspect_on_site(client, make, member, shop)
    with database.connection_context():
        assert SamplingTask.get_by_id(task.id).inspection_id is not None
        events = [e.type for e in LifecycleEvent.select().where(LifecycleEvent.shop == shop.id)]
    assert events.count("sampling.fulfilled") == 1
    exported = app.test_cli_runner().invoke(args=["export-lives", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    with open(tmp_path / "inspections.csv", encoding="utf-8", newline="") as feed:
        rows = [r for r in csv.DictReader(feed) if r["business_id"] == shop.public_id]
    assert [(r["type"], r["description"].split(" · ")[0]) for r in rows] == [
        ("initial", "合格"),
        ("routine", "双随机抽查"),
    ]


def test_results_are_public_once_published_and_late_ones_are_flagged(client, district, make, app):
    clock.travel(datetime(2026, 12, 7, 10, tzinfo=clock.SHANGHAI) - clock.now())  # a Monday
    plan = drawn_plan(client)
    task, shop, member, _ = first_task(district)
    inspect_on_site(client, make, member, shop)
    # Done, not yet published: the public sees the shop was drawn, not its result.
    unpublished = public_result(client, plan, shop)
    assert (unpublished["result"], unpublished["grade"], unpublished["published_on"]) == (
        None,
        None,
        None,
    )
    admin = client.login("street_admin")
    waiting = admin.get(f"{TASKS}/unpublished").get_json()
    assert [t["shop_id"] for t in waiting] == [shop.public_id]
    # The 20th working day after Monday 7 December 2026, New Year's Day off: 5 January.
    assert waiting[0]["publish_by"] == "2027-01-05" and waiting[0]["published_late_on"] is None
    assert client.login("admin_b").get(f"{TASKS}/unpublished").get_json() == []

    with app.app_context(), database.connection_context():
        assert engine.flag_late_sampling_results.call_local() is None
        assert SamplingTask.get_by_id(task.id).published_late_on is None
    clock.travel(timedelta(days=29))  # 5 January 2027: the last day
    with app.app_context(), database.connection_context():
        assert publication.flag_late() == 0
    clock.travel(timedelta(days=1))
    with app.app_context(), database.connection_context():
        assert publication.flag_late() == 1
        assert publication.flag_late() == 0  # once
    admin = client.login("street_admin")
    late = admin.get(f"{TASKS}/unpublished").get_json()
    assert late[0]["published_late_on"] == "2027-01-06"
    assert admin.get(f"{PLANS}/{plan['id']}/progress").get_json()["late"] == 1

    refused = client.login(member).post(f"{PLANS}/{plan['id']}/publish")
    assert refused.status_code == 403
    published = admin.post(f"{PLANS}/{plan['id']}/publish")
    assert published.status_code == 200, published.get_json()
    assert (published.get_json()["published"], published.get_json()["late"]) == (1, 1)
    shown = public_result(client, plan, shop)
    assert (shown["result_label"], shown["grade"], shown["score"]) == ("合格", "A", 100)
    assert (shown["inspected_on"], shown["published_on"], shown["items_checked"]) == (
        "2026-12-07",
        "2027-01-06",
        8,
    )
    assert admin.get(f"{TASKS}/unpublished").get_json() == []


def test_a_plans_pool_holds_only_inspectors_with_its_qualifications(client, district):
    admin = client.login("street_admin")
    qualified = district["inspectors"][:2]
    for inspector in qualified:
        tagged = admin.put(
            f"{ADMIN}/staff/{inspector.id}/qualifications",
            json={"qualifications": ["食品", "食品"]},
        )
        assert tagged.status_code == 200 and tagged.get_json()["qualifications"] == ["食品"]
    plan = admin.post(PLANS, json=plan_body(qualifications=["食品"])).get_json()
    assert plan["qualifications"] == ["食品"]
    admin.post(f"{PLANS}/{plan['id']}/commit", json={"public_value_name": LOTTERY})
    document = admin.get(f"{PLANS}/{plan['id']}/document.json").get_json()
    assert document["pool"] == sorted(i.id for i in qualified)
    rare = admin.post(PLANS, json=plan_body(qualifications=["特种设备"])).get_json()
    short = admin.post(f"{PLANS}/{rare['id']}/commit", json={"public_value_name": LOTTERY})
    assert short.status_code == 409 and error_keys(short) == ["pool_too_small"]


def test_a_discipline_auditor_reads_plans_and_their_lists_and_changes_nothing(
    client, district, make
):
    places = district["places"]
    make.staff("auditor", "auditor", places["street_a"], name="纪检组")
    make.staff("auditor_b", "auditor", places["street_b"], name="纪检组乙")
    plan = drawn_plan(client)
    auditor = client.login("auditor")
    assert [p["id"] for p in auditor.get(PLANS).get_json()] == [plan["id"]]
    document = auditor.get(f"{PLANS}/{plan['id']}/document.json").get_json()
    assert len(document["candidates"]) == 6 and document["salt"]
    assert auditor.get(f"{PLANS}/{plan['id']}/progress").get_json()["drawn"] == 4
    assert auditor.get(f"{TASKS}/overdue").status_code == 200
    assert auditor.post(PLANS, json=plan_body()).status_code == 403
    assert auditor.post(f"{PLANS}/{plan['id']}/publish").status_code == 403
    assert auditor.get(f"{ADMIN}/shops").status_code == 403
    assert auditor.get(f"{ADMIN}/work-orders").status_code == 403
    other = client.login("auditor_b")
    assert other.get(f"{PLANS}/{plan['id']}/document.json").status_code == 404


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
