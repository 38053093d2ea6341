"""A policy's preview over a large district: estimated from the shops and residents of the
lowest random buckets, scaled up, with its margin; exact while the district is small or
the audience too rare for a sample to say much."""

from __future__ import annotations

import math

import pytest

from backend import create_app
from backend.db import database
from backend.models import Shop, User

CATERERS = {"field": "shop.category", "op": "eq", "value": "catering"}
# Each caterer's bucket: one in 500 apart, so that the shares the preview reads in turn
# (buckets below 100, 316, 1,000, 3,162, 10,000) hold 1, 1, 2, 7 and 20 of them.
CATERER_BUCKETS = [i * 500 for i in range(20)]


@pytest.fixture
def district(make, places):
    """Twenty caterers in street A, four shops selling goods in street B (in the lowest
    buckets, where an estimate reads first), with buckets drawn as above."""
    caterers = [make.shop(f"owner{i}", places["street_a"], name=f"面馆{i}") for i in range(20)]
    retail = [
        make.shop(f"seller{i}", places["street_b"], name=f"百货{i}", category="general_retail")
        for i in range(4)
    ]
    with database.connection_context():
        for shop, bucket in zip(caterers, CATERER_BUCKETS, strict=True):
            Shop.update(sample_bucket=bucket).where(Shop.id == shop.id).execute()
        for n, shop in enumerate(retail):
            Shop.update(sample_bucket=n).where(Shop.id == shop.id).execute()
    return caterers


def _preview(client, target="shops", audience=CATERERS) -> dict:
    answer = client.login("district_admin").post(
        "/api/v1/admin/policy-preview", json={"target": target, "audience": audience}
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _sampling(config, matches: int):
    from tests.factories import ApiClient

    return ApiClient(create_app(config.replace(preview_sample_matches=matches)))


def test_a_small_district_is_counted_exactly(client, district):
    counted = _preview(client)
    assert (counted["total"], counted["exact"], counted["margin"]) == (20, True, 0)
    assert counted["sampled_share"] == 1.0
    assert counted["by_street"] == [{"name": "天平路街道", "count": 20}]
    assert len(counted["sample"]) == 10


def test_a_large_audience_is_estimated_from_the_lowest_buckets(config, district):
    # Three matches are enough here: the share below 3,162 is the first to hold as many
    # (seven caterers), so 7 of a 31.62 % sample stand for 22 of everyone.
    estimated = _preview(_sampling(config, 3))
    share = 3162 / 10_000
    assert estimated["exact"] is False and estimated["sampled_share"] == share
    assert estimated["total"] == round(7 / share) == 22
    assert estimated["margin"] == math.ceil(1.96 * math.sqrt(7 * (1 - share)) / share)
    # The truth, 20, lies inside what it says.
    assert (
        estimated["total"] - estimated["margin"] <= 20 <= estimated["total"] + estimated["margin"]
    )
    assert estimated["by_street"] == [{"name": "天平路街道", "count": 22}]
    assert estimated["by_category"] == [{"name": "餐饮服务", "count": 22}]
    # The sample is drawn from what was read: the seven caterers, none of the shops in
    # street B though they hold the lowest buckets of all.
    assert len(estimated["sample"]) == 7
    assert {s["street"] for s in estimated["sample"]} == {"天平路街道"}


def test_an_audience_too_rare_to_sample_is_counted_exactly(config, district, places):
    # Two of street B's four shops sit in the first share read; still fewer than the
    # three needed, in every share, so the preview reads everyone.
    sellers = {"field": "shop.category", "op": "eq", "value": "general_retail"}
    counted = _preview(_sampling(config, 5), audience=sellers)
    assert (counted["total"], counted["exact"], counted["margin"]) == (4, True, 0)


def test_no_sampling_at_all_when_it_is_switched_off(config, district):
    counted = _preview(_sampling(config, 0))
    assert (counted["total"], counted["exact"]) == (20, True)


def test_residents_are_estimated_the_same_way_and_named_nowhere(config, make, places):
    with database.connection_context():  # alice, of community A too, out of the way
        User.update(sample_bucket=9999).execute()
    for i in range(12):
        member = make.member(f"neighbour{i}", places["community_a"], display_name=f"邻居{i}")
        with database.connection_context():
            User.update(sample_bucket=i * 100).where(User.id == member.id).execute()
    in_a = {"field": "resident.region", "op": "under", "value": places["community_a"].code}
    # Buckets 0–1,100 in steps of 100: the share below 1,000 holds ten of the twelve.
    estimated = _preview(_sampling(config, 8), "residents", in_a)
    assert (estimated["total"], estimated["exact"]) == (round(10 / 0.1), False)
    assert estimated["by_street"] == [{"name": "天平路街道", "count": 100}]
    assert estimated["sample"] == [] and "邻居" not in str(estimated)
    exact = _preview(_sampling(config, 0), "residents", in_a)
    assert (exact["total"], exact["exact"]) == (13, True)  # and alice
