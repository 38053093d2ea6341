"""GCJ-02, as stored, to WGS 84, as GeoJSON requires, and back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.geo import distance_m
from backend.opendata.coordinates import gcj02_from_wgs84, wgs84_from_gcj02

PEOPLES_SQUARE_WGS84 = (31.2304, 121.4737)


def test_in_shanghai_the_shift_is_some_480_metres_south_east():
    lat, lng = gcj02_from_wgs84(*PEOPLES_SQUARE_WGS84)
    # As every Chinese map draws it: GCJ-02 lies south and east of WGS 84 here.
    assert lat == pytest.approx(31.22846, abs=1e-5) and lng == pytest.approx(121.47822, abs=1e-5)
    assert 470 < distance_m(*PEOPLES_SQUARE_WGS84, lat, lng) < 490


@given(
    lat=st.floats(min_value=18.0, max_value=53.0),
    lng=st.floats(min_value=74.0, max_value=134.0),
)
def test_back_from_gcj02_lands_within_a_millimetre(lat, lng):
    there = gcj02_from_wgs84(lat, lng)
    back = wgs84_from_gcj02(*there)
    assert distance_m(lat, lng, *back) < 0.001


@pytest.mark.parametrize("point", [(51.5007, -0.1246), (35.6586, 139.7454), (-33.8568, 151.2153)])
def test_outside_china_the_datum_is_wgs84_itself(point):
    assert gcj02_from_wgs84(*point) == point and wgs84_from_gcj02(*point) == point
