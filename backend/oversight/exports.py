"""The shops in a staff member's scope as a sheet they open in Excel.

Each coded value keeps its code, for whoever sorts or joins on it, and has its Chinese
label in the column after, for whoever reads it."""

from __future__ import annotations

from backend import spreadsheet
from backend.models import StaffAccount
from backend.shops import access, facts

# (column, how a shop fills it)
SHOP_COLUMNS = (
    ("public_id", lambda shop: shop.public_id),
    ("name", lambda shop: shop.name),
    ("credit_code", lambda shop: shop.credit_code),
    ("category", lambda shop: shop.category),
    ("category_label", lambda shop: facts.CATEGORIES.get(shop.category)),
    ("address", lambda shop: shop.address),
    ("status", lambda shop: shop.status),
    ("status_label", lambda shop: facts.SHOP_STATUS_LABELS.get(shop.status)),
    ("risk_grade", lambda shop: shop.risk_grade),
    ("open_rectifications", lambda shop: shop.open_rectifications),
    ("last_inspection_result", lambda shop: shop.last_inspection_result),
    (
        "last_inspection_result_label",
        lambda shop: facts.RESULT_LABELS.get(shop.last_inspection_result),
    ),
)


def shops_csv(staff: StaffAccount, filters: dict) -> bytes:
    shops = access.shops_in_scope(staff, filters).iterator()
    return spreadsheet.csv_document(
        [name for name, _ in SHOP_COLUMNS],
        ([cell(shop) for _, cell in SHOP_COLUMNS] for shop in shops),
    )
