"""What a stranger sees of personal data: never more than the rule's characters, for any
phone number, name or certificate number, short, long, full-width or mixed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend import masking

# Digits as typed on any keyboard, letters, Chinese, punctuation: anything but the star.
CHARACTERS = st.characters(exclude_characters="*", exclude_categories=("Cs", "Zs", "Cc"))
VALUES = st.text(CHARACTERS, min_size=1, max_size=40)

pytestmark = pytest.mark.once  # pure functions, no database


def _shown(masked: str) -> list[tuple[int, str]]:
    return [(i, c) for i, c in enumerate(masked) if c != "*"]


@pytest.mark.parametrize("mask", [masking.phone, masking.name, masking.number, masking.free_text])
@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_stays_nothing(mask, empty):
    assert mask(empty) == empty


@given(VALUES)
def test_a_phone_number_shows_its_ends_only_and_keeps_its_length(value):
    masked = masking.phone(value)
    assert len(masked) == len(value)
    if len(value) < 7:
        allowed = set()  # too short to hide anything while showing some
    elif len(value) < 11:  # a landline: two at each end
        allowed = {0, 1, len(value) - 2, len(value) - 1}
    else:  # a mobile: 138****5678
        allowed = {0, 1, 2, *range(len(value) - 4, len(value))}
    assert {i for i, _ in _shown(masked)} == allowed
    assert all(value[i] == c for i, c in _shown(masked))


def test_a_mobile_and_a_landline_as_people_know_them():
    assert masking.phone("13812345678") == "138****5678"
    assert masking.phone(" 021-64381234 ") == "021*****1234"
    assert masking.phone("64381234") == "64****34"
    assert masking.phone("110") == "***"


@given(VALUES)
def test_a_name_shows_its_first_character_only(value):
    masked = masking.name(value)
    assert len(masked) == len(value)
    assert _shown(masked) == ([] if len(value) == 1 else [(0, value[0])])


@given(VALUES, st.integers(1, 6), st.integers(1, 6))
def test_a_number_shows_its_ends_or_two_characters_never_all_of_it(value, start, end):
    masked = masking.number(value, start, end)
    assert len(masked) == len(value)
    assert "*" in masked
    shown = _shown(masked)
    assert all(value[i] == c for i, c in shown)
    if len(value) > start + end:
        assert [i for i, _ in shown] == [*range(start), *range(len(value) - end, len(value))]
    else:
        assert [i for i, _ in shown] == list(range(min(2, len(value) - 1)))


def test_certificate_numbers_as_an_employees_colleague_sees_them():
    assert masking.number("JK20240001", 2, 2) == "JK******01"
    assert masking.number("JY13101040012345") == "JY13********2345"
    assert masking.number("AB1234") == "AB****"
    assert masking.number("7") == "*"


class _Person:
    def __init__(self, name, number):
        self.name, self.health_cert_number = name, number


@pytest.mark.parametrize("role", ["staff", "inspector", ""])
def test_only_the_owner_sees_employees_unmasked(role):
    owner_sees = masking.employees_for("owner", [_Person("张伟", "JK20240001")])
    assert (owner_sees[0].name, owner_sees[0].health_cert_number) == ("张伟", "JK20240001")
    others_see = masking.employees_for(role, [_Person("张伟", "JK20240001")])
    assert (others_see[0].name, others_see[0].health_cert_number) == ("张*", "JK******01")


# -- personal data typed into free text -------------------------------------------------------
WORDS = st.text(st.sampled_from("好吃服务很差老板电话联系我们 ，。！"), max_size=12)
MOBILES = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@given(
    WORDS,
    MOBILES,
    WORDS,
    st.sampled_from(["", "-", " "]),
    st.booleans(),
    st.sampled_from(["", "+86", "+86 ", "0086", "0086-"]),
)
def test_a_mobile_number_in_text_shows_its_ends_only(before, mobile, after, gap, wide, prefix):
    typed = f"{prefix}{mobile[:3]}{gap}{mobile[3:7]}{gap}{mobile[7:]}"
    typed = typed.translate(WIDE) if wide else typed
    masked = masking.free_text(f"{before}{typed}{after}")
    assert masked == f"{before}{mobile[:3]}****{mobile[7:]}{after}"


@given(WORDS, st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789Xx"))
def test_an_id_card_number_in_text_shows_its_first_and_last_four(before, body, check):
    masked = masking.free_text(f"{before}{body}{check}号")
    assert masked == f"{before}{body[:4]}{'*' * 10}{body[14:]}{check}号"


@given(
    WORDS,
    st.sampled_from(["021", "0571", "010"]),
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(["", "-"]),
)
def test_a_landline_with_its_area_code_shows_its_ends_only(before, area, number, gap):
    digits = area + number
    shown = masking.phone(digits)
    assert masking.free_text(f"{before}{area}{gap}{number}。") == f"{before}{shown}。"
    assert shown.count("*") == len(digits) - 7


@given(
    st.text("abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=10).filter(
        lambda local: local[0].isalpha()
    ),
    st.sampled_from(["example.cn", "mail.example.com", "qq.com"]),
)
def test_an_email_address_in_text_keeps_its_first_letter_and_domain(local, domain):
    assert masking.free_text(f"写信给{local}@{domain}吧") == f"写信给{local[0]}***@{domain}吧"


@given(st.text(st.characters(exclude_categories=("Nd",), exclude_characters="@")))
def test_text_without_digits_or_an_at_sign_is_left_as_written(text):
    assert masking.free_text(text) == text


@pytest.mark.parametrize(
    "text",
    ["价格13元", "2023年10月1日开业", "订单号1234567890123456789012", "桌号021", "排队30分钟"],
)
def test_numbers_that_are_not_personal_are_left_alone(text):
    assert masking.free_text(text) == text
