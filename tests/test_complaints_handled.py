"""A complaint about a shop is handled: it goes, as a work order, to the market regulator
of the shop's street, is accepted or not within 7 working days, ends substantiated or
not, and only a substantiated one counts in the shop's grade. The shop reads its
complaints, never who made them, and answers."""

from __future__ import annotations

from datetime import datetime

import pytest

from backend import clock
from backend.clock import SHANGHAI
from backend.db import database
from backend.models import Department, LifecycleEvent, Shop
from tests.factories import error_keys

TEMPLATE = "tmpl_work_order_progress"


@pytest.fixture
def shop(make):
    places = make.region_tree()
    with database.connection_context():
        market = Department.create(
            name="天平路市场监管所", kind="market_supervision", region=places["street_a"]
        )
        Department.create(
            name="徐汇区市场监督管理局", kind="market_supervision", region=places["district"]
        )
    make.staff("officer", "inspector", places["street_a"], name="钱峰", department=market)
    shop = make.shop("owner", places["street_a"])
    shop.code = make.code_of(shop)
    return shop


def _complain(client, user: str, shop, text: str = "吃完肚子疼，怀疑食材不新鲜，电话13812345678"):
    resident = client.login(user)
    answer = resident.post(
        f"/api/v1/resident/shops/{shop.public_id}/complaints",
        json={"category": "food_safety", "text": text, "rating_ticket": resident.ticket(shop.code)},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _grade(client, shop) -> tuple[str, int]:
    view = client.login("officer").get(f"/api/v1/scan/{shop.code}").get_json()["regulatory"]
    points = sum(r["points"] for r in view["risk"]["reasons"] if "complaint" in r["reason"])
    return view["risk"]["grade"], points


def _decide(client, number: str, finding: str) -> dict:
    officer = client.login("officer")
    assert officer.post(f"/api/v1/admin/work-orders/{number}/sign").status_code == 200
    resolved = officer.post(
        f"/api/v1/admin/work-orders/{number}/resolve",
        json={"result": "现场检查：后厨食材过期，已责令整改", "finding": finding},
    )
    assert resolved.status_code == 200, resolved.get_json()
    return resolved.get_json()


def test_a_complaint_goes_to_the_streets_regulator_with_seven_working_days_to_decide(client, shop):
    clock.travel(datetime(2026, 12, 7, 10, tzinfo=SHANGHAI) - clock.now())  # a Monday
    complaint = _complain(client, "alice", shop)
    number = complaint["work_order"]
    order = client.login("officer").get(f"/api/v1/admin/work-orders/{number}").get_json()
    assert (order["source"], order["department"], order["shop"]) == (
        "complaint",
        "天平路市场监管所",
        shop.public_id,
    )
    assert order["sign_due_at"] == "2026-12-16T16:00:00+00:00"  # seven working days: the 16th
    assert "138****5678" in order["description"]


def test_ten_unsubstantiated_complaints_leave_the_grade_as_it_was(client, shop):
    before = _grade(client, shop)
    for n in range(10):
        number = _complain(client, f"neighbour{n}", shop, f"第{n}位邻居：服务态度差")["work_order"]
        _decide(client, number, "not_substantiated")
    assert _grade(client, shop) == before
    with database.connection_context():
        assert (
            not LifecycleEvent.select()
            .where(LifecycleEvent.type == "complaint.substantiated")
            .exists()
        )


def test_a_substantiated_complaint_is_on_the_record_and_in_the_grade(client, shop, wechat_stub):
    wechat_stub.control(
        "subscriptions", {"openid": "oStub_alice", "template_id": TEMPLATE, "count": 5}
    )
    assert _grade(client, shop)[1] == 0
    complaint = _complain(client, "alice", shop)
    assert _grade(client, shop)[1] == 0  # received: not yet believed
    _decide(client, complaint["work_order"], "substantiated")

    assert _grade(client, shop)[1] == 1
    record = client.login("owner").get(f"/api/v1/merchant/shops/{shop.public_id}/lifecycle")
    assert record.get_json()[0]["type"] == "complaint.substantiated"
    mine = client.login("alice").get(f"/api/v1/resident/work-orders/{complaint['work_order']}")
    assert mine.get_json()["result"] == "现场检查：后厨食材过期，已责令整改"
    sent = wechat_stub.sent("subscribe/send")
    told = [
        m["body"]["data"]["phrase3"]["value"] for m in sent if m["body"]["template_id"] == TEMPLATE
    ]
    assert told == ["已派发", "已办结"]


def test_a_complaint_not_taken_up_is_closed_with_its_reason(client, shop):
    number = _complain(client, "alice", shop)["work_order"]
    officer = client.login("officer")
    no_reason = officer.post(f"/api/v1/admin/work-orders/{number}/decline", json={"reason": " "})
    assert no_reason.status_code == 422
    declined = officer.post(
        f"/api/v1/admin/work-orders/{number}/decline", json={"reason": "属于消费纠纷，请拨打12315"}
    )
    assert declined.get_json()["state"] == "closed"
    timeline = client.login("alice").get(f"/api/v1/resident/work-orders/{number}").get_json()
    assert timeline["timeline"][-2]["label"] == "不予受理"
    assert timeline["timeline"][-2]["detail"] == "属于消费纠纷，请拨打12315"
    statuses = client.login("owner").get(f"/api/v1/merchant/shops/{shop.public_id}/complaints")
    assert statuses.get_json()[0]["status"] == "not_accepted"


def test_a_complaint_needs_a_finding_and_only_a_complaint_is_declined(client, shop, make):
    number = _complain(client, "alice", shop)["work_order"]
    officer = client.login("officer")
    officer.post(f"/api/v1/admin/work-orders/{number}/sign")
    no_finding = officer.post(
        f"/api/v1/admin/work-orders/{number}/resolve", json={"result": "已检查"}
    )
    assert no_finding.status_code == 422 and error_keys(no_finding) == ["finding_required"]


def test_the_shop_reads_its_complaints_without_the_complainant_and_answers(client, shop, make):
    complaint = _complain(client, "alice", shop)
    owner = client.login("owner")
    listed = owner.get(f"/api/v1/merchant/shops/{shop.public_id}/complaints").get_json()
    assert listed[0]["text"] == "吃完肚子疼，怀疑食材不新鲜，电话138****5678"
    assert "alice" not in str(listed) and "user" not in listed[0]
    answered = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/complaints/{complaint['id']}/answer",
        json={"text": "已全面检查食材，欢迎再来监督"},
    )
    assert (
        answered.status_code == 200
        and answered.get_json()["answer"] == "已全面检查食材，欢迎再来监督"
    )
    make.shop("owner_b", Shop.get_by_id(shop.id).street, name="另一家店")
    stranger = client.login("owner_b")
    url = f"/api/v1/merchant/shops/{shop.public_id}/complaints"
    assert stranger.get(url).status_code == 404
    assert stranger.post(f"{url}/{complaint['id']}/answer", json={"text": "x"}).status_code == 404


def test_one_residents_many_substantiated_complaints_weigh_as_one(client, shop):
    for text in ("吃完肚子疼，怀疑食材不新鲜", "又去了一次还是不舒服", "第三次投诉这家店"):
        _decide(client, _complain(client, "alice", shop, text)["work_order"], "substantiated")
    assert _grade(client, shop)[1] == 1
    for neighbour in ("bob", "carol"):
        _decide(client, _complain(client, neighbour, shop)["work_order"], "substantiated")
    assert _grade(client, shop)[1] == 3
