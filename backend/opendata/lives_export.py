"""The open shops and their inspections as a LIVES feed (backend/opendata/lives.py): a
folder of its five files for `citycode export-lives`, and the ZIP the public API serves,
made again every day by the engine.

Nothing personal goes out: no inspector, no shopkeeper, no phone number, no note typed
by hand; a violation is its checklist item's printed text. Business ids are the shops'
public ids, which never change. Coordinates are WGS 84, as every map outside China
reads them."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from itertools import groupby
from math import inf
from pathlib import Path

import peewee as pw
from flask import current_app

from backend import clock, queued, storage
from backend.errors import NotFound
from backend.inspections import checklists, scoring
from backend.models import (
    Finding,
    ImportedInspection,
    Inspection,
    Region,
    SamplingTask,
    Shop,
)
from backend.models.inspections import corrected_grades, corrected_results, counted
from backend.opendata import lives
from backend.opendata.coordinates import wgs84_from_gcj02
from backend.opendata.search import PUBLIC_STATUSES
from backend.shops.facts import RESULT_LABELS
from backend.text import as_one_line

SHOPS_PER_QUERY = 500
# LIVES's `type` has no value for a randomly drawn inspection: its description says so.
SAMPLED_MARK = "双随机抽查"
# Until the first feed is made, a process asks the engine for it once in this long.
ASK_AGAIN_SECONDS = 300
_asked: dict[object, float] = {}  # by the storage the feed is missing from
FEED_KEY = "open-data/lives.zip"


def served():
    """The ZIP as the engine last made it, as a response. Before its first night the
    engine is asked to make it now (with an immediate queue it is made here), and the
    caller is told it is not there yet and when to ask again: a 404, since nothing is
    broken."""
    try:
        return storage.send(FEED_KEY, "application/zip")
    except storage.Missing:
        pass
    files = storage.files()
    if time.monotonic() - _asked.get(files, -inf) > ASK_AGAIN_SECONDS:
        _asked[files] = time.monotonic()
        queued.ask("build_lives")
        try:
            return storage.send(FEED_KEY, "application/zip")
        except storage.Missing:
            pass
    raise NotFound(
        "the LIVES feed is not made yet; try again in a minute",
        key="feed_not_ready",
        headers={"Retry-After": "60"},
    )


def write_folder(folder: Path) -> dict[str, int]:
    """The feed's five files in `folder`; how many rows each has."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in _files():
        with open(folder / name, "w", encoding="utf-8", newline="") as out:
            counts[name] = _write(out, name, rows)
    return counts


def rebuild() -> dict[str, int]:
    """The served ZIP made afresh; readers get the old one until the new one is stored."""
    counts = {}
    handle, partial = tempfile.mkstemp(suffix=".zip")
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as feed,
        ):
            for name, rows in _files():
                with (
                    feed.open(name, "w") as member,
                    io.TextIOWrapper(member, encoding="utf-8", newline="") as out,
                ):
                    counts[name] = _write(out, name, rows)
        storage.files().put_file(FEED_KEY, Path(partial), "application/zip")
    finally:
        Path(partial).unlink(missing_ok=True)
    return counts


def _write(out, name: str, rows: Iterable[Iterable]) -> int:
    writer = csv.writer(out, dialect="excel")
    writer.writerow(lives.COLUMNS[name])
    written = 0
    for row in rows:
        writer.writerow(["" if cell is None else as_one_line(str(cell)) for cell in row])
        written += 1
    return written


def _files() -> Iterator[tuple[str, Iterable]]:
    district = Region.select(Region.name).where(Region.parent.is_null()).order_by(Region.id)
    city = district.scalar() or ""
    violations: list[tuple] = []
    yield "businesses.csv", _businesses(city)
    yield "inspections.csv", _inspections(violations)
    # Gathered while the inspections were written: each belongs to one kept inspection.
    yield "violations.csv", violations
    config = current_app.config["CITYCODE"]
    yield (
        "feed_info.csv",
        [(lives.lives_date(clock.today_local()), lives.VERSION, city, config.public_base_url, "")],
    )
    default = checklists.templates()[checklists.DEFAULT]
    yield "legend.csv", lives.legend(scoring.rule_in_force(default, clock.today_local()))


def _public_shops() -> pw.ModelSelect:
    return Shop.select().where(Shop.status.in_(PUBLIC_STATUSES)).order_by(Shop.id)


def _businesses(city: str) -> Iterator[tuple]:
    for shop in _public_shops().iterator():
        lat = lng = None
        if shop.lat is not None and shop.lng is not None:
            lat, lng = (f"{v:.6f}" for v in wgs84_from_gcj02(shop.lat, shop.lng))
        yield (shop.public_id, shop.name, shop.address, city, "", "", lat, lng, "")


