"""Reading a LIVES feed as cities really publish them (backend/opendata/lives.py): a folder,
a ZIP, or the one-file "flattened" variant; San Francisco's "_plus" files; dates as
M/D/YY or MM/DD/YYYY; NULL for nothing; CRLF; a BOM or Latin-1 bytes; 0.0 for no
coordinates. A row that cannot be used is skipped and named; a file that is not LIVES at
all (merge-conflict markers, no header, a row without a business id) refuses the feed."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from backend import clock
from backend.opendata import lives
from backend.text import as_one_line

NOTHING = {"", "null", "none", "nan", "n/a", "na"}
CONFLICT_MARKS = ("<<<<<<<", "=======", ">>>>>>>")
# Header names as feeds spell them, mapped to the spec's: San Francisco's "plus" files.
ALIASES = {"violationtypeid": "code"}
FLATTENED_PREFIXES = ("business_", "inspection_", "violation_")
FLATTENED_NEEDED = ("business_id", "inspection_date")
DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d")
NEEDED = {
    "businesses.csv": ("business_id", "name"),
    "inspections.csv": ("business_id", "date"),
    "violations.csv": ("business_id", "date"),
    "feed_info.csv": ("feed_date",),
    "legend.csv": (),
}

# What an operator reads about a row skipped or a feed refused, by the reason's key.
REASONS = {
    "no_csv_files": "没有找到 CSV 文件",
    "no_businesses_file": "没有 businesses.csv，也不是单文件（flattened）格式",
    "merge_conflict": "文件含合并冲突标记，不是 LIVES 数据",
    "no_header": "第一行不是 LIVES 表头，缺少列",
    "empty_business_id": "business_id 为空",
    "bad_feed_date": "feed_info.csv 的 feed_date 不是日期",
    "duplicate_business": "商户重复出现，保留第一行",
    "business_id_too_long": "business_id 超过 64 个字符",
    "no_name": "商户没有名称",
    "unknown_business": "businesses.csv 中没有这个商户",
    "bad_date": "日期无法识别",
    "duplicate_inspection": (
        "同一商户同一天的另一次检查（LIVES 以商户和日期区分检查），保留有分数的一次"
    ),
    "no_inspection": "找不到这条违规所属的检查",
    "empty_violation": "违规既无代码也无描述",
    "duplicate_violation": "同一次检查的违规重复出现",
}


class NotLives(Exception):
    """The feed is refused whole: nothing of it is imported."""

    def __init__(self, file: str, line: int, reason: str, detail: str = ""):
        super().__init__(f"{file}:{line}: {reason} {detail}".strip())
        self.file, self.line, self.reason, self.detail = file, line, reason, detail


@dataclass
class Feed:
    name: str
    feed_date: date
    files: dict[str, str] = field(default_factory=dict)  # the spec's name → the file read
    encodings: dict[str, str] = field(default_factory=dict)
    businesses: dict[str, dict] = field(default_factory=dict)
    inspections: dict[tuple[str, date], dict] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [spec for spec in lives.COLUMNS if spec not in self.files]

    def reject(self, spec: str, line: int, reason: str) -> None:
        self.skipped[spec] = self.skipped.get(spec, 0) + 1
        self.rejected.append(
            {
                "file": self.files.get(spec, spec),
                "line": line,
                "reason": reason,
                "message": REASONS[reason],
            }
        )


def read(path: Path) -> Feed:
    texts = _texts(path)
    feed = Feed(name=path.stem, feed_date=clock.today_local())
    tables = {}
    for spec in lives.COLUMNS:
        name = _pick(texts, spec)
        if name is not None:
            feed.files[spec] = name
            tables[spec] = _table(name, texts[name][0], NEEDED[spec])
    if "businesses.csv" not in tables:
        name = _flattened_file(texts, path)
        for spec in ("businesses.csv", "inspections.csv", "violations.csv"):
            feed.files[spec] = name
        tables["flattened"] = _table(name, texts[name][0], FLATTENED_NEEDED)
    feed.encodings = {name: texts[name][1] for name in set(feed.files.values())}
    if "feed_info.csv" in tables:
        _feed_info(feed, tables["feed_info.csv"])
    if "flattened" in tables:
        _flat_rows(feed, tables["flattened"])
        return feed
    for line, row in tables["businesses.csv"]:
        _business(feed, line, row)
    for line, row in tables.get("inspections.csv", []):
        _inspection(feed, line, row)
    for line, row in tables.get("violations.csv", []):
        _violation(feed, line, row)
    return feed


def described(refused: NotLives) -> dict:
    message = REASONS[refused.reason] + (f"：{refused.detail}" if refused.detail else "")
    return {
        "file": refused.file,
        "line": refused.line,
        "reason": refused.reason,
        "message": message,
    }


# -- files ------------------------------------------------------------------------------
def _texts(path: Path) -> dict[str, tuple[str, str]]:
    """Every CSV of the feed by its lower-case base name, decoded, with its encoding."""
    raw: dict[str, bytes] = {}
    if path.is_dir():
        raw = {p.name.lower(): p.read_bytes() for p in path.iterdir() if p.suffix.lower() == ".csv"}
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                base = Path(info.filename).name.lower()
                if base.endswith(".csv") and not base.startswith("._") and not info.is_dir():
                    raw[base] = archive.read(info)
    elif path.is_file():
        raw = {path.name.lower(): path.read_bytes()}
    if not raw:
        raise NotLives(path.name, 0, "no_csv_files")
    return {name: _decoded(data) for name, data in raw.items()}


def _decoded(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Older American feeds are Windows' Latin-1; every byte is a character in it.
        return data.decode("latin-1"), "latin-1"


def _pick(texts: dict, spec: str) -> str | None:
    plus = spec.replace(".csv", "_plus.csv")
    return spec if spec in texts else plus if plus in texts else None


def _flattened_file(texts: dict, path: Path) -> str:
    """The one file of the flattened variant: a CSV whose header names business and
    inspection columns together."""
    for name, (text, _) in sorted(texts.items()):
        first = text.lstrip().split("\n", 1)[0].lower()
        if "business_id" in first and "inspection_date" in first:
            return name
    raise NotLives(path.name, 0, "no_businesses_file")


def _table(name: str, text: str, needed: tuple) -> list[tuple[int, dict]]:
    """The rows of a file with their line numbers, as {column: value or None}."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(CONFLICT_MARKS):
            raise NotLives(name, number, "merge_conflict")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in next(reader, [])]
    absent = [column for column in needed if column not in header]
    if absent:
        raise NotLives(name, 1, "no_header", ", ".join(absent))
    rows = []
    while (cells := next(reader, None)) is not None:
        # Where the record began: a quoted value may have run over several lines.
        line = reader.line_num - sum(cell.count("\n") for cell in cells)
        if not any(cell.strip() for cell in cells):
            continue
        row = {h: _value(cell) for h, cell in zip(header, cells, strict=False)}
        if "business_id" in header and not row.get("business_id"):
            raise NotLives(name, line, "empty_business_id")
        rows.append((line, row))
    return rows


