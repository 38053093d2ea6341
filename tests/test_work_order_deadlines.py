"""Work orders' deadlines in working days, the sweep that marks them warning and overdue,
supervision, extensions, transfers and merging duplicates."""

from __future__ import annotations

from datetime import datetime

from backend import clock
from backend.clock import SHANGHAI
from tests import test_work_orders
from tests.factories import error_keys
from tests.test_work_orders import _refer, _reported_by

# The district, its departments and rules of tests/test_work_orders.py, as fixtures here too.
city, rules = test_work_orders.city, test_work_orders.rules


def _travel_to(moment: datetime) -> None:
    clock.travel(moment - clock.now())


def _sweep(app) -> str:
    result = app.test_cli_runner().invoke(args=["sweep-work-orders"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_deadlines_skip_the_national_day_holiday_and_count_its_make_up_day(client, rules):
    _travel_to(datetime(2026, 9, 30, 10, tzinfo=SHANGHAI))
    order = _refer(client, "inspector", "litter", rules["community_a"].code)
    # Signing: one working day; 1–7 October are off, so the 8th, ending at midnight.
    assert order["sign_due_at"] == "2026-10-08T16:00:00+00:00"
    # Resolving: fifteen, the make-up Saturday of 10 October among them.
    assert order["resolve_due_at"] == "2026-10-27T16:00:00+00:00"
    assert order["sla"] == "on_time"


def test_the_sweep_marks_warning_at_four_fifths_then_overdue_for_supervision(
    app, client, rules, wechat_stub
):
    _travel_to(datetime(2026, 9, 30, 10, tzinfo=SHANGHAI))
    number = _refer(client, "inspector", "litter", rules["community_a"].code)["number"]
    _refer(client, "inspector", "litter", rules["community_a"].code, priority="normal")
    assert _sweep(app) == "work orders marked warning: 0, overdue: 0"

    _travel_to(datetime(2026, 10, 8, 12, tzinfo=SHANGHAI))  # 80 % of its 206 hours passed
    assert _sweep(app) == "work orders marked warning: 2, overdue: 0"
    _travel_to(datetime(2026, 10, 9, 0, 1, tzinfo=SHANGHAI))
    squad = client.login("squad_lead")
    squad.post(f"/api/v1/admin/work-orders/{number}/sign")  # signed late: resolving is timed now
    assert _sweep(app) == "work orders marked warning: 0, overdue: 1"

    admin = client.login("street_admin")
    overdue = admin.get("/api/v1/admin/work-orders?sla=overdue").get_json()
    assert len(overdue) == 1 and overdue[0]["number"] != number
    late = overdue[0]["number"]
    supervised = admin.post(
        f"/api/v1/admin/work-orders/{late}/supervise", json={"note": "请今日内签收并反馈"}
    )
    assert supervised.get_json()["supervised"] == 1
    assert supervised.get_json()["history"][-1]["detail"]["note"] == "请今日内签收并反馈"
    # The squad, which holds it, is told.
    told = [m["body"] for m in wechat_stub.sent("subscribe/send")]
    assert [(m["touser"], m["data"]["phrase3"]["value"]) for m in told] == [
        ("oStub_squad_lead", "督办")
    ]
    # The order signed late is timed on resolving, and is on time for that again.
    assert admin.get(f"/api/v1/admin/work-orders/{number}").get_json()["sla"] == "on_time"


def test_an_urgent_order_has_two_hours_to_be_signed(client, rules):
    _travel_to(datetime(2026, 12, 7, 10, tzinfo=SHANGHAI))
    urgent = _refer(client, "inspector", "fire_lane", rules["community_a"].code, priority="urgent")
    assert urgent["sign_due_at"].startswith("2026-12-07T04:00:00")


def test_an_extension_granted_moves_the_deadline_by_working_days(client, rules):
    _travel_to(datetime(2026, 12, 7, 10, tzinfo=SHANGHAI))
    number = _refer(client, "inspector", "litter", rules["community_a"].code)["number"]
    base = f"/api/v1/admin/work-orders/{number}"
    squad, admin = client.login("squad_lead"), client.login("street_admin")
    squad.post(f"{base}/sign")
    asked = squad.post(f"{base}/extension", json={"days": 5, "reason": "需协调产权单位"})
    assert asked.get_json()["extension_asked"] == 5
    again = squad.post(f"{base}/extension", json={"days": 2, "reason": "再延两天"})
    assert again.status_code == 409 and error_keys(again) == ["extension_waiting"]
    by_squad = squad.post(f"{base}/extension-decision", json={"grant": True})
    assert by_squad.status_code == 403
    granted = admin.post(f"{base}/extension-decision", json={"grant": True})
    # Due at the end of 28 December; five working days more: 29–31 December, 4 and 5
    # January (1 January is New Year's Day).
    assert granted.get_json()["resolve_due_at"] == "2027-01-05T16:00:00+00:00"
    assert granted.get_json()["extension_asked"] is None


def test_a_transfer_sends_it_on_with_fresh_deadlines_and_the_reason_on_record(client, rules):
    number = _refer(client, "inspector", "litter", rules["community_a"].code)["number"]
    base = f"/api/v1/admin/work-orders/{number}"
    moved = client.login("squad_lead").post(
        f"{base}/transfer", json={"department": rules["market"].id, "reason": "涉及商户经营"}
    )
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["department"], moved.get_json()["state"]) == (
        "天平路市场监管所",
        "dispatched",
    )
    assert client.login("market_officer").post(f"{base}/sign").get_json()["state"] == "signed"
    steps = [s["step"] for s in moved.get_json()["history"]]
    assert steps == ["created", "dispatched", "transferred", "dispatched"]


def test_a_duplicate_merged_tells_its_reporter_to_follow_the_survivor(
    app, client, rules, wechat_stub
):
    first = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    second = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    admin = client.login("street_admin")
    itself = admin.post(f"/api/v1/admin/work-orders/{second}/merge", json={"into": second})
    assert itself.status_code == 422
    merged = admin.post(f"/api/v1/admin/work-orders/{second}/merge", json={"into": first})
    assert merged.get_json()["state"] == "merged" and merged.get_json()["merged_into"] == first
    survivor = admin.get(f"/api/v1/admin/work-orders/{first}").get_json()
    assert survivor["history"][-1]["detail"] == {"duplicate": second}
    mine = client.login("alice").get(f"/api/v1/resident/work-orders/{second}").get_json()
    assert mine["timeline"][-1] == {
        **mine["timeline"][-1],
        "label": "已并入相同问题的工单",
        "detail": first,
    }
    closing = admin.post(f"/api/v1/admin/work-orders/{second}/close")
    assert closing.status_code == 409


def test_rules_are_kept_inside_the_admins_region(client, rules):
    elsewhere = client.login("street_admin").post(
        "/api/v1/admin/routing-rules",
        json={"region": rules["street_b"].code, "department": rules["squad"].id},
    )
    assert elsewhere.status_code == 422 and error_keys(elsewhere) == ["region_not_in_scope"]
    twice = client.login("street_admin").post(
        "/api/v1/admin/routing-rules",
        json={"region": rules["street_a"].code, "department": rules["market"].id},
    )
    assert twice.status_code == 409 and error_keys(twice) == ["rule_exists"]
    listed = client.login("street_admin").get("/api/v1/admin/routing-rules").get_json()
    assert {(r["category"], r["region"]) for r in listed} == {
        ("litter", rules["street_a"].code),
        (None, rules["street_a"].code),
    }


def _resolve(client, who: str, number: str, result: str = "已处理") -> None:
    photo = test_work_orders._photo(client, who)
    answer = client.login(who).post(
        f"/api/v1/admin/work-orders/{number}/resolve", json={"result": result, "photos": [photo]}
    )
    assert answer.status_code == 200, answer.get_json()


def test_the_dashboard_counts_what_each_department_did_in_the_period(app, client, rules):
    _travel_to(datetime(2026, 12, 7, 10, tzinfo=SHANGHAI))  # a Monday
    handled = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    _refer(client, "inspector", "litter", rules["community_a"].code)  # never signed
    bounced = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    squad, market = client.login("squad_lead"), client.login("market_officer")
    squad.post(f"/api/v1/admin/work-orders/{handled}/sign")
    squad.post(f"/api/v1/admin/work-orders/{bounced}/return", json={"reason": "涉及商户"})
    client.login("street_admin").post(
        f"/api/v1/admin/work-orders/{bounced}/dispatch", json={"department": rules["market"].id}
    )
    market.post(f"/api/v1/admin/work-orders/{bounced}/sign")
    _travel_to(datetime(2026, 12, 8, 15, tzinfo=SHANGHAI))
    _resolve(client, "market_officer", bounced)
    _travel_to(datetime(2026, 12, 9, 15, tzinfo=SHANGHAI))
    _resolve(client, "squad_lead", handled)
    alice = client.login("alice")
    alice.post(f"/api/v1/resident/work-orders/{handled}/rating", json={"rating": "satisfied"})
    alice.post(f"/api/v1/resident/work-orders/{bounced}/rating", json={"rating": "unsatisfied"})
    _sweep(app)  # the ignored one was due to be signed by the end of the 8th

    period = "since=2026-12-01&until=2026-12-31"
    figures = (
        client.login("street_admin").get(f"/api/v1/admin/work-orders/stats?{period}").get_json()
    )

    assert figures["total"] == {
        "received": 3,
        "signed_on_time_pct": 100.0,
        "resolved_on_time_pct": 100.0,
        "overdue_now": 1,
        "returned_pct": 33.3,
        "reopened_pct": 0.0,
        "satisfaction_pct": 50.0,
        "median_working_days": 1.5,  # two working days for one, one for the other
    }
    squad_row, market_row = figures["by_department"]
    assert (squad_row["department"], squad_row["received"], squad_row["overdue_now"]) == (
        "天平路城管中队",
        2,
        1,
    )
    assert (market_row["returned_pct"], market_row["satisfaction_pct"]) == (100.0, 0.0)
    assert [r["region_name"] for r in figures["by_region"]] == ["天平路街道"]
    sheet = client.login("street_admin").get(f"/api/v1/admin/work-orders/stats.csv?{period}")
    lines = sheet.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("分组,名称,受理量,签收及时率%")
    assert "部门,天平路城管中队,2,100.0,100.0,1,0.0,0.0,100.0,2" in lines
    # Nothing received in November.
    empty = client.login("street_admin").get(
        "/api/v1/admin/work-orders/stats?since=2026-11-01&until=2026-11-30"
    )
    assert empty.get_json()["total"]["received"] == 0
    reversed_period = client.login("street_admin").get(
        "/api/v1/admin/work-orders/stats?since=2026-12-31&until=2026-12-01"
    )
    assert reversed_period.status_code == 422 and error_keys(reversed_period) == ["period_reversed"]


def test_a_dispatcher_is_shown_the_same_problem_reported_nearby_this_week(client, rules):
    community = rules["community_a"].code

    def at(lat: float, category: str = "litter") -> str:
        place = {"lat": lat, "lng": 121.4488}
        return _refer(client, "inspector", category, community, location=place)["number"]

    _travel_to(datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
    at(31.2071)  # eight days before: too old
    _travel_to(datetime(2026, 12, 9, 10, tzinfo=SHANGHAI))
    near, far, other = at(31.20728), at(31.2081), at(31.2071, "fire_lane")
    number = at(31.2071)

    found = client.login("street_admin").get(f"/api/v1/admin/work-orders/{number}/duplicates")

    assert [(d["number"], d["distance_m"]) for d in found.get_json()] == [(near, 20)]
    assert far not in str(found.get_json()) and other not in str(found.get_json())
    refused = client.login("squad_lead").get(f"/api/v1/admin/work-orders/{number}/duplicates")
    assert refused.status_code == 403


def test_the_district_sets_a_categorys_working_days_for_orders_made_from_then_on(client, rules):
    _travel_to(datetime(2026, 12, 7, 10, tzinfo=SHANGHAI))  # a Monday
    before = _refer(client, "inspector", "litter", rules["community_a"].code)
    district = client.login("district_admin")
    url = "/api/v1/admin/work-order-categories/litter"
    try:
        timed = district.patch(url, json={"resolve_working_days": 5})
        assert timed.status_code == 200 and timed.get_json()["resolve_working_days"] == 5
        after = _refer(client, "inspector", "litter", rules["community_a"].code)
        assert after["resolve_due_at"] == "2026-12-14T16:00:00+00:00"  # Tue–Mon: five days
        unchanged = client.login("street_admin").get(
            f"/api/v1/admin/work-orders/{before['number']}"
        )
        assert unchanged.get_json()["resolve_due_at"] == before["resolve_due_at"]
        street = client.login("street_admin").patch(url, json={"resolve_working_days": 3})
        assert street.status_code == 403 and error_keys(street) == ["district_admin_only"]
        inverted = district.patch(url, json={"sign_working_days": 6})
        assert inverted.status_code == 422
        missing = district.patch("/api/v1/admin/work-order-categories/none", json={})
        assert missing.status_code == 404
    finally:  # the categories outlive a test on PostgreSQL (tests/conftest.py)
        district.patch(url, json={"sign_working_days": 1, "resolve_working_days": 15})
