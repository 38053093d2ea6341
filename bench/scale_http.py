"""The HTTP half of bench/scale.py: the public scan and the open-data search, by name and
by place, served by gunicorn with the project's gunicorn.conf.py (harness.Server, as
bench/scan.py serves it) and loaded with wrk, interleaved run by run.

The scan draws from up to 200,000 current codes picked at random over the district (each
wrk thread keeps them all); the searches from 2,000 queries made from shops picked at
random: two or three characters of a shop's name, as bench/opendata.py asks, and 500 m
around a shop. The public API's per-address limit is lifted for the servers (wrk asks
from one address), its bookkeeping kept.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import scan_data
from harness import HEADER, BenchError, Run, Server, row, wrk
from scan import LUA_SCRIPT, preflight, server_env

from backend.auth import issue_access_token
from backend.db import database
from backend.models import Shop, User

CODES_LOADED, QUERIES, RADIUS_M = 200_000, 2000, 500
WARMUP_SECONDS, WRK_THREADS = 3, 2
SEARCH = "/api/v1/public/shops?"
# wrk asks from 127.0.0.1 alone; the public API allows an address 300 a minute.
UNLIMITED = "100000000 per minute"


def bench_token(app) -> str:
    """An access token of the bench's resident, signed with the keys the servers read."""
    with app.app_context(), database.connection_context():
        user = User.get(User.openid == scan_data.BENCH_OPENID)
        return issue_access_token(user, sid="bench")[0]


def write_queries(work: Path, size: int) -> dict[str, Path]:
    """The files wrk draws from at this size: codes, name queries, places."""
    rng = random.Random(size)  # noqa: S311  the same queries for the same district
    codes = scan_data.current_codes()
    files = {"scan": work / f"codes-{size}.txt"}
    files["scan"].write_text("\n".join(rng.sample(codes, min(len(codes), CODES_LOADED))) + "\n")
    highest = Shop.select(Shop.id).order_by(Shop.id.desc()).scalar()
    picked = rng.sample(range(1, highest + 1), min(QUERIES, highest))
    shops = list(Shop.select(Shop.name, Shop.lat, Shop.lng).where(Shop.id.in_(picked)))
    names, places = [], []
    for shop in shops:
        start = rng.randrange(max(1, len(shop.name) - 2))
        words = shop.name[start : start + rng.choice((2, 3))]
        names.append(SEARCH + urllib.parse.urlencode({"q": words}))
        near = {"lat": f"{shop.lat:.6f}", "lng": f"{shop.lng:.6f}", "radius_m": RADIUS_M}
        places.append(SEARCH + urllib.parse.urlencode(near))
    for target, paths in (("name", names), ("radius", places)):
        files[target] = work / f"{target}-{size}.txt"
        files[target].write_text("\n".join(paths) + "\n")
    return files


def _search_preflight(server: Server, files: dict[str, Path]) -> None:
    """A few searches by hand: 200, a list of shops, and a name query finds its shop."""
    for target in ("name", "radius"):
        if target not in files:
            continue
        for path in files[target].read_text().split()[:3]:
            try:
                with urllib.request.urlopen(server.base + path, timeout=30) as answer:  # noqa: S310
                    found = json.load(answer)
            except urllib.error.HTTPError as exc:
                raise BenchError(f"{path} answered {exc.code}: {exc.read()[:300]!r}") from None
            if not isinstance(found, list) or not found:
                raise BenchError(f"{path} found nothing, though it was made from a shop")


def measure(app, url: str, work: Path, size: int, targets: list[str], args) -> list[Run]:
    """`args.runs` wrk runs of each target after a warm-up, printed as they end."""
    with app.app_context(), database.connection_context():
        files = {t: f for t, f in write_queries(work, size).items() if t in targets}
    env = {**server_env(url, work / "instance"), "RATELIMIT_PUBLIC": UNLIMITED}
    server = Server(f"scale-{size}", args.app, "/healthz", work, env, {"accesslog": None})

    def load(target: str, seconds: int) -> dict:
        script_args = ["paths", str(files[target])]
        if target == "scan":
            script_args = ["scan", str(files["scan"]), bench_token(app)]
        return wrk(server, seconds, args.connections, WRK_THREADS, LUA_SCRIPT, script_args)

    runs = []
    try:
        server.start()
        server.wait_ready()
        if "scan" in files:
            preflight(server, files["scan"].read_text().split(), bench_token(app))
        _search_preflight(server, files)
        for target in files:
            load(target, WARMUP_SECONDS)
        print(HEADER.replace("db       ", "shops    "), flush=True)
        for run in range(1, args.runs + 1):
            for target in files:  # interleaved: drift on the machine falls on all alike
                runs.append(Run.from_wrk(str(size), target, run, load(target, args.duration)))
                print(row(runs[-1]), flush=True)
    finally:
        server.stop()
    return runs
