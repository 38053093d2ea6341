"""Region subtrees: what scope.under matches, and what it refuses to build."""

from __future__ import annotations

import pytest

from backend import scope
from backend.db import database
from backend.models import Shop


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
