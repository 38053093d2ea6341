"""The random draw of a sampling plan (双随机), as an auditor can re-run it anywhere.

Everything here is a function of the frozen document alone — no database, no clock:

1. The frozen lists are written canonically: JSON, keys sorted, no spaces, UTF-8.
   `candidates` is [[shop public id, risk grade], …] sorted by id; `pool` is [staff id, …]
   sorted; `recusals` is [[shop public id, staff id], …] sorted: the pairs never drawn
   together. Each list's hash is the SHA-256 (hex) of its canonical form.
2. The commitment, published when the plan is fixed, is the SHA-256 (hex) of the text
   "<candidates hash>:<pool hash>:<recusals hash>:<SHA-256 of the salt>", the salt being
   64 hex digits kept secret until the draw.
3. At the draw the seed is SHA-256(salt ‖ public value), as bytes: the salt's 32 bytes,
   then the public value's UTF-8 (the winning numbers of a named future lottery draw,
   entered as published, say "03 11 19 25 31 + 05 09").
4. The rank of a text is HMAC-SHA256(seed, the text's UTF-8), hex; lower ranks first.
5. Targets: for each risk grade A, B, C, D, the candidates of that grade sorted by the
   rank of their id; the first ceil(ratio × n) are drawn (ratio in percent, exactly), at
   least one when the grade has any and its ratio is above 0. The drawn shops, all
   grades together, are then ordered by their rank.
6. Teams: cap = ceil(tasks × team_size ÷ pool size) + 1, the most tasks one inspector
   is given. For each drawn shop in that order, R is the pool members holding fewer than
   `cap` tasks so far, ascending. Then for k = 0, 1, 2, … while the team is short of
   `team_size` and R is not empty: i = (the rank of "<shop id>:<k>", read as a
   hexadecimal integer) mod len(R); the member at index i (from 0) leaves R and joins
   the team unless recused from the shop. A shop left short keeps the members it got.
   (This is a Fisher–Yates shuffle of R, stopped as soon as the team is full: each shop
   costs a few hashes, not one per inspector.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

GRADES = ("A", "B", "C", "D")


def canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(value) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def commitment(candidates: list, pool: list, recusals: list, salt: str) -> str:
    parts = [digest(candidates), digest(pool), digest(recusals)]
    parts.append(hashlib.sha256(bytes.fromhex(salt)).hexdigest())
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def seed(salt: str, public_value: str) -> bytes:
    return hashlib.sha256(bytes.fromhex(salt) + public_value.encode()).digest()


def rank(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def count_for(ratio_percent, n: int) -> int:
    """ceil(ratio × n), exactly; at least one of a non-empty grade sampled at all."""
    if n == 0 or not ratio_percent:
        return 0
    return max(1, ceil(Fraction(str(ratio_percent)) * n / 100))


def targets(key: bytes, candidates: list, ratios: dict) -> list[str]:
    drawn = []
    for grade in GRADES:
        ids = sorted((sid for sid, g in candidates if g == grade), key=lambda s: rank(key, s))
        drawn += ids[: count_for(ratios.get(grade, 0), len(ids))]
    return sorted(drawn, key=lambda s: rank(key, s))


@dataclass(frozen=True)
class Draw:
    shops: list[str]
    teams: dict[str, list[int]]


def cap_for(shops: int, size: int, pool: int) -> int:
    """The most tasks one inspector is given: an even share, rounded up, and one more."""
    return ceil(Fraction(shops * size, pool)) + 1 if pool else 0


def teams(key: bytes, shops: list[str], pool: list[int], recusals: list, size: int) -> dict:
    recused = {(shop, staff) for shop, staff in recusals}
    cap = cap_for(len(shops), size, len(pool))
    load = dict.fromkeys(pool, 0)
    below_cap = sorted(pool)
    drawn = {}
    for shop in shops:
        team, left, k = [], list(below_cap), 0
        while len(team) < size and left:
            staff = left.pop(int(rank(key, f"{shop}:{k}"), 16) % len(left))
            k += 1
            if (shop, staff) in recused:
                continue
            team.append(staff)
            load[staff] += 1
            if load[staff] == cap:
                below_cap.remove(staff)
        drawn[shop] = team
    return drawn


def run(document: dict) -> Draw:
    """The draw a frozen document (plan settings, lists, salt, public value) gives."""
    key = seed(document["salt"], document["public_value"])
    shops = targets(key, document["candidates"], document["ratios"])
    return Draw(
        shops, teams(key, shops, document["pool"], document["recusals"], document["team_size"])
    )


def verify(document: dict) -> list[str]:
    """What does not hold in a published plan's document; empty when the draw re-runs."""
    problems = []
    expected = commitment(
        document["candidates"], document["pool"], document["recusals"], document["salt"]
    )
    if expected != document["commitment"]:
        problems.append("the frozen lists or the salt do not match the commitment")
    drawn = run(document)
    if drawn.shops != document["drawn"]["shops"]:
        problems.append("the drawn shops differ")
    if {k: v for k, v in drawn.teams.items()} != {
        k: list(v) for k, v in document["drawn"]["teams"].items()
    }:
        problems.append("the drawn teams differ")
    return problems