def _inspections(violations: list) -> Iterator[tuple]:
    ids = _public_shops().select(Shop.id, Shop.public_id).tuples().iterator()
    for chunk in pw.chunked(ids, SHOPS_PER_QUERY):
        public_ids = dict(chunk)
        for shop_id, kept in _kept_by_shop(list(public_ids)):
            for day, row in kept:
                business = public_ids[shop_id]
                yield (
                    business,
                    row["score"],
                    lives.lives_date(day),
                    row["description"],
                    row["type"],
                )
                violations.extend(
                    (business, lives.lives_date(day), code, text)
                    for code, text in row["violations"]
                )


def _kept_by_shop(shop_ids: list[int]) -> Iterator[tuple[int, list]]:
    """Per shop, its inspections by day, oldest first: ours and those a feed brought in.
    LIVES keys an inspection by (business, date): of two on one day the later stands."""
    ours = _ours(shop_ids)
    imported = _imported(shop_ids)
    for shop_id in shop_ids:
        days = dict(imported.get(shop_id, ()))
        days.update(ours.get(shop_id, ()))
        yield shop_id, sorted(days.items())


def _ours(shop_ids: list[int]) -> dict[int, list]:
    inspections = list(
        Inspection.select(
            Inspection.id,
            Inspection.shop,
            Inspection.result,
            Inspection.score,
            Inspection.grade,
            Inspection.checklist,
            Inspection.template,
            Inspection.recorded_at,
        )
        .where(Inspection.shop.in_(shop_ids) & counted())
        .order_by(Inspection.shop, Inspection.recorded_at, Inspection.id)
    )
    ids = [i.id for i in inspections]
    corrected = corrected_results(ids)
    regraded = corrected_grades(ids)
    sampled = SamplingTask.select(SamplingTask.inspection).where(SamplingTask.inspection.in_(ids))
    marks = {inspection_id: SAMPLED_MARK for (inspection_id,) in sampled.tuples()}
    findings: dict[int, list] = {}
    for finding in Finding.select().where(Finding.inspection.in_(ids)).order_by(Finding.id):
        findings.setdefault(finding.inspection_id, []).append(finding)
    by_shop = {}
    for shop_id, rows in groupby(inspections, key=lambda i: i.shop_id):
        by_shop[shop_id] = list(_days(list(rows), corrected, regraded, findings, marks))
    return by_shop


def _days(
    rows: list[Inspection], corrected: dict, regraded: dict, findings: dict, marks: dict
) -> Iterator[tuple]:
    previous = None
    for number, inspection in enumerate(rows):
        result = corrected.get(inspection.id, inspection.result)
        if number == 0:
            kind = "initial"
        elif previous in ("rectify", "fail"):
            kind = "followup"
        else:
            kind = "routine"
        previous = result
        score, grade = regraded.get(inspection.id, (inspection.score, inspection.grade))
        said = [marks.get(inspection.id), RESULT_LABELS.get(result)]
        said.append(scoring.GRADES[grade]["meaning"] if grade else None)
        yield (
            clock.local_date(inspection.recorded_at),
            {
                "score": score,
                "description": " · ".join(part for part in said if part),
                "type": kind,
                "violations": _violations(inspection, findings.get(inspection.id, [])),
            },
        )


def _violations(inspection: Inspection, findings: list[Finding]) -> list[tuple[str, str]]:
    """The items the inspector answered no to, then findings not among them, each as the
    checklist prints it: the inspector's own notes stay inside."""
    template = checklists.templates().get(inspection.template, {"items": []})
    texts = {item["code"]: item["text"] for item in template["items"]}
    failed = [a["code"] for a in json.loads(inspection.checklist) if not a.get("ok")]
    out = [(code, texts.get(code, code)) for code in failed]
    for finding in findings:
        if finding.code in failed:
            continue
        severity = lives.SEVERITY_LABELS.get(finding.severity, "")
        out.append((finding.code, f"【{severity}】{texts.get(finding.code, finding.code)}"))
    return out


def _imported(shop_ids: list[int]) -> dict[int, list]:
    by_shop: dict[int, list] = {}
    rows = ImportedInspection.select().where(ImportedInspection.shop.in_(shop_ids))
    for row in rows.order_by(ImportedInspection.date):
        by_shop.setdefault(row.shop_id, []).append(
            (
                row.date,
                {
                    "score": row.score,
                    "description": row.description,
                    "type": row.type,
                    "violations": [
                        (v["code"], v["description"]) for v in json.loads(row.violations)
                    ],
                },
            )
        )
    return by_shop
