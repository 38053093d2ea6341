"""How long an admin waits for a street's print-shop PDF: one street of 10,000 active shops,
`GET /api/v1/admin/streets/{code}/codes?format=pdf` end to end through the app (token,
scope, the query, the QR symbols, the PDF), in this process through Flask's test client.

    python bench/print_sheet.py [--shops 10000] [--runs 3]

Prints each run's seconds, the median, the PDF's pages and size, the time of its two big
parts alone (the QR symbols; the PDF from them), and the verdict against the target:
<= 10 s for 10,000 shops. Exit status 1 only when the answer cannot be trusted (not a
200, the wrong number of pages, a raster image in it).
"""

from __future__ import annotations

import argparse
import io
import logging
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

import databases  # noqa: E402
import pypdf  # noqa: E402
import scan_data  # noqa: E402
from harness import BenchError  # noqa: E402

from backend import clock, codes, create_app, qrsymbols, stickersheet  # noqa: E402
from backend.auth import issue_access_token  # noqa: E402
from backend.db import bind, database  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import Region, Shop, User  # noqa: E402
from backend.people.staffing import create_staff  # noqa: E402

TARGET_SECONDS = 10.0
ADMIN_OPENID = "oStub_bench_admin"


def seed_one_street(url: str, shops: int) -> Region:
    """scan_data's district, then every shop moved into its first street, and an admin
    of that street."""
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
    db = bind(url, pool_size=2)
    with db.connection_context():
        upgrade(db)
        scan_data.seed(db, shops)
        street = Region.select().where(Region.level == "street").order_by(Region.id).first()
        community = Region.get(Region.parent == street)
        Shop.update(street=street, community=community, region_path=community.path).execute()
        admin = create_staff(name="李明", role="admin", region=street)
        admin.user = User.create(openid=ADMIN_OPENID)
        admin.save()
    return street


def check(body: bytes, shops: int) -> tuple[int, int]:
    """(pages, bytes) of a PDF that holds what it should, or BenchError."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    pages = len(reader.pages)
    if pages != 1 + math.ceil(shops / stickersheet.PER_PAGE):
        raise BenchError(f"{pages} pages for {shops} shops")
    if any(page.images for page in reader.pages[:3]):
        raise BenchError("a raster image in the PDF")
    return pages, len(body)


def parts(street: Region) -> tuple[float, float]:
    """Seconds for the QR symbols alone, then for the whole PDF, from the same rows."""
    base = "https://c.example.cn"
    rows = Shop.select(Shop.name, Shop.id).where(Shop.street == street).order_by(Shop.name).tuples()
    entries = [(codes.printed_url(base, codes.new_code_id()), name) for name, _ in rows]
    started = time.perf_counter()
    qrsymbols.symbols([url for url, _ in entries])
    symbols = time.perf_counter() - started
    started = time.perf_counter()
    stickersheet.street_sheet(street.name, street.code, entries, "发码单位", clock.today_local())
    return symbols, time.perf_counter() - started


def run(args, work: Path) -> int:
    url = f"sqlite:///{work / 'bench.db'}"
    started = time.monotonic()
    street = seed_one_street(url, args.shops)
    print(f"seeded {args.shops} shops in one street in {time.monotonic() - started:.1f} s")
    config = databases.settings(url, work)
    app = create_app(config)
    with app.app_context(), database.connection_context():
        token = issue_access_token(User.get(User.openid == ADMIN_OPENID), sid="bench")[0]
    client, path = app.test_client(), f"/api/v1/admin/streets/{street.code}/codes?format=pdf"
    seconds = []
    for n in range(1, args.runs + 1):
        started = time.perf_counter()
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise BenchError(f"{response.status_code}: {response.get_data()[:300]!r}")
        pages, size = check(response.get_data(), args.shops)
        print(f"run {n}: {seconds[-1]:.2f} s  ({pages} pages, {size / 1e6:.1f} MB)", flush=True)
    with app.app_context(), database.connection_context():
        symbols, sheet = parts(street)
    median = statistics.median(seconds)
    print(f"median {median:.2f} s (runs {', '.join(f'{s:.2f}' for s in seconds)})")
    print(f"alone, from the same rows: QR symbols {symbols:.2f} s, PDF (with them) {sheet:.2f} s")
    verdict = "MET" if median <= TARGET_SECONDS else "MISSED"
    print(f"target <= {TARGET_SECONDS:.0f} s for {args.shops} shops: {verdict}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="citycode_bench_") as tmp:
        try:
            return run(args, Path(tmp))
        except BenchError as exc:
            print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
