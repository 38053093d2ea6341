"""The draw of a sampling plan, as an auditor re-runs it from the published document."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from backend.sampling import draw

SALT = "ab" * 32
VECTOR = Path(__file__).parent / "data" / "draw_test_vector.json"
VALUE = "03 11 19 25 31 + 05 09"


def document(**changes) -> dict:
    candidates = sorted([f"s{n:03d}", "ABCD"[n % 4]] for n in range(40))  # ten of each grade
    doc = {
        "candidates": candidates,
        "pool": [1, 2, 3, 4, 5, 6],
        "recusals": [["s000", 1], ["s000", 2]],
        "ratios": {"A": 10, "B": 20, "C": 30, "D": 50},
        "team_size": 2,
        "salt": SALT,
        "public_value": VALUE,
    }
    doc.update(changes)
    doc["commitment"] = draw.commitment(doc["candidates"], doc["pool"], doc["recusals"], SALT)
    drawn = draw.run(doc)
    doc["drawn"] = {"shops": drawn.shops, "teams": drawn.teams}
    return doc


def test_the_commitment_binds_every_list_and_the_salt():
    doc = document()
    base = draw.commitment(doc["candidates"], doc["pool"], doc["recusals"], SALT)
    assert base == doc["commitment"] and len(base) == 64
    changed = [
        draw.commitment(doc["candidates"][1:], doc["pool"], doc["recusals"], SALT),
        draw.commitment(doc["candidates"], doc["pool"][1:], doc["recusals"], SALT),
        draw.commitment(doc["candidates"], doc["pool"], [], SALT),
        draw.commitment(doc["candidates"], doc["pool"], doc["recusals"], "cd" * 32),
    ]
    assert base not in changed and len(set(changed)) == 4


def test_the_seed_and_ranks_are_the_documented_hashes():
    key = draw.seed(SALT, VALUE)
    assert key == hashlib.sha256(bytes.fromhex(SALT) + VALUE.encode()).digest()
    assert draw.rank(key, "s001") == hmac.new(key, b"s001", hashlib.sha256).hexdigest()
    assert draw.digest([["b", 1], ["a", 2]]) == hashlib.sha256(b'[["b",1],["a",2]]').hexdigest()
    assert draw.canonical({"b": 1, "a": "中"}) == '{"a":"中","b":1}'.encode()


def test_each_grade_is_drawn_at_its_ratio_exactly_and_at_least_once():
    assert [draw.count_for(r, n) for r, n in ((30, 10), (1, 10), (10, 30), (2.5, 100))] == [
        3,
        1,
        3,  # 10 % of 30 is 3, not the 4 a float's 3.0000000000000004 would round up to
        3,
    ]
    assert draw.count_for(0, 10) == 0 and draw.count_for(50, 0) == 0
    assert draw.count_for(100, 7) == 7
    doc = document()
    drawn = set(doc["drawn"]["shops"])
    by_grade = {g: [s for s, grade in doc["candidates"] if grade == g] for g in "ABCD"}
    assert {g: len(drawn & set(ids)) for g, ids in by_grade.items()} == {
        "A": 1,
        "B": 2,
        "C": 3,
        "D": 5,
    }
    key = draw.seed(SALT, VALUE)
    ranked_a = sorted(by_grade["A"], key=lambda s: draw.rank(key, s))
    assert ranked_a[0] in drawn and ranked_a[1] not in drawn  # the lowest rank is taken
    assert doc["drawn"]["shops"] == sorted(drawn, key=lambda s: draw.rank(key, s))


def test_teams_skip_the_recused_and_no_one_carries_more_than_the_cap():
    doc = document(candidates=[[f"s{n:03d}", "D"] for n in range(10)], ratios={"D": 100})
    teams = doc["drawn"]["teams"]
    assert all(len(team) == 2 and len(set(team)) == 2 for team in teams.values())
    assert not {1, 2} & set(teams["s000"])
    cap = -(-10 * 2 // 6) + 1  # ceil(tasks × size ÷ pool) + 1
    loads = [sum(who in team for team in teams.values()) for who in range(1, 7)]
    assert max(loads) <= cap and sum(loads) == 20


def test_a_shop_every_inspector_is_recused_from_is_left_without_a_team():
    recused = [["s000", who] for who in range(1, 7)]
    doc = document(candidates=[["s000", "D"], ["s001", "D"]], ratios={"D": 100}, recusals=recused)
    assert doc["drawn"]["teams"]["s000"] == [] and len(doc["drawn"]["teams"]["s001"]) == 2


def test_the_same_document_always_draws_the_same_and_verify_says_so():
    doc = document()
    assert draw.run(doc) == draw.run(json.loads(json.dumps(doc)))
    assert draw.verify(doc) == []
    other_value = draw.run({**doc, "public_value": "01 02 03 04 05 + 06 07"})
    assert other_value.shops != doc["drawn"]["shops"]


def test_verify_names_what_does_not_hold():
    doc = document()
    regraded = json.loads(json.dumps(doc))
    regraded["candidates"][0][1] = "D"  # a shop's grade changed after the commitment
    assert draw.verify(regraded)[0] == "the frozen lists or the salt do not match the commitment"
    moved = json.loads(json.dumps(doc))
    moved["drawn"]["shops"] = list(reversed(moved["drawn"]["shops"]))
    assert draw.verify(moved) == ["the drawn shops differ"]
    swapped = json.loads(json.dumps(doc))
    first = swapped["drawn"]["shops"][0]
    swapped["drawn"]["teams"][first] = list(reversed(swapped["drawn"]["teams"][first]))
    assert draw.verify(swapped) == ["the drawn teams differ"]


def test_the_commitment_is_the_documented_hash_of_the_hashes():
    doc = document()
    hashes = [draw.digest(doc[name]) for name in ("candidates", "pool", "recusals")]
    hashes.append(hashlib.sha256(bytes.fromhex(SALT)).hexdigest())
    expected = hashlib.sha256(":".join(hashes).encode()).hexdigest()
    assert doc["commitment"] == expected


def test_a_grade_drawn_whole_is_every_shop_of_it():
    assert draw.count_for(100, 101) == 101 and draw.count_for(1, 100) == 1


def test_the_cap_is_an_even_share_rounded_up_and_one_more():
    assert [draw.cap_for(10, 2, 6), draw.cap_for(3, 2, 2), draw.cap_for(4, 1, 2)] == [5, 4, 3]
    assert draw.cap_for(5, 2, 0) == 0
    assert draw.teams(draw.seed(SALT, VALUE), ["s1"], [], [], 2) == {"s1": []}


def test_a_team_is_the_documented_shuffle_of_the_pool_for_that_shop():
    key = draw.seed(SALT, VALUE)
    left, expected = [1, 2, 3, 4, 5, 6], []
    for k in range(3):  # as the README writes it, step by step
        digest = hmac.new(key, f"s7:{k}".encode(), hashlib.sha256).hexdigest()
        expected.append(left.pop(int(digest, 16) % len(left)))
    assert draw.teams(key, ["s7"], [6, 5, 4, 3, 2, 1], [], 3) == {"s7": expected}


def test_a_recused_pick_is_set_aside_and_the_shuffle_goes_on():
    key = draw.seed(SALT, VALUE)
    first = draw.teams(key, ["s7"], [1, 2, 3, 4, 5, 6], [], 1)["s7"][0]
    again = draw.teams(key, ["s7"], [1, 2, 3, 4, 5, 6], [["s7", first]], 1)["s7"]
    left = [who for who in range(1, 7) if who != first]
    digest = hmac.new(key, b"s7:1", hashlib.sha256).hexdigest()
    assert again == [left[int(digest, 16) % 5]]


def test_an_inspector_at_the_cap_is_passed_over():
    key = draw.seed(SALT, VALUE)
    shops = ["s1", "s2", "s3", "s4"]
    recused = [[shop, 2] for shop in shops[:3]]  # 2 may not take the first three
    drawn = draw.teams(key, shops, [1, 2], recused, 1)  # cap: ceil(4 × 1 ÷ 2) + 1 = 3
    assert drawn == {"s1": [1], "s2": [1], "s3": [1], "s4": [2]}


def test_the_published_test_vector_draws_as_published():
    """The known answer a re-implementation of the README's algorithm must give."""
    vector = json.loads(VECTOR.read_text("utf-8"))
    drawn = draw.run(vector)
    assert (
        draw.commitment(vector["candidates"], vector["pool"], vector["recusals"], vector["salt"])
        == vector["commitment"]
    )
    assert (drawn.shops, drawn.teams) == (vector["drawn"]["shops"], vector["drawn"]["teams"])
    assert draw.verify(vector) == []


def test_a_grade_the_plan_gives_no_ratio_is_not_drawn():
    doc = document(ratios={"D": 50})
    grades = dict(doc["candidates"])
    assert {grades[shop] for shop in doc["drawn"]["shops"]} == {"D"}
