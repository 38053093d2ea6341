"""Reports and complaints filed before work orders existed are adopted as work orders by
`citycode adopt-open-reports`: open ones go to the department that owns them now, one a
cadre already has in hand stays the community's own, finished ones stay as they were, and
running it again opens nothing twice."""

from __future__ import annotations

import json
from datetime import timedelta

from backend import clock
from backend.db import database
from backend.models import Complaint, Report, StaffAccount, User, WorkOrder
from backend.workorders import history
from tests import test_work_orders
from tests.test_complaints_handled import shop  # noqa: F401  (a fixture)

city, rules = test_work_orders.city, test_work_orders.rules


def _old_report(places, status: str, text: str, handled_by: str | None = None) -> str:
    """A report as the report API wrote them before: no work order."""
    with database.connection_context():
        cadre = (
            StaffAccount.get(StaffAccount.user == User.get(User.openid == f"oStub_{handled_by}"))
            if handled_by
            else None
        )
        return Report.create(
            user=User.get(User.openid == "oStub_alice"),
            community=places["community_a"],
            region_path=places["community_a"].path,
            category="facilities",
            text=text,
            status=status,
            handled_by=cadre,
            created_at=clock.now() - timedelta(days=40),
        ).public_id


def _adopt(app) -> str:
    result = app.test_cli_runner().invoke(args=["adopt-open-reports"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _order_of(report_id: str) -> WorkOrder | None:
    with database.connection_context():
        return Report.get(Report.public_id == report_id).work_order


def test_open_reports_become_orders_and_finished_ones_stay_as_they_were(app, client, rules):
    waiting = _old_report(rules, "received", "3号楼电梯经常停在半层")
    in_hand = _old_report(rules, "in_hand", "小区东门路灯不亮", handled_by="cadre_a")
    done = _old_report(rules, "resolved", "垃圾房门坏了")

    assert _adopt(app) == "work orders opened for reports: 2, for complaints: 0"
    assert _order_of(done) is None
    squad = client.login("squad_lead")
    sent = squad.get(f"/api/v1/admin/work-orders/{_order_of(waiting).number}").get_json()
    assert (sent["state"], sent["department"], sent["source"]) == (
        "dispatched",
        "天平路城管中队",
        "report",
    )
    kept = (
        client.login("street_admin")
        .get(f"/api/v1/admin/work-orders/{_order_of(in_hand).number}")
        .get_json()
    )
    assert (kept["state"], kept["self_handled"]) == ("in_progress", True)

    # The resident follows both, and the report still reads as it did.
    mine = client.login("alice").get("/api/v1/resident/work-orders").get_json()
    assert sorted(o["number"] for o in mine) == sorted(
        [_order_of(waiting).number, _order_of(in_hand).number]
    )
    report = client.login("alice").get(f"/api/v1/resident/reports/{in_hand}").get_json()
    assert report["status"] == "in_hand"
    # Deadlines count from the adoption; the history keeps when it was really filed.
    with database.connection_context():
        order = _order_of(waiting)
        assert order.resolve_due_at > clock.now()
        created = json.loads(history.events(order)[0].payload)
        assert created["filed_at"].startswith(
            Report.get(Report.public_id == waiting).created_at.isoformat()[:10]
        )
        assert history.verify(order).ok

    assert _adopt(app) == "work orders opened for reports: 0, for complaints: 0"


def test_an_undecided_complaint_goes_to_its_shops_regulator(app, client, make, shop):  # noqa: F811
    alice = make.user("alice")
    with database.connection_context():
        undecided = Complaint.create(
            shop=shop, user=alice, category="food_safety", text="汤里有头发"
        )
        Complaint.create(
            shop=shop, user=alice, category="food_safety", text="上周的事", status="not_accepted"
        )
    assert _adopt(app) == "work orders opened for reports: 0, for complaints: 1"
    with database.connection_context():
        order = Complaint.get_by_id(undecided.id).work_order
    officer = client.login("officer")
    seen = officer.get(f"/api/v1/admin/work-orders/{order.number}").get_json()
    assert (seen["source"], seen["department"], seen["shop"]) == (
        "complaint",
        "天平路市场监管所",
        shop.public_id,
    )
    assert officer.post(f"/api/v1/admin/work-orders/{order.number}/sign").status_code == 200
