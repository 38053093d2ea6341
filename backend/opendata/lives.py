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

# Our inspectors record a result, not a score: the feed gives each result the top of its
# band, and legend.csv names the bands, so a reader that shows scores shows our result.
RESULT_SCORES = {"pass": 100, "pass_with_remarks": 89, "rectify": 79, "fail": 59}
LEGEND = (
    (90, 100, "合格：检查未发现问题（本区检查记结果不打分，合格记 100 分）"),
    (80, 89, "基本合格：有须改进之处，当场指出（记 89 分）"),
    (60, 79, "限期整改：发现问题，责令限期整改（记 79 分）"),
    (0, 59, "不合格：发现严重问题（记 59 分）"),
)
SEVERITY_LABELS = {"minor": "一般", "major": "严重", "critical": "重大"}


def lives_date(day: date) -> str:
    return day.strftime("%Y%m%d")
