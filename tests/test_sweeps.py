"""The licence sweep: each expiry noted once in the lifecycle, and the owner told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.db import database, write_transaction
from backend.models import Complaint, LifecycleEvent, OutboxMessage, Shop, WorkOrder
from backend.ratings import complaints


@pytest.fixture
def shop(make):
    places = make.region_tree()
    make.staff("regulator", "admin", places["district"], name="孙立")
    return make.shop("owner", places["street_a"])


def _events(shop, type_):
    with database.connection_context():
        return (
            LifecycleEvent.select()
            .where((LifecycleEvent.shop == shop.id) & (LifecycleEvent.type == type_))
            .count()
        )


def _substantiated(app, complaint_id: str) -> None:
    """The complaint's regulator finds it substantiated (its work order's step, taken as
    tests/test_complaints_handled.py takes it through the API)."""
    with app.test_request_context(), database.connection_context(), write_transaction():
        complaint = Complaint.get(Complaint.public_id == complaint_id)
        order = WorkOrder.get_by_id(complaint.work_order_id)
        complaints.decided(order, "substantiated", "staff:1")


def _licence_notes():
    # Not the shop's approval message from setting the shop up.
    return list(OutboxMessage.select().where(OutboxMessage.template == "tmpl_licence_expiry"))


def _licence_messages(wechat_stub):
    return [
        s
        for s in wechat_stub.sent("subscribe/send")
        if s["body"]["template_id"] == "tmpl_licence_expiry"
    ]


def _sweep(app):
    result = app.test_cli_runner().invoke(args=["sweep-licences"])
    assert result.exit_code == 0, result.output
    return result.output


def test_expiring_and_expired_licences_are_noted_once(app, make, shop, wechat_stub):
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=10), number="JY0000000001")
    make.licence(shop, today - timedelta(days=3), type_="business_licence", number="91310104XXXX")
    make.licence(shop, today + timedelta(days=300), type_="public_health", number="WS00000001")
    output = _sweep(app)
    assert "expiring: 1, expired: 1" in output
    assert _events(shop, "licence.expiring") == 1 and _events(shop, "licence.expired") == 1
    _sweep(app)
    assert _events(shop, "licence.expiring") == 1 and _events(shop, "licence.expired") == 1


def test_the_expiring_licence_is_noted_again_when_it_expires(app, make, shop):
    make.licence(shop, clock.today_local() + timedelta(days=5))
    _sweep(app)
    clock.travel(timedelta(days=6))
    _sweep(app)
    assert _events(shop, "licence.expiring") == 1 and _events(shop, "licence.expired") == 1


def test_a_renewed_licence_can_be_noted_for_its_new_period(app, client, make, shop):
    licence = make.licence(shop, clock.today_local() + timedelta(days=5))
    _sweep(app)
    new_end = clock.today_local() + timedelta(days=400)
    client.login("owner").post(
        f"/api/v1/merchant/shops/{shop.public_id}/licences/{licence.public_id}/renewal",
        json={"valid_to": new_end.isoformat()},
    )
    clock.travel(timedelta(days=380))
    _sweep(app)
    assert _events(shop, "licence.expiring") == 2


def test_owner_without_a_subscription_is_recorded_as_refused(app, make, shop, wechat_stub):
    make.licence(shop, clock.today_local() + timedelta(days=10))
    _sweep(app)
    with database.connection_context():
        (note,) = _licence_notes()
    assert note.status == "refused" and note.errcode == 43101


def test_subscribed_owner_receives_the_message(app, make, shop, wechat_stub):
    wechat_stub.control(
        "subscriptions", {"openid": "oStub_owner", "template_id": "tmpl_licence_expiry", "count": 1}
    )
    make.licence(shop, clock.today_local() + timedelta(days=10))
    _sweep(app)
    with database.connection_context():
        assert [n.status for n in _licence_notes()] == ["sent"]
    (sent,) = _licence_messages(wechat_stub)
    assert sent["body"]["touser"] == "oStub_owner"
    assert sent["body"]["data"]["phrase4"]["value"] == "即将到期"


def test_expired_health_certificate_is_noted_once(app, client, shop):
    client.login("owner").post(
        f"/api/v1/merchant/shops/{shop.public_id}/employees",
        json={
            "name": "张伟",
            "health_cert_number": "JK20240001",
            "health_cert_expires": (clock.today_local() - timedelta(days=1)).isoformat(),
        },
    )
    _sweep(app)
    _sweep(app)
    assert _events(shop, "employee.certificate_expired") == 1


def test_the_owner_is_told_of_an_expired_health_certificate(app, client, shop, wechat_stub):
    expired_on = clock.today_local() - timedelta(days=1)
    client.login("owner").post(
        f"/api/v1/merchant/shops/{shop.public_id}/employees",
        json={
            "name": "张伟",
            "health_cert_number": "JK20240001",
            "health_cert_expires": expired_on.isoformat(),
        },
    )
    wechat_stub.control(
        "subscriptions", {"openid": "oStub_owner", "template_id": "tmpl_licence_expiry", "count": 1}
    )
    assert "messages queued: 1" in _sweep(app)
    (sent,) = _licence_messages(wechat_stub)
    assert sent["body"]["touser"] == "oStub_owner"
    data = {key: field["value"] for key, field in sent["body"]["data"].items()}
    assert data["thing2"] == "从业人员健康证" and data["phrase4"] == "已过期"
    assert data["date3"] == expired_on.isoformat()
    # Told once, like the record.
    _sweep(app)
    assert len(_licence_messages(wechat_stub)) == 1


def test_licence_status_is_computed_against_today(client, make, shop):
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=30), number="JY0000000030")
    make.licence(shop, today + timedelta(days=31), type_="public_health", number="WS0000000031")
    make.licence(shop, today - timedelta(days=1), type_="business_licence", number="BL00000001")
    licences = (
        client.login("owner").get(f"/api/v1/merchant/shops/{shop.public_id}/licences").get_json()
    )
    assert {lic["number"]: lic["status"] for lic in licences} == {
        "JY0000000030": "expiring",
        "WS0000000031": "valid",
        "BL00000001": "expired",
    }


def _risk_grade(client, code: str) -> str:
    """The risk grade as the regulator reads it: the public view has none."""
    view = client.login("regulator").get(f"/api/v1/scan/{code}").get_json()
    assert "risk_grade" not in view["shop"]
    return view["regulatory"]["profile"]["risk_grade"]


def _inspect(client, shop, code: str, result: str) -> None:
    """The inspector scans the shop's code and records `result` at the storefront."""
    view = client.login("inspector").get(f"/api/v1/scan/{code}").get_json()
    assert (
        client.login("inspector")
        .post(
            f"/api/v1/admin/shops/{shop.public_id}/inspections",
            json={
                "scan_proof": view["regulatory"]["scan_proof"]["token"],
                "location": {"lat": 31.2001, "lng": 121.4402},
                "result": result,
                "checklist": [{"code": f"FS0{n}", "ok": True} for n in range(1, 9)],
            },
        )
        .status_code
        == 201
    )


