"""Unified social credit codes (GB 32100-2015): the check character catches typos, and a
shop registered with a bad code is refused with the reason, leaving nothing behind."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backend import creditcode
from backend.db import database
from backend.models import LifecycleEvent, Shop, ShopMembership, ShopRequest
from tests.factories import valid_credit_code

# Real codes as printed on business licences (their check characters are right).
REAL_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "914403001922038216",
    "9144030071526726XG",
    "91330100716105852F",
    "91110108551385082Q",
    "91110000802100433B",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_are_accepted(code):
    assert creditcode.problem(code) is None


def test_generated_credit_codes_are_accepted():
    for _ in range(200):
        code = valid_credit_code()
        assert creditcode.problem(code) is None, code


@pytest.mark.parametrize(
    "raw",
    [
        "91350100m000100y43",
        "  91350100M000100Y43\n",
        "9144030071526726xg",
        "9135 0100 M000 100Y 43",  # grouped as people read it out
        "91350100-M000100Y43",
        "９１３５０１００Ｍ０００１００Ｙ４３",  # a Chinese keyboard's full width
        "\ufeff91350100\u200bM000100Y43\u200d",
    ],
)  # pasted from a page
def test_case_spaces_hyphens_and_full_width_are_normalised(raw):
    code = creditcode.normalise(raw)
    assert code in ("91350100M000100Y43", "9144030071526726XG")
    assert creditcode.problem(code) is None


@pytest.mark.parametrize("code", REAL_CODES[:3])
def test_every_wrong_check_character_is_caught(code):
    for wrong in creditcode.ALPHABET.replace(code[-1], ""):
        problem = creditcode.problem(code[:-1] + wrong)
        assert problem and "check character" in problem, wrong
        assert problem.key == "credit_code_checksum"


@pytest.mark.parametrize("code", REAL_CODES)
def test_a_single_mistyped_character_is_caught(code):
    for position in range(17):
        # Positions 3–8 are the division code: digits only, so only digit typos get that far.
        choices = "0123456789" if 2 <= position < 8 else creditcode.ALPHABET
        for typo in choices.replace(code[position], ""):
            mistyped = code[:position] + typo + code[position + 1 :]
            assert creditcode.problem(mistyped) is not None, mistyped


@pytest.mark.parametrize("code", REAL_CODES)
def test_two_swapped_neighbours_are_caught(code):
    for i in range(16):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert creditcode.problem(swapped) is not None, swapped


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", "", "9"])
def test_wrong_length_is_refused(code):
    assert "18 characters" in creditcode.problem(code)
    assert creditcode.problem(code).key == "credit_code_length"


@pytest.mark.parametrize("letter", "IOSVZ")
def test_letters_a_credit_code_never_uses_are_named(letter):
    # In the organisation part and as the check character: both refused, neither crashes.
    for code in ("91350100" + letter + "000100Y43", "91350100M000100Y4" + letter):
        problem = creditcode.problem(code)
        assert problem and letter in problem and "never uses" in problem, code
        assert problem.key == "credit_code_characters"


def test_a_division_code_with_letters_is_refused():
    problem = creditcode.problem("91AB0100M000100Y43")
    assert problem and "division" in problem
    assert problem.key == "credit_code_division"


# -- for every code, not a few ---------------------------------------------------------------
DIGITS = "0123456789"
# The registration authority (1 character), the kind of entity (1), the administrative
# division (6 digits), the organisation code (9): a code of any region and any entity.
BODIES = st.tuples(
    st.sampled_from(creditcode.ALPHABET),
    st.sampled_from(creditcode.ALPHABET),
    st.text(DIGITS, min_size=6, max_size=6),
    st.text(creditcode.ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(BODIES)
def test_every_code_with_its_check_character_is_valid(body):
    assert creditcode.problem(body + creditcode.check_character(body)) is None


@given(BODIES, st.integers(0, 17), st.sampled_from(creditcode.ALPHABET))
def test_every_single_character_change_of_a_valid_code_is_refused(body, position, typo):
    code = body + creditcode.check_character(body)
    assume(typo != code[position])
    changed = code[:position] + typo + code[position + 1 :]
    assert creditcode.problem(changed) is not None, changed


@given(BODIES, st.sampled_from([" ", "-", "\u200b", "\ufeff"]), st.booleans(), st.booleans())
def test_a_code_reads_the_same_however_it_was_typed_or_pasted(body, separator, lower, wide):
    code = body + creditcode.check_character(body)
    typed = separator.join([code[:6], code[6:12], code[12:]])
    typed = typed.lower() if lower else typed
    if wide:  # a Chinese keyboard's full-width forms
        typed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)
    assert creditcode.normalise(typed) == code


@given(BODIES, st.integers(2, 7), st.sampled_from("ABCDEFGHJKLMNPQRTUWXY"))
def test_a_division_code_holding_a_letter_is_refused_even_with_its_check_character(
    body, position, letter
):
    body = body[:position] + letter + body[position + 1 :]
    code = body + creditcode.check_character(body)
    assert creditcode.problem(code) == (
        "characters 3–8 must be the administrative division code (digits)"
    )


def test_each_reason_reads_as_the_applicant_sees_it():
    assert creditcode.problem("91350100M000100Y44") == "check character does not match (mistyped?)"
    assert creditcode.problem("91350100MO00I00Y43") == (
        "contains characters a credit code never uses: IO"
    )


@given(st.text(creditcode.ALPHABET).filter(lambda code: len(code) != 18))
def test_any_other_length_is_refused_for_its_length(code):
    assert creditcode.problem(code) == "must be 18 characters"


# -- through the API -------------------------------------------------------------------------
def _registration(credit_code: str, street) -> dict:
    return {
        "name": "街角咖啡",
        "credit_code": credit_code,
        "category": "catering",
        "address": "天平路 100 号",
        "street": street.code,
        "location": {"lat": 31.2001, "lng": 121.4402},
    }


def _rows_written() -> dict:
    with database.connection_context():
        return {
            "shops": Shop.select().count(),
            "events": LifecycleEvent.select().count(),
            "requests": ShopRequest.select().count(),
            "memberships": ShopMembership.select().count(),
        }


@pytest.mark.parametrize(
    "bad, key, named",
    [
        ("91350100M000100Y44", "credit_code_checksum", "校验位不符，请检查是否输错"),
        ("91350100M000100Y4", "credit_code_length", "应为 18 位"),
        ("91350100O000100Y43", "credit_code_characters", "含有统一社会信用代码不会使用的字符：O"),
        ("91350100m000100y4s", "credit_code_characters", "含有统一社会信用代码不会使用的字符：S"),
        ("", "credit_code_length", "应为 18 位"),
    ],
)
def test_registering_with_a_bad_credit_code_is_refused_and_writes_nothing(
    client, make, bad, key, named
):
    places = make.region_tree()
    shopkeeper = client.login("newcomer")
    before = _rows_written()

    response = shopkeeper.post(
        "/api/v1/merchant/shops", json=_registration(bad, places["street_a"])
    )

    assert response.status_code == 422
    body = response.get_json()
    assert [(d["field"], d["key"]) for d in body["details"]] == [("credit_code", key)]
    assert body["details"][0]["message"] == named, body
    assert body["errors"]["json"]["credit_code"] == [body["details"][0]["message"]]
    assert "credit_code" in body["message"]
    assert _rows_written() == before
    assert shopkeeper.get("/api/v1/merchant/shops").get_json() == []


def test_registering_without_a_credit_code_names_the_field(client, make):
    places = make.region_tree()
    registration = _registration("x", places["street_a"])
    del registration["credit_code"]
    before = _rows_written()
    response = client.login("newcomer").post("/api/v1/merchant/shops", json=registration)
    assert response.status_code == 422
    assert "credit_code" in response.get_json()["errors"]["json"]
    assert _rows_written() == before


def test_a_lower_case_credit_code_registers_in_upper_case(client, make):
    places = make.region_tree()
    response = client.login("newcomer").post(
        "/api/v1/merchant/shops", json=_registration(" 91350100m000100y43 ", places["street_a"])
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["credit_code"] == "91350100M000100Y43"
    with database.connection_context():
        assert Shop.get().credit_code == "91350100M000100Y43"


def test_a_credit_code_pasted_with_invisible_characters_registers(client, make):
    places = make.region_tree()
    pasted = "\u200b91350100M000100Y43\ufeff"  # as copied from a web page
    response = client.login("newcomer").post(
        "/api/v1/merchant/shops", json=_registration(pasted, places["street_a"])
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["credit_code"] == "91350100M000100Y43"