def _value(cell: str) -> str | None:
    cell = as_one_line(cell)  # the spec allows no break or tab inside a value
    return None if cell.lower() in NOTHING else cell


# -- rows -------------------------------------------------------------------------------
def _feed_info(feed: Feed, rows: list) -> None:
    for line, row in rows[:1]:
        feed.name = (row.get("municipality_name") or feed.name)[:200]
        day = parse_date(row.get("feed_date"))
        if day is None:
            raise NotLives(feed.files["feed_info.csv"], line, "bad_feed_date")
        feed.feed_date = day


def _business(feed: Feed, line: int, row: dict) -> None:
    spec, business_id = "businesses.csv", row["business_id"]
    if business_id in feed.businesses:
        return feed.reject(spec, line, "duplicate_business")
    if len(business_id) > 64:
        return feed.reject(spec, line, "business_id_too_long")
    if not row.get("name"):
        return feed.reject(spec, line, "no_name")
    lat = _coordinate(row.get("latitude"), 90)
    lng = _coordinate(row.get("longitude"), 180)
    phone = row.get("phone_number")
    feed.businesses[business_id] = {
        "name": row["name"][:100],
        "address": (row.get("address") or "")[:200],
        "lat": lat if lng is not None else None,
        "lng": lng if lat is not None else None,
        "phone": phone if phone and len(phone) <= 20 else None,
    }


