"""Yelp's LIVES (Local Inspector Value-Entry Specification), as its version 1.0 lays a feed
out: five comma-separated files with a header line, quoted as Excel quotes, dates as
YYYYMMDD, one line per value. What the export writes and the import reads agree here."""

from __future__ import annotations

from datetime import date

VERSION = "1.0"
COLUMNS = {
    "businesses.csv": (
        "business_id",
        "name",
        "address",
        "city",
        "state",
        "postal_code",
        "latitude",
        "longitude",
        "phone_number",
    ),
    "inspections.csv": ("business_id", "score", "date", "description", "type"),
    "violations.csv": ("business_id", "date", "code", "description"),
    "feed_info.csv": (
        "feed_date",
        "feed_version",
        "municipality_name",
        "municipality_url",
        "contact_email",
    ),
    "legend.csv": ("minimum_score", "maximum_score", "description"),
}
INSPECTION_TYPES = ("initial", "routine", "followup", "complaint")


def legend(rule: dict) -> tuple:
    """The score bands of a scoring rule's grades (inspections.scoring), best first."""
    a, b = rule["cutoffs"]["A"], rule["cutoffs"]["B"]
    return (
        (a, 100, f"A 良好（笑脸）：{a} 分及以上"),
        (b, a - 1, f"B 一般（平脸）：{b}–{a - 1} 分"),
        (0, b - 1, f"C 较差（哭脸）：{b} 分以下，或关键项不符合达到规定项数"),
    )


SEVERITY_LABELS = {"minor": "一般", "major": "严重", "critical": "重大"}


def lives_date(day: date) -> str:
    return day.strftime("%Y%m%d")
