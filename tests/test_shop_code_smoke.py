"""A quick end-to-end: register, approve, scan."""

from datetime import date


def test_registered_shop_scans_after_approval(client, make):
    places = make.region_tree()
    shop = make.shop("shopkeeper", places["street_a"], places["community_a"])
    make.licence(shop, date(2030, 1, 1))
    code = make.code_of(shop)
    alice = client.login("alice")
    body = alice.get(f"/api/v1/scan/{code}").get_json()
    assert body["verdict"] == "official" and body["view"] == "public"
    assert body["shop"]["name"] == "老王面馆"
    owner = client.login("shopkeeper").get(f"/api/v1/scan/{code.lower()}").get_json()
    assert owner["view"] == "owner" and owner["owner"]["can_manage_code"]
    page = client.http.get(f"/S/{code}")
    assert page.status_code == 200 and "老王面馆" in page.get_data(as_text=True)