def test_complaints_that_age_out_lift_the_published_grade_at_the_next_sweep(
    app, client, make, shop
):
    make.licence(shop, clock.today_local() + timedelta(days=400))
    code = make.code_of(shop)
    for name in ("r1", "r2", "r3"):
        resident = client.login(name)
        filed = resident.post(
            f"/api/v1/resident/shops/{shop.public_id}/complaints",
            json={
                "category": "food_safety",
                "text": "餐具不干净有污渍",
                "rating_ticket": resident.ticket(code),
            },
        )
        assert filed.status_code == 201, filed.get_json()
        _substantiated(app, filed.get_json()["id"])
    # Never inspected (2) and three residents' substantiated complaints (3): C.
    assert _risk_grade(client, code) == "C"

    with database.connection_context():
        street = shop.street
    inspected = make.shop("owner2", street, name="隔壁茶铺")
    inspected_code = make.code_of(inspected)
    make.staff("inspector", "inspector", street)
    _inspect(client, inspected, inspected_code, "pass")

    clock.travel(timedelta(days=91))
    assert "regraded: 1" in _sweep(app)

    assert _risk_grade(client, code) == "B"
    # A grade that time has not changed stays as published.
    assert _risk_grade(client, inspected_code) == "A"


def test_an_inspection_a_year_old_stops_counting_at_the_next_sweep(app, client, make, shop):
    make.licence(shop, clock.today_local() + timedelta(days=800))
    code = make.code_of(shop)
    with database.connection_context():
        street = shop.street
    make.staff("inspector", "inspector", street)
    _inspect(client, shop, code, "pass_with_remarks")
    clock.travel(timedelta(days=300))
    r1 = client.login("r1")
    complaint = {"category": "service", "text": "服务态度很差", "rating_ticket": r1.ticket(code)}
    filed = r1.post(f"/api/v1/resident/shops/{shop.public_id}/complaints", json=complaint)
    assert filed.status_code == 201
    _substantiated(app, filed.get_json()["id"])

    # Remarks at the last inspection (1) and one resident's complaint (1): B.
    def grade():
        return _risk_grade(client, code)

    assert grade() == "B"

    clock.travel(timedelta(days=66))
    assert "regraded: 1" in _sweep(app)
    assert grade() == "A"


def test_the_dashboard_counts_the_licences_the_sweep_watches(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    make.staff("street_admin", "admin", places["street_a"], name="陈立")
    waiting = make.shop("owner2", places["street_a"], name="隔壁茶铺", approved=False)
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=10))
    make.licence(waiting, today + timedelta(days=10))
    make.licence(
        waiting, today - timedelta(days=3), type_="business_licence", number="91310104XXXX"
    )
    assert "expiring: 1, expired: 0" in _sweep(app)
    stats = client.login("street_admin").get("/api/v1/admin/stats").get_json()
    assert (stats["licences_expiring_30_days"], stats["licences_expired"]) == (1, 0), stats


def test_a_licence_not_yet_in_force_is_not_expiring_until_it_starts(
    app, client, make, shop, wechat_stub
):
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=20), valid_from=today + timedelta(days=5))
    assert "expiring: 0, expired: 0" in _sweep(app)
    assert _events(shop, "licence.expiring") == 0 and _licence_messages(wechat_stub) == []
    licences = (
        client.login("owner").get(f"/api/v1/merchant/shops/{shop.public_id}/licences").get_json()
    )
    assert [lic["status"] for lic in licences] == ["not_yet_valid"]

    clock.travel(timedelta(days=5))
    assert "expiring: 1, expired: 0" in _sweep(app)
    assert _events(shop, "licence.expiring") == 1


def test_the_dashboard_counts_a_licence_not_yet_in_force_as_neither_expiring_nor_expired(
    client, make, shop
):
    with database.connection_context():
        street = Shop.get_by_id(shop.id).street
    make.staff("street_admin", "admin", street, name="陈立")
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=20), valid_from=today + timedelta(days=5))
    stats = client.login("street_admin").get("/api/v1/admin/stats").get_json()
    assert (stats["licences_expiring_30_days"], stats["licences_expired"]) == (0, 0), stats
