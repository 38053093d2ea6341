"""The regulator's risk grade, as the rule in backend/inspections/risk.py documents it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend import clock
from backend.db import database
from backend.inspections import risk
from backend.inspections.risk import Facts, grade
from backend.models import (
    Complaint,
    Employee,
    Inspection,
    RectificationOrder,
    Shop,
    StaffAccount,
)

LETTERS = "ABCD"
FACTS = st.builds(
    Facts,
    last_result=st.sampled_from([None, "pass", "pass_with_remarks", "rectify", "fail"]),
    inspected_recently=st.booleans(),
    expired_licences=st.integers(0, 4),
    expired_certificates=st.integers(0, 4),
    open_rectifications=st.integers(0, 4),
    overdue_rectifications=st.integers(0, 4),
    recent_complaints=st.integers(0, 12),
)
# Points for one more of each fact.
WEIGHTS = {
    "expired_licences": 2,
    "expired_certificates": 1,
    "open_rectifications": 1,
    "overdue_rectifications": 3,
    "recent_complaints": 1,
}


@pytest.mark.parametrize(
    ("facts", "letter", "points"),
    [
        (Facts(last_result="pass", inspected_recently=True), "A", 0),
        (Facts(last_result="pass_with_remarks", inspected_recently=True), "A", 1),
        (Facts(), "B", 2),  # never inspected
        (Facts(last_result="rectify", inspected_recently=True), "B", 3),
        (Facts(last_result="pass", inspected_recently=True, expired_licences=2), "C", 4),
        (Facts(last_result="fail", inspected_recently=True, expired_certificates=1), "C", 6),
        (Facts(last_result="fail", inspected_recently=True, expired_licences=1), "D", 7),
        (Facts(last_result="fail", inspected_recently=False, overdue_rectifications=1), "B", 3),
        (Facts(last_result="pass", inspected_recently=True, open_rectifications=2), "B", 2),
        (Facts(last_result="pass", inspected_recently=True, recent_complaints=9), "B", 3),
    ],
)
def test_each_fact_weighs_what_the_rule_says(facts, letter, points):
    result = grade(facts)
    assert (result.letter, result.points) == (letter, points)


def test_each_reason_is_named_with_its_points_as_the_regulatory_view_shows_it():
    facts = Facts(
        expired_licences=1,
        expired_certificates=2,
        open_rectifications=1,
        overdue_rectifications=1,
        recent_complaints=4,
    )
    assert grade(facts).reasons == [
        {"reason": "never inspected", "points": 2},
        {"reason": "1 expired licence(s)", "points": 2},
        {"reason": "2 expired health certificate(s)", "points": 2},
        {"reason": "1 open rectification order(s)", "points": 1},
        {"reason": "1 overdue rectification order(s)", "points": 3},
        {"reason": "substantiated complaints from 4 resident(s) in 90 days", "points": 3},
    ]
    recent = grade(Facts(last_result="rectify", inspected_recently=True))
    assert recent.reasons == [{"reason": "last inspection: rectify", "points": 3}]


@given(FACTS)
def test_the_points_are_the_sum_of_the_reasons_shown(facts):
    result = grade(facts)
    assert result.points == sum(reason["points"] for reason in result.reasons)
    assert all(reason["points"] > 0 for reason in result.reasons)


@given(FACTS, st.sampled_from(list(WEIGHTS)))
def test_one_more_bad_fact_never_improves_the_grade(facts, fact):
    worse = replace(facts, **{fact: getattr(facts, fact) + 1})
    assert LETTERS.index(grade(worse).letter) >= LETTERS.index(grade(facts).letter)
    # One resident's complaint counts once, and complaints count up to three points.
    capped = fact == "recent_complaints" and facts.recent_complaints >= 3
    assert grade(worse).points == grade(facts).points + (0 if capped else WEIGHTS[fact])


@given(FACTS)
def test_an_old_inspection_counts_for_nothing_but_never_inspected_does(facts):
    old = replace(facts, inspected_recently=False)
    base = replace(old, last_result="pass")
    assert grade(old).points == grade(base).points + (2 if facts.last_result is None else 0)


# -- the facts as the database holds them ------------------------------------------------------
@pytest.fixture
def shop(make):
    places = make.region_tree()
    make.staff("inspector", "inspector", places["street_a"], name="李明")
    return make.shop("owner", places["street_a"])


def _inspected(shop, result: str, days_ago: int, n: int) -> Inspection:
    inspector = StaffAccount.get(StaffAccount.role == "inspector")
    return Inspection.create(
        shop=shop.id,
        inspector=inspector,
        template="food_safety",
        checklist="[]",
        result=result,
        lat=31.2,
        lng=121.4,
        proof_jti=f"jti-{n}",
        digest="0" * 64,
        event_seq=n,
        recorded_at=clock.now() - timedelta(days=days_ago),
    )


def test_the_facts_count_what_the_rule_counts_and_nothing_else(app, make, shop):
    today = clock.today_local()
    make.licence(shop, today - timedelta(days=1), number="EXPIRED001")
    make.licence(shop, today, number="LASTDAY0001")  # its last day: still valid
    make.licence(shop, today + timedelta(days=90), number="VALID000001")
    with database.connection_context():
        for n, expires in enumerate((-1, -30, 0, 10)):
            Employee.create(
                shop=shop.id,
                name="张伟",
                health_cert_number=f"JK{n}",
                health_cert_expires=today + timedelta(days=expires),
            )
        older = _inspected(shop, "fail", 400, 1)
        _inspected(shop, "pass_with_remarks", 364, 2)
        for status, overdue in (
            ("open", False),
            ("submitted", True),
            ("closed", True),
            ("withdrawn", False),
            ("open", True),
        ):
            RectificationOrder.create(
                shop=shop.id,
                inspection=older,
                status=status,
                overdue=overdue,
                deadline=today,
                requirements="整改",
            )
        Shop.update(last_inspection_result="pass_with_remarks").where(Shop.id == shop.id).execute()
        Complaint.create(shop=shop.id, category="service", text="态度差", status="substantiated")
        for undecided in ("received", "accepted", "not_accepted", "not_substantiated"):
            Complaint.create(shop=shop.id, category="service", text="态度差", status=undecided)
        facts = risk.facts_for(Shop.get_by_id(shop.id))
    assert facts == Facts(
        last_result="pass_with_remarks",
        inspected_recently=True,
        expired_licences=1,
        expired_certificates=2,
        open_rectifications=3,
        overdue_rectifications=2,
        recent_complaints=1,
    )


@pytest.mark.parametrize(("days_ago", "recent"), [(364, True), (366, False)])
def test_an_inspection_counts_for_a_year_to_the_day(app, shop, days_ago, recent):
    with database.connection_context():
        _inspected(shop, "fail", days_ago, 1)
        Shop.update(last_inspection_result="fail").where(Shop.id == shop.id).execute()
        facts = risk.facts_for(Shop.get_by_id(shop.id))
    assert (facts.last_result, facts.inspected_recently) == ("fail", recent)


def test_the_latest_inspection_decides_however_they_were_filed(app, make, shop):
    """Filed out of order (a correction of the record's order by hand, a restore), the
    latest by its time still decides; another shop's inspections never do."""
    other = make.shop("owner_b", Shop.get_by_id(shop.id).street)
    with database.connection_context():
        assert risk.facts_for(Shop.get_by_id(shop.id)).inspected_recently is False
        _inspected(other, "fail", 1, 5)  # the other shop's, yesterday
        _inspected(shop, "pass", 800, 6)
        assert risk.facts_for(Shop.get_by_id(shop.id)).inspected_recently is False
        _inspected(shop, "pass", 10, 1)
        _inspected(shop, "pass", 500, 2)  # an older one, filed later
        _inspected(other, "fail", 1, 3)
        Shop.update(last_inspection_result="pass").where(Shop.id == shop.id).execute()
        assert risk.facts_for(Shop.get_by_id(shop.id)).inspected_recently is True
        assert risk.facts_for(Shop.get_by_id(other.id)).inspected_recently is True
        _inspected(other, "pass", 700, 4)
        assert risk.facts_for(Shop.get_by_id(other.id)).inspected_recently is True


def test_substantiated_complaints_count_residents_in_the_last_ninety_days(app, make, shop):
    alice, bob = make.user("alice"), make.user("bob")
    found = partial(Complaint.create, category="service", text="态度差", status="substantiated")
    with database.connection_context():
        for user, days_ago in ((alice, 1), (alice, 2), (bob, 89), (None, 3), (None, 5), (bob, 91)):
            found(shop=shop.id, user=user, created_at=clock.now() - timedelta(days=days_ago))
        since = clock.now() - timedelta(days=90)
        # Another shop's complaints are its own; one made at the very start of the window counts.
        other = make.shop("owner_b", Shop.get_by_id(shop.id).street)
        found(shop=other.id, user=make.user("carol"))
        found(shop=shop.id, user=make.user("dave"), created_at=since)
        # Not substantiated, or not decided yet: not counted.
        Complaint.create(
            shop=shop.id, user=make.user("erin"), category="service", text="差", status="accepted"
        )
        # alice twice counts once, bob's old complaint not at all, each deleted account's once.
        assert risk.recent_complaints(Shop.get_by_id(shop.id), since) == 5


def test_refresh_stores_the_letter_and_the_open_orders_on_the_shop(app, make, shop):
    today = clock.today_local()
    make.licence(shop, today - timedelta(days=1), number="EXPIRED001")
    with database.connection_context():
        older = _inspected(shop, "rectify", 10, 1)
        RectificationOrder.create(
            shop=shop.id, inspection=older, deadline=today, requirements="整改", overdue=True
        )
        Shop.update(last_inspection_result="rectify").where(Shop.id == shop.id).execute()
        fresh = Shop.get_by_id(shop.id)
        bystander = make.shop("owner_b", fresh.street)
        with database.atomic():
            result = risk.refresh(fresh)
        stored = Shop.get_by_id(shop.id)
        untouched = Shop.get_by_id(bystander.id)
    # rectify 3 + an expired licence 2 + an open order 1 + an overdue one 3 = 9: D.
    assert (result.letter, result.points) == ("D", 9)
    assert (stored.risk_grade, stored.open_rectifications) == ("D", 1)
    assert (fresh.risk_grade, fresh.open_rectifications) == ("D", 1)
    assert (untouched.risk_grade, untouched.open_rectifications) == ("B", 0)
