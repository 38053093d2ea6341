"""GCJ-02, the datum Chinese maps and WeChat's location API use and we store, to and from
WGS 84, which RFC 7946 (GeoJSON) requires. GCJ-02 is WGS 84 shifted by a published
polynomial of position, a few hundred metres in the district; outside China it is WGS 84.

Written here rather than taken from a package: the registry's converters are unmaintained
copies of this same formula (the widely reproduced one of eviltransform)."""

from __future__ import annotations

import math

# Krasovsky 1940, the ellipsoid the shift is defined on.
A = 6_378_245.0
EE = 0.006_693_421_622_965_943_23


def outside_china(lat: float, lng: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift(lat: float, lng: float) -> tuple[float, float]:
    """The GCJ-02 offset, in degrees, at a WGS 84 point."""
    x, y = lng - 105.0, lat - 35.0
    common = 20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)
    d_lat = d_lng = common * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    d_lat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lng += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lng = (d_lng * 180.0) / (A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return d_lat, d_lng


def gcj02_from_wgs84(lat: float, lng: float) -> tuple[float, float]:
    if outside_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _shift(lat, lng)
    return lat + d_lat, lng + d_lng


def wgs84_from_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """The inverse has no closed form: the WGS 84 point whose shift lands on (lat, lng),
    found by fixed-point steps, each some hundred times closer; five are within a
    millimetre."""
    if outside_china(lat, lng):
        return lat, lng
    wgs_lat, wgs_lng = lat, lng
    for _ in range(5):
        there_lat, there_lng = gcj02_from_wgs84(wgs_lat, wgs_lng)
        wgs_lat, wgs_lng = wgs_lat - (there_lat - lat), wgs_lng - (there_lng - lng)
    return wgs_lat, wgs_lng
