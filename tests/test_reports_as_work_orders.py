"""A resident's report becomes a work order when it is filed: dispatched by the rules, its
status and reply follow the order's steps, and its reporter follows and rates it. A
cadre may still take it in hand and resolve it themselves (自行处置), unless a department
already has it."""

from __future__ import annotations

from backend.db import database
from backend.models import WorkOrder
from backend.workorders import history
from tests import test_work_orders
from tests.factories import error_keys
from tests.test_reports import move, report, upload
from tests.test_work_orders import _photo

city, rules = test_work_orders.city, test_work_orders.rules
TEMPLATE = "tmpl_report_progress"


def _filed(client, places, category="facilities", **extra) -> dict:
    alice = client.login("alice")
    filed = report(alice, places["community_a"], "3号楼楼道灯坏了一周", category, **extra)
    assert filed.status_code == 201, filed.get_json()
    [order] = alice.get("/api/v1/resident/work-orders").get_json()
    return {"report": filed.get_json()["id"], "order": order["number"]}


def _status(client, report_id: str) -> tuple[str, str | None]:
    mine = client.login("alice").get(f"/api/v1/resident/reports/{report_id}").get_json()
    return mine["status"], mine["reply"]


def test_a_report_is_dispatched_by_the_rules_and_follows_its_department(client, rules, wechat_stub):
    wechat_stub.control(
        "subscriptions", {"openid": "oStub_alice", "template_id": TEMPLATE, "count": 5}
    )
    photo = upload(client.login("alice")).get_json()["id"]
    filed = _filed(client, rules, photo=photo, location={"lat": 31.2071, "lng": 121.4488})
    base = f"/api/v1/admin/work-orders/{filed['order']}"
    squad = client.login("squad_lead")
    order = squad.get(base).get_json()
    assert (order["source"], order["department"], order["photos"]) == (
        "report",
        "天平路城管中队",  # street A's rule for any category
        [photo],
    )
    assert order["location"]["lat"] == 31.2071
    assert _status(client, filed["report"]) == ("received", None)
    squad.post(f"{base}/sign")
    assert _status(client, filed["report"]) == ("in_hand", None)
    squad.post(
        f"{base}/resolve", json={"result": "已更换灯泡", "photos": [_photo(client, "squad_lead")]}
    )
    assert _status(client, filed["report"]) == ("resolved", "已更换灯泡")
    sent = wechat_stub.sent("subscribe/send")
    told = [
        m["body"]["data"]["phrase2"]["value"] for m in sent if m["body"]["template_id"] == TEMPLATE
    ]
    assert told == ["已受理", "已解决"]


def test_a_cadre_takes_a_report_in_hand_themselves_and_the_reporter_rates_it(client, places):
    filed = _filed(client, places)  # no rule here: it waits for a dispatcher
    cadre = client.login("cadre_a")
    assert move(cadre, filed["report"], "in_hand").get_json()["status"] == "in_hand"
    resolved = move(cadre, filed["report"], "resolved", "已联系物业更换")
    assert resolved.get_json()["status"] == "resolved"
    mine = f"/api/v1/resident/work-orders/{filed['order']}"
    alice = client.login("alice")
    assert alice.get(mine).get_json()["state"] == "resolved"
    assert (
        alice.post(f"{mine}/rating", json={"rating": "satisfied"}).get_json()["state"] == "closed"
    )
    steps = [s["label"] for s in alice.get(mine).get_json()["timeline"]]
    assert steps == ["已受理", "社区自行处置", "已办结", "已评价", "已关闭"]
    assert _status(client, filed["report"]) == ("resolved", "已联系物业更换")
    with database.connection_context():
        assert history.verify(WorkOrder.get(WorkOrder.number == filed["order"])).ok


def test_a_report_a_department_signed_is_the_departments_to_resolve(client, rules):
    filed = _filed(client, rules)
    client.login("squad_lead").post(f"/api/v1/admin/work-orders/{filed['order']}/sign")
    cadre = client.login("cadre_a")
    again = move(cadre, filed["report"], "in_hand")
    assert again.status_code == 409 and error_keys(again) == ["status_change_not_allowed"]
    taken = move(cadre, filed["report"], "resolved", "我们来处理")
    assert taken.status_code == 409 and error_keys(taken) == ["department_handling"]
    assert _status(client, filed["report"]) == ("in_hand", None)
