"""A shop's status: who may move it where, and what each move leaves on the record."""

from __future__ import annotations

import json

import pytest

from backend import lifecycle
from backend.db import database, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import AuditEntry, LifecycleEvent, Shop
from backend.shops import status


@pytest.fixture
def street(make):
    places = make.region_tree()
    make.staff("street_admin", "admin", places["street_a"], name="钱进")
    make.staff("other_admin", "admin", places["street_b"], name="吴芳")
    return places


def _change(app, admin: str, shop: Shop, to: str, reason: str = "卫生检查不合格") -> Shop:
    from backend.models import StaffAccount, User

    with app.test_request_context(), database.connection_context():
        staff = StaffAccount.get(StaffAccount.user == User.get(User.openid == f"oStub_{admin}"))
        return status.change(staff, shop.public_id, to, reason)


def _last_event(shop: Shop) -> LifecycleEvent:
    with database.connection_context():
        return (
            LifecycleEvent.select()
            .where(LifecycleEvent.shop == shop.id)
            .order_by(LifecycleEvent.seq.desc())
            .first()
        )


@pytest.mark.parametrize(
    ("moves", "final"),
    [
        (["suspended"], "suspended"),
        (["suspended", "active"], "active"),
        (["closed"], "closed"),
        (["suspended", "closed"], "closed"),
    ],
)
def test_an_admin_suspends_reopens_and_closes_and_each_move_is_on_record(
    app, make, street, moves, final
):
    shop = make.shop("owner", street["street_a"])
    current = "active"
    for to in moves:
        before = _last_event(shop)
        changed = _change(app, "street_admin", shop, to)
        event = _last_event(shop)
        assert (changed.status, event.type, event.seq) == (
            to,
            "shop.status_changed",
            before.seq + 1,
        )
        assert json.loads(event.payload) == {"from": current, "to": to, "reason": "卫生检查不合格"}
        # Why it stopped trading, kept while it has; a reopened shop has no such why.
        with database.connection_context():
            cause = Shop.get_by_id(shop.id).status_cause
        assert cause == (None if to == "active" else "admin_decision")
        current = to
    with database.connection_context():
        assert Shop.get_by_id(shop.id).status == final
        audited = AuditEntry.select().where(AuditEntry.action == "shop.status_changed")
        assert [
            (a.target_type, a.target_id, a.staff.user.openid, json.loads(a.detail)) for a in audited
        ] == [
            ("shop", shop.public_id, "oStub_street_admin", {"to": to, "reason": "卫生检查不合格"})
            for to in moves
        ]
        assert lifecycle.verify(Shop.get_by_id(shop.id)).ok


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], "active"),  # already so
        (["closed"], "active"),  # closed is the end
        (["closed"], "suspended"),
        (["suspended"], "suspended"),
    ],
)
def test_a_move_the_rule_does_not_allow_is_refused_and_changes_nothing(
    app, make, street, moves, refused
):
    shop = make.shop("owner", street["street_a"])
    for to in moves:
        _change(app, "street_admin", shop, to)
    before = _last_event(shop)
    with pytest.raises(Invalid) as error:
        _change(app, "street_admin", shop, refused)
    assert error.value.errors == {"json": {"status": [error.value.errors["json"]["status"][0]]}}
    now = moves[-1] if moves else "active"
    assert error.value.message == f"status: a {now} shop cannot become {refused}"
    assert error.value.key == "status_change_not_allowed"
    assert _last_event(shop).seq == before.seq


def test_a_pending_shop_moves_only_by_the_decision_on_its_registration(app, make, street):
    shop = make.shop("owner", street["street_a"], approved=False)
    for to in ("active", "suspended", "closed"):
        with pytest.raises(Invalid, match=f"a pending shop cannot become {to}"):
            _change(app, "street_admin", shop, to)
    with database.connection_context():
        assert Shop.get_by_id(shop.id).status == "pending"


def test_an_admin_of_another_street_cannot_find_the_shop(app, make, street):
    shop = make.shop("owner", street["street_a"])
    with pytest.raises(NotFound):
        _change(app, "other_admin", shop, "suspended")
    with database.connection_context():
        assert Shop.get_by_id(shop.id).status == "active"


def test_move_records_the_event_it_is_given_and_when(app, make, street):
    shop = make.shop("owner", street["street_a"], approved=False)
    with app.app_context(), database.connection_context(), write_transaction():
        fresh = Shop.get_by_id(shop.id)
        status.move(fresh, "closed", "staff:1", {"request": 9}, event="shop.rejected")
        fresh.save()
        with pytest.raises(Invalid, match="a closed shop cannot become active"):
            status.move(fresh, "active", "staff:1", {})
    event = _last_event(shop)
    assert (event.type, event.actor, json.loads(event.payload)) == (
        "shop.rejected",
        "staff:1",
        {"request": 9},
    )
    with database.connection_context():
        stored = Shop.get_by_id(shop.id)
    assert stored.status == "closed"
    assert abs(stored.updated_at - event.occurred_at).total_seconds() < 1


@pytest.mark.parametrize(("start", "after"), [("active", "suspended"), ("suspended", "suspended")])
def test_a_failed_inspection_suspends_a_trading_shop_once(app, make, street, start, after):
    shop = make.shop("owner", street["street_a"])
    if start == "suspended":
        _change(app, "street_admin", shop, "suspended")
    before = _last_event(shop)
    with app.app_context(), database.connection_context(), write_transaction():
        fresh = Shop.get_by_id(shop.id)
        status.suspend_after_failure(fresh, "staff:2", "inspection X1")
        fresh.save()
    event = _last_event(shop)
    with database.connection_context():
        stored = Shop.get_by_id(shop.id)
    assert stored.status == after
    # An admin's suspension stays the admin's; a trading shop stops for the failure.
    assert stored.status_cause == ("inspection_failed" if start == "active" else "admin_decision")
    if start == "active":
        assert json.loads(event.payload) == {
            "from": "active",
            "to": "suspended",
            "reason": "inspection X1",
        }
    else:
        assert event.seq == before.seq


@pytest.mark.parametrize("state", ["pending", "active", "suspended"])
def test_only_a_closed_shop_refuses_changes(state):
    assert status.refuse_if_closed(Shop(status=state)) is None


def test_a_closed_shop_refuses_changes_naming_the_shop_in_the_path():
    with pytest.raises(Conflict) as refused:
        status.refuse_if_closed(Shop(status="closed"))
    assert refused.value.errors == {"path": {"shop_id": ["closed"]}}
    assert refused.value.message == (
        "this shop is closed: its record can be read but no longer changed"
    )
    assert refused.value.status == 409
    assert refused.value.key == "shop_closed"
