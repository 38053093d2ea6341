"""Phone numbers as people type them are kept in one form, before they are judged."""

from __future__ import annotations

import pytest

from backend.db import database
from backend.models import StaffAccount
from backend.text import phone_number


@pytest.mark.once
@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "１３８１２３４５６７８",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086 13812345678",
        " 138 1234 5678 ",
    ],
)
def test_a_mobile_number_however_typed_is_its_eleven_digits(typed):
    assert phone_number(typed) == "13812345678"


@pytest.mark.once
@pytest.mark.parametrize(
    "typed,kept",
    [
        ("021-60018888", "021-60018888"),
        ("(021) 6001 8888", "021-60018888"),
        ("０２１－６００１８８８８", "021-60018888"),
        ("+86 21 6001 8888", "021-60018888"),
        ("0755 1234 5678", "0755-12345678"),
        ("010-1234567", "010-1234567"),
    ],
)
def test_a_landline_keeps_its_area_code_apart_where_one_is_allowed(typed, kept):
    assert phone_number(typed, landline=True) == kept
    assert phone_number(typed) is None  # where only a mobile will do


@pytest.mark.once
@pytest.mark.parametrize(
    "typed",
    [
        "12345678901",
        "1381234567",
        "138123456789",
        "+1 415 555 0100",
        "021-123",
        "电话",
        "(021)1234567८",  # a Devanagari digit, which NFKC leaves as it is
        "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits
    ],
)
def test_what_is_no_phone_number_stays_refused(typed):
    assert phone_number(typed, landline=True) is None


def test_a_shop_phone_typed_with_spaces_and_country_code_is_kept_plain(client, make):
    shop = make.shop("owner", make.region_tree()["street_a"])
    owner = client.login("owner")
    url = f"/api/v1/merchant/shops/{shop.public_id}"
    changed = owner.patch(url, json={"phone": "+86 138-1234 5678"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["phone"] == "13812345678"
    landline = owner.patch(url, json={"phone": "（021）6001 8888"}).get_json()
    assert landline["phone"] == "021-60018888"
    refused = owner.patch(url, json={"phone": "138 1234 567"})
    assert refused.status_code == 422 and "phone" in refused.get_json()["errors"]["json"]


def test_a_colleagues_phone_in_full_width_digits_is_taken(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    created = client.login("admin_a").post(
        "/api/v1/admin/staff",
        json={
            "name": "王五",
            "role": "inspector",
            "region": places["street_a"].code,
            "phone": "１３９ ００００ １１１１",
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["staff"]["phone"] == "139****1111"  # masked, as ever
    with database.connection_context():
        assert StaffAccount.get(StaffAccount.name == "王五").phone == "13900001111"
