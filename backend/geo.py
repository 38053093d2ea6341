"""Distances between GCJ-02 points (both ends in the same datum, so plain haversine holds)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


# Metres in a degree of latitude; a degree of longitude is this times cos(latitude).
METRES_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_M / 360


def around(lat_column, lng_column, lat: float, lng: float, metres: float):
    """A query condition: the points in the square `metres` either side of (lat, lng),
    which an index can narrow to before `nearest` measures them."""
    dlat = metres / METRES_PER_DEGREE
    dlng = metres / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return lat_column.between(lat - dlat, lat + dlat) & lng_column.between(lng - dlng, lng + dlng)


def nearest(rows, lat: float, lng: float, metres: float) -> list[tuple[float, object]]:
    """(distance, row) of the rows (each with .lat and .lng) within `metres` of (lat,
    lng), nearest first; rows with no place are left out."""
    measured = (
        (distance_m(lat, lng, row.lat, row.lng), row) for row in rows if row.lat is not None
    )
    return sorted(((d, row) for d, row in measured if d <= metres), key=lambda pair: pair[0])
