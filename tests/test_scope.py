"""Region subtrees: what scope.under matches, and what it refuses to build."""

from __future__ import annotations

import pytest

from backend import scope
from backend.db import database
from backend.errors import Invalid, NotFound
from backend.models import AuditEntry, Shop, StaffAccount


def test_under_matches_the_subtree_and_nothing_beside_it(make):
    places = make.region_tree()
    inside = make.shop("owner_a", places["street_a"], places["community_a"])
    make.shop("owner_b", places["street_b"])
    with database.connection_context():
        found = Shop.select().where(scope.under(Shop.region_path, places["street_a"].path))
        assert [s.id for s in found] == [inside.id]


@pytest.mark.parametrize("path", ["310104", "310104//", "/310104/", "3101 04/", "310104/%", ""])
def test_under_refuses_anything_but_a_region_path(path):
    # A wildcard or a path without its closing slash would widen the match to other regions.
    with pytest.raises(ValueError, match="not a region path"):
        scope.under(Shop.region_path, path)


@pytest.fixture
def staff(app, make):
    places = make.region_tree()
    make.staff("street_admin", "admin", places["street_a"], name="钱进")
    make.staff("cadre_a", "cadre", places["community_a"], name="周敏")
    make.staff("other_admin", "admin", places["street_b"], name="吴芳")
    with database.connection_context():
        by_user = {s.user.openid.removeprefix("oStub_"): s for s in StaffAccount.select()}
    return places, by_user


def _denials() -> list[tuple[str, str, str]]:
    with database.connection_context():
        return [
            (e.target_type, e.target_id, e.staff.user.openid)
            for e in AuditEntry.select().where(AuditEntry.action == "scope.denied")
        ]


def test_a_shop_in_scope_is_found_one_elsewhere_is_not_found_and_the_try_is_audited(
    app, make, staff
):
    places, by_user = staff
    mine = make.shop("owner_a", places["street_a"], places["community_a"])
    theirs = make.shop("owner_b", places["street_b"])
    admin = by_user["street_admin"]
    with app.test_request_context(), database.connection_context():
        assert scope.shop(admin, mine.public_id).id == mine.id
        assert [s.id for s in scope.shops(admin)] == [mine.id]
        for missing in (theirs.public_id, "NOSUCHSHOP"):
            with pytest.raises(NotFound, match="^shop not found$") as refused:
                scope.shop(admin, missing)
            assert refused.value.key == "shop_not_found"
    assert _denials() == [("shop", theirs.public_id, "oStub_street_admin")]


def test_find_names_what_it_looked_for_in_its_not_found(app, make, staff):
    places, by_user = staff
    cadre = by_user["cadre_a"]
    with app.test_request_context(), database.connection_context():
        with pytest.raises(NotFound, match="^staff member not found$") as refused:
            scope.find(
                cadre,
                scope.staff_accounts(cadre).where(StaffAccount.id == by_user["other_admin"].id),
                "staff_member",
                by_user["other_admin"].id,
                StaffAccount.select(StaffAccount.region_path).where(
                    StaffAccount.id == by_user["other_admin"].id
                ),
            )
        assert refused.value.key == "staff_not_found"
        assert {s.id for s in scope.staff_accounts(by_user["street_admin"])} == {
            by_user["street_admin"].id,
            by_user["cadre_a"].id,
        }
    assert _denials() == [("staff_member", str(by_user["other_admin"].id), "oStub_cadre_a")]


def test_covers_is_the_subtree_rooted_at_the_staff_members_region(staff):
    places, by_user = staff
    admin = by_user["street_admin"]
    assert scope.covers(admin, places["street_a"].path)
    assert scope.covers(admin, places["community_a"].path)
    assert not scope.covers(admin, places["street_b"].path)
    assert not scope.covers(admin, places["district"].path)


def test_only_the_districts_staff_cover_the_whole_district(staff, make):
    places, by_user = staff
    district = make.staff("district_admin", "admin", places["district"], name="孙立")
    assert scope.whole_district(district)
    assert not scope.whole_district(by_user["street_admin"])
    assert not scope.whole_district(by_user["cadre_a"])


def test_ancestors_are_every_region_above_and_the_region_itself():
    assert scope.ancestors("310104/310104003/310104003001/") == [
        "310104/",
        "310104/310104003/",
        "310104/310104003/310104003001/",
    ]
    assert scope.ancestors("310104/") == ["310104/"]


def test_figures_by_street_take_the_street_of_any_deeper_path():
    assert scope.street_path("310104/310104003/310104003001/") == "310104/310104003/"
    assert scope.street_path("310104/310104003/") == "310104/310104003/"


def test_a_region_named_in_a_body_must_be_the_callers_or_below(app, staff):
    places, by_user = staff
    admin = by_user["street_admin"]
    with app.test_request_context(), database.connection_context():
        assert scope.region(admin, places["community_a"].code).id == places["community_a"].id
        assert scope.region(admin, places["street_a"].code).id == places["street_a"].id
        for code in (places["street_b"].code, places["district"].code, "999999"):
            with pytest.raises(Invalid) as refused:
                scope.region(admin, code, field="target")
            assert refused.value.errors == {
                "json": {"target": ["no region with this code in your scope"]}
            }
            assert refused.value.errors["json"]["target"][0].key == "region_not_in_scope"
        with pytest.raises(Invalid) as refused:
            scope.region(admin, places["street_b"].code)
        assert list(refused.value.errors["json"]) == ["region"]
    assert sorted(_denials()) == sorted(
        ("region", code, "oStub_street_admin")
        for code in (places["street_b"].code, places["district"].code, places["street_b"].code)
    )