def _inspection(feed: Feed, line: int, row: dict, same_rows: bool = False) -> None:
    spec, business_id = "inspections.csv", row["business_id"]
    if business_id not in feed.businesses:
        return feed.reject(spec, line, "unknown_business")
    day = parse_date(row.get("date"))
    if day is None:
        return feed.reject(spec, line, "bad_date")
    found = {
        "score": _score(row.get("score")),
        "type": _kind(row.get("type")),
        "description": (row.get("description") or None) and row["description"][:500],
        "violations": [],
        "id": row.get("id"),
        "line": line,
    }
    kept = feed.inspections.get((business_id, day))
    if kept is None:
        feed.inspections[(business_id, day)] = found
    elif same_rows and kept["id"] == found["id"]:
        return None  # the flattened file repeats an inspection once per violation
    elif kept["score"] is None and found["score"] is not None:
        # Two on one day, which LIVES cannot tell apart: the one with a score is kept.
        found["violations"] = kept["violations"]
        feed.inspections[(business_id, day)] = found
        feed.reject(spec, kept["line"], "duplicate_inspection")
    else:
        feed.reject(spec, line, "duplicate_inspection")


def _violation(feed: Feed, line: int, row: dict) -> None:
    spec = "violations.csv"
    day = parse_date(row.get("date"))
    if day is None:
        return feed.reject(spec, line, "bad_date")
    inspection = feed.inspections.get((row["business_id"], day))
    if inspection is None:
        return feed.reject(spec, line, "no_inspection")
    code, description = (row.get("code") or "")[:32], (row.get("description") or "")[:500]
    if not code and not description:
        return feed.reject(spec, line, "empty_violation")
    violation = {"code": code, "description": description}
    if violation in inspection["violations"]:
        return feed.reject(spec, line, "duplicate_violation")
    inspection["violations"].append(violation)


def _flat_rows(feed: Feed, rows: list) -> None:
    """The flattened variant: each row a business, an inspection of it and one of its
    violations, their columns prefixed business_, inspection_ and violation_."""
    for line, row in rows:
        business_id = row["business_id"]
        part = _split(row)
        if business_id not in feed.businesses:
            _business(feed, line, part["business_"])
        _inspection(feed, line, part["inspection_"], same_rows=True)
        violation = part["violation_"]
        if violation.get("id") or violation.get("description"):
            code = violation.get("code") or (violation.get("id") or "").rsplit("_", 1)[-1]
            _violation(
                feed, line, violation | {"date": part["inspection_"].get("date"), "code": code}
            )


def _split(row: dict) -> dict[str, dict]:
    """A flattened row as its three parts by prefix, each under the spec's column names
    and each with the business id."""
    part = {prefix: {"business_id": row["business_id"]} for prefix in FLATTENED_PREFIXES}
    for column, value in row.items():
        prefix = next((p for p in FLATTENED_PREFIXES if column.startswith(p)), None)
        if prefix is not None and column != "business_id":
            name = column.removeprefix(prefix)
            part[prefix][ALIASES.get(name, name)] = value
    return part


# -- values -----------------------------------------------------------------------------
def parse_date(text: str | None) -> date | None:
    """A day, as the spec writes it or as feeds do (ISO, US, two-digit years, a time after)."""
    if not text:
        return None
    text = re.split(r"[ T]", text.strip(), maxsplit=1)[0]
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day if 1900 <= day.year <= clock.today_local().year + 1 else None
    return None


def _score(text: str | None) -> int | None:
    try:
        score = round(float(text))
    except (TypeError, ValueError, OverflowError):
        return None
    return score if 0 <= score <= 100 else None


def _coordinate(text: str | None, limit: float) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value and abs(value) <= limit else None


def _kind(text: str | None) -> str | None:
    text = (text or "").lower()
    if text in lives.INSPECTION_TYPES:
        return text
    for word, kind in (
        ("follow", "followup"),
        ("reinspect", "followup"),
        ("complaint", "complaint"),
        ("routine", "routine"),
        ("new", "initial"),
        ("initial", "initial"),
    ):
        if word in text:
            return kind
    return None
