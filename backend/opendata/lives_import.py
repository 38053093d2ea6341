"""A city moving its records in: a LIVES feed (read by backend/opendata/lives_read.py)
becomes shops of one street or community, and its inspections and violations go onto
those shops' lifecycle records, marked as imported with the feed's name and date.

One transaction per feed: a feed is imported whole or not at all. Importing the same
feed again changes nothing (each business and inspection is kept with a digest of what
the feed said); a newer feed of the same name updates what changed; an older one is
refused. Owner names and addresses (LIVES 2.0) are never read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from backend import lifecycle
from backend.chain import canonical
from backend.db import write_transaction
from backend.errors import Conflict, Invalid
from backend.models import ImportedBusiness, ImportedFeed, ImportedInspection, Region, Shop
from backend.opendata import lives_read
from backend.opendata.coordinates import gcj02_from_wgs84
from backend.opendata.search import region_named
from backend.shops import facts, profile, search_index

REJECTED_SHOWN = 100


def import_feed(path: Path, region_code: str, category: str = "catering") -> dict:
    """Import the feed at `path` (a folder, a ZIP or one flattened CSV) into the region
    coded `region_code`; the summary of what was imported, updated and skipped."""
    feed = lives_read.read(path)
    region = _region(region_code)
    if category not in facts.CATEGORIES:
        raise Invalid.field("category", "unknown category", key="unknown_category")
    counts = {
        spec: {"imported": 0, "updated": 0, "skipped": feed.skipped.get(spec, 0)}
        for spec in ("businesses.csv", "inspections.csv", "violations.csv")
    }
    with write_transaction():
        record = _feed_record(feed, region)
        shops = _businesses(feed, record, region, category, counts["businesses.csv"])
        _inspections(feed, record, shops, counts)
    return {
        "feed": {
            "name": feed.name,
            "date": feed.feed_date.isoformat(),
            "files": feed.files,
            "encodings": feed.encodings,
            "missing": feed.missing,
        },
        "region": region.code,
        **counts,
        "rejected": feed.rejected[:REJECTED_SHOWN],
        "rejected_total": len(feed.rejected),
    }


def _region(code: str) -> Region:
    region = region_named(code, "region")
    if region.level not in ("street", "community"):
        raise Invalid.field(
            "region", "shops belong to a street or a community", key="not_street_or_community"
        )
    return region


def _feed_record(feed: lives_read.Feed, region: Region) -> ImportedFeed:
    record = ImportedFeed.get_or_none(ImportedFeed.name == feed.name)
    if record is None:
        return ImportedFeed.create(name=feed.name, region=region, feed_date=feed.feed_date)
    if record.region_id != region.id:
        raise Conflict(
            "this feed was imported into region %(code)s",
            key="feed_in_another_region",
            params={"code": record.region.code},
        )
    if feed.feed_date < record.feed_date:
        raise Conflict(
            "this feed is older than the one imported (%(date)s)",
            key="older_feed",
            params={"date": record.feed_date.isoformat()},
        )
    record.feed_date = feed.feed_date
    record.save()
    return record


def _digest(value) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def _source(feed: lives_read.Feed, business_id: str) -> dict:
    return {
        "source": feed.name,
        "feed_date": feed.feed_date.isoformat(),
        "business_id": business_id,
    }


def _businesses(feed, record, region, category, counts) -> dict[str, ImportedBusiness]:
    known = {
        b.business_id: b for b in ImportedBusiness.select().where(ImportedBusiness.feed == record)
    }
    street, community = (region, None) if region.level == "street" else (region.parent, region)
    for business_id, business in feed.businesses.items():
        fields = _shop_fields(business)
        digest = _digest(fields)
        row = known.get(business_id)
        if row is None:
            shop = Shop.create(
                **fields,
                credit_code="",
                category=category,
                street=street,
                community=community,
                region_path=region.path,
                status="active",
            )
            search_index.refresh(shop)
            lifecycle.append(
                shop,
                "shop.imported",
                lifecycle.SYSTEM,
                {
                    **_source(feed, business_id),
                    **fields,
                    "category": category,
                    "region": region.path,
                },
            )
            known[business_id] = ImportedBusiness.create(
                feed=record, business_id=business_id, shop=shop, digest=digest
            )
            counts["imported"] += 1
        elif row.digest != digest:
            changed = {k: v for k, v in fields.items() if getattr(row.shop, k) != v}
            profile.apply_change(row.shop, changed, lifecycle.SYSTEM, _source(feed, business_id))
            row.digest = digest
            row.save()
            counts["updated"] += 1
        else:
            counts["skipped"] += 1
    return known


def _shop_fields(business: dict) -> dict:
    """The feed's business as our shop's columns; its WGS 84 point as GCJ-02, as we keep."""
    lat, lng = business["lat"], business["lng"]
    if lat is not None:
        lat, lng = (round(v, 7) for v in gcj02_from_wgs84(lat, lng))
    return {
        "name": business["name"],
        "address": business["address"],
        "lat": lat,
        "lng": lng,
        "phone": business["phone"],
    }


def _inspections(feed, record, businesses: dict[str, ImportedBusiness], counts: dict) -> None:
    known = {
        (row.business_id, row.date): row
        for row in ImportedInspection.select(ImportedInspection)
        .join(ImportedBusiness)
        .where(ImportedBusiness.feed == record)
    }
    for (business_id, day), found in sorted(feed.inspections.items()):
        business = businesses[business_id]
        kept = {k: found[k] for k in ("score", "type", "description", "violations")}
        digest = _digest(kept)
        row = known.get((business.id, day))
        violations = len(found["violations"])
        if row is not None and row.digest == digest:
            counts["inspections.csv"]["skipped"] += 1
            counts["violations.csv"]["skipped"] += violations
            continue
        shop = business.shop  # loaded once per business, not per inspection
        payload = {**_source(feed, business_id), "date": day.isoformat(), **kept}
        if row is not None:
            payload["replaces"] = row.event_seq
        event = lifecycle.append(shop, "inspection.imported", lifecycle.SYSTEM, payload)
        values = {
            **kept,
            "violations": json.dumps(kept["violations"], ensure_ascii=False),
            "digest": digest,
            "event_seq": event.seq,
        }
        outcome = "imported" if row is None else "updated"
        if row is None:
            ImportedInspection.create(shop=shop, business=business, date=day, **values)
        else:
            ImportedInspection.update(**values).where(ImportedInspection.id == row.id).execute()
        counts["inspections.csv"][outcome] += 1
        counts["violations.csv"][outcome] += violations


def report(summary: dict) -> str:
    """The summary as an operator reads it at a terminal."""
    if "refused" in summary:
        refused = summary["refused"]
        where = f"{refused['file']} 第 {refused['line']} 行：" if "file" in refused else ""
        return f"未导入（整个数据包未做任何改动）：{where}{refused['message']}"
    feed = summary["feed"]
    lines = [f"{feed['name']}（{feed['date']}）导入到 {summary['region']}"]
    for spec in ("businesses.csv", "inspections.csv", "violations.csv"):
        n = summary[spec]
        lines.append(f"{spec}: 新增 {n['imported']}，更新 {n['updated']}，跳过 {n['skipped']}")
    if feed["missing"]:
        lines.append("缺少的文件: " + ", ".join(feed["missing"]))
    for row in summary["rejected"]:
        lines.append(f"跳过 {row['file']} 第 {row['line']} 行：{row['message']}")
    if summary["rejected_total"] > len(summary["rejected"]):
        lines.append(f"……共跳过 {summary['rejected_total']} 行")
    return "\n".join(lines)
