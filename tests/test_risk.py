"""The regulator's risk grade, as the rule in backend/inspections/risk.py documents it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.inspections.risk import Facts, grade

pytestmark = pytest.mark.once  # the rule alone, no database

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
