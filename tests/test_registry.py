"""A registration or claim is checked against the business registry (its stub, over HTTP):
an ended business or an unknown code is refused, a different name or address is flagged
for the admin, and a registry that cannot answer lets it through 未核验 until asked again."""

from __future__ import annotations

import time

import pytest
import requests

from backend import creditcode
from backend.db import database
from backend.models import LifecycleEvent, Shop
from backend.registry import RegistryClient, RegistryNotFound, RegistryUnavailable
from backend.shops import registry_check
from tests.conftest import REGISTRY_TOKEN
from tests.factories import error_keys

WANG = "92310104MA0000001X"  # 老王面馆 in the registry_stub's fixtures
DEREGISTERED, REVOKED, CANCELLED = (
    "91310104MA1FL0001Q",
    "91310104MA1FL0002U",
    "91310104MA1FL00055",
)
SUSPENDED = "92310104MA1FL0003U"


@pytest.fixture
def config(config, registry_stub):
    return config.replace(
        registry_api_base=registry_stub, registry_key=REGISTRY_TOKEN, registry_timeout_seconds=1
    )


@pytest.fixture
def places(make):
    places = make.region_tree()
    make.staff("street_admin", "admin", places["street_a"], name="陈立")
    return places


def calls(registry_stub) -> list[dict]:
    return requests.get(f"{registry_stub}/__stub__/calls", timeout=5).json()


def faults(registry_stub, *kinds: str) -> None:
    requests.post(
        f"{registry_stub}/__stub__/faults", json={"faults": list(kinds)}, timeout=5
    ).raise_for_status()


def register(client, places, code, name="老王面馆", address="天平路 17 号"):
    return client.login("wang").post(
        "/api/v1/merchant/shops",
        json={
            "name": name,
            "credit_code": code,
            "category": "catering",
            "address": address,
            "street": places["street_a"].code,
        },
    )


def waiting(client) -> list[dict]:
    return client.login("street_admin").get("/api/v1/admin/shop-requests").get_json()


def test_the_client_reads_the_registry_and_maps_its_words(registry_stub):
    client = RegistryClient(registry_stub, REGISTRY_TOKEN, timeout=(1, 1), backoff=0)
    found = client.lookup(WANG)
    assert (found.name, found.status, found.status_label, found.entity_type) == (
        "老王面馆",
        "active",
        "存续",
        "个体工商户",
    )
    assert found.address == "上海市徐汇区天平路17号" and found.representative_masked == "王**"
    assert len(found.answer_hash) == 64 and found.snapshot()["source"] == "tianyancha.baseinfoV2"
    assert client.lookup(REVOKED).status == "revoked"  # "吊销，未注销"
    assert client.lookup(SUSPENDED).status == "suspended"
    assert client.lookup(DEREGISTERED).entity_type == "企业"
    with pytest.raises(RegistryNotFound):
        client.lookup("91310104MA1FL9999" + creditcode.check_character("91310104MA1FL9999"))
    wrong_key = RegistryClient(registry_stub, "not-the-key", timeout=(1, 1), backoff=0)
    with pytest.raises(RegistryUnavailable, match="300002"):
        wrong_key.lookup(WANG)


def test_the_client_retries_a_fault_and_gives_up_after_its_retries(registry_stub):
    client = RegistryClient(registry_stub, REGISTRY_TOKEN, timeout=(1, 1), backoff=0)
    faults(registry_stub, "rate_limit", "server_error")
    assert client.lookup(WANG).status == "active"  # third try
    faults(registry_stub, "server_error", "timeout", "rate_limit")
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable):
        client.lookup(WANG)
    assert time.monotonic() - started >= 1  # the timeout waited for its second
    assert len(calls(registry_stub)) == 6  # three tries each


def test_a_registration_the_registry_confirms_is_verified_with_a_snapshot(
    client, places, registry_stub
):
    made = register(client, places, WANG)
    assert made.status_code == 201, made.get_json()
    [request] = waiting(client)
    assert (request["registry_state"], request["registry_state_label"]) == ("verified", "已核验")
    assert request["registry"]["name"] == "老王面馆" and request["registry"]["differences"] == []
    assert request["registry"]["representative"] == "王**"
    with database.connection_context():
        shop = Shop.get(Shop.public_id == made.get_json()["id"])
        event = LifecycleEvent.get(
            (LifecycleEvent.shop == shop) & (LifecycleEvent.type == "registry.checked")
        )
        assert shop.registry_status == "active"
    assert '"source":"tianyancha.baseinfoV2"' in event.payload.replace(" ", "")


def test_a_different_name_or_address_goes_through_flagged_for_the_admin(
    client, places, registry_stub
):
    made = register(client, places, WANG, name="王师傅面馆", address="天平路 19 号")
    assert made.status_code == 201
    [request] = waiting(client)
    assert request["registry_state"] == "mismatch"
    assert request["registry"]["differences"] == ["name", "address"]
    side_by_side = (request["shop_name"], request["registry"]["name"])
    assert side_by_side == ("王师傅面馆", "老王面馆")
    assert (request["shop_address"], request["registry"]["address"]) == (
        "天平路 19 号",
        "上海市徐汇区天平路17号",
    )


@pytest.mark.parametrize(
    "code, word", [(DEREGISTERED, "注销"), (REVOKED, "吊销"), (CANCELLED, "撤销")]
)
def test_a_business_the_registry_lists_as_ended_is_refused(
    client, places, registry_stub, code, word
):
    refused = register(client, places, code, name="随便一个名字")
    assert refused.status_code == 422 and error_keys(refused) == ["registry_deregistered"]
    assert word in refused.get_json()["message"]
    assert waiting(client) == []


def test_an_unknown_code_is_refused_as_a_likely_typo_and_a_bad_check_character_never_asks(
    client, places, registry_stub
):
    body = "92310104MA9999999"
    unknown = register(client, places, body + creditcode.check_character(body))
    assert unknown.status_code == 422 and error_keys(unknown) == ["registry_not_found"]
    assert "请核对是否输错" in unknown.get_json()["message"]
    asked = len(calls(registry_stub))
    typo = register(client, places, WANG[:-1] + ("Y" if WANG[-1] != "Y" else "X"))
    assert typo.status_code == 422 and error_keys(typo) == ["credit_code_checksum"]
    assert len(calls(registry_stub)) == asked


def test_a_registry_that_cannot_answer_leaves_it_unverified_until_asked_again(
    app, client, places, registry_stub
):
    faults(registry_stub, "server_error", "server_error", "server_error")
    made = register(client, places, WANG)
    assert made.status_code == 201, made.get_json()
    [request] = waiting(client)
    assert (request["registry_state"], request["registry_state_label"]) == ("unverified", "未核验")
    assert request["registry"] is None
    with app.app_context(), database.connection_context():
        assert registry_check.recheck_unverified() == 1
    [request] = waiting(client)
    assert request["registry_state"] == "verified"


def test_a_claim_on_a_business_that_has_ended_is_refused(client, places, make, registry_stub):
    shop = make.shop("old_owner", places["street_a"])  # registered before the registry said
    with database.connection_context():
        Shop.update(credit_code=DEREGISTERED).where(Shop.id == shop.id).execute()
    claimed = client.login("newcomer").post(
        "/api/v1/merchant/claims", json={"credit_code": DEREGISTERED}
    )
    assert claimed.status_code == 422 and error_keys(claimed) == ["registry_deregistered"]


def _registry_says(registry_stub, code: str, status: str) -> None:
    company = {
        "name": "老王面馆",
        "creditCode": code,
        "regStatus": status,
        "legalPersonName": "王建军",
        "regLocation": "上海市徐汇区天平路88号",
    }
    requests.post(f"{registry_stub}/__stub__/companies", json=[company], timeout=5)


def test_the_daily_recheck_finds_a_business_that_ended_and_asks_to_close_its_shop(
    app, client, places, make, registry_stub
):
    inspector = make.staff("inspector", "inspector", places["street_a"], name="李明")
    shop = make.shop("wang", places["street_a"])
    other = make.shop("li", places["street_a"], name="李记小吃")
    code = make.code_of(shop)
    with database.connection_context():
        Shop.update(grade="A", grade_score=95).where(Shop.id == shop.id).execute()
    _registry_says(registry_stub, shop.credit_code, "吊销，未注销")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["recheck-registry", "--limit", "1"])
    assert "asked: 1, ended: 1" in first.output, first.output
    again = runner.invoke(args=["recheck-registry"])  # goes on with the one not asked today
    assert "asked: 1, ended: 0" in again.output
    assert "asked: 0" in runner.invoke(args=["recheck-registry"]).output
    seen = client.login("passer_by").get(f"/api/v1/scan/{code}").get_json()["shop"]
    assert seen["status_text"] == "营业执照已被吊销，请谨慎消费"
    page = client.http.get(f"/s/{code}").get_data(as_text=True)
    assert "营业执照已被吊销" in page and "✔" not in page
    # Its grade is frozen: an inspection now changes nothing of it.
    with app.app_context(), database.connection_context():
        from backend.inspections import grading

        assert grading.refresh(Shop.get_by_id(shop.id)) is None
        assert Shop.get_by_id(shop.id).grade == "A"
        events = [e.type for e in LifecycleEvent.select().where(LifecycleEvent.shop == shop.id)]
        assert events.count("registry.ended") == 1
        assert Shop.get_by_id(other.id).registry_status == "active"
    orders = client.login("street_admin").get("/api/v1/admin/work-orders").get_json()
    [order] = [o for o in orders if o["source"] == "registry"]
    assert order["state"] == "received" and "已吊销" in order["description"]
    assert inspector.id  # the street's staff exist; the order waits for its dispatcher


def test_the_daily_recheck_stops_when_the_registry_is_down_and_goes_on_next_time(
    app, places, make, registry_stub
):
    for n in range(3):
        make.shop(f"owner{n}", places["street_a"], name=f"小店{n}")
    runner = app.test_cli_runner()
    faults(registry_stub, "server_error", "server_error", "server_error")
    stopped = runner.invoke(args=["recheck-registry"])
    assert "asked: 0" in stopped.output and "stopped" in stopped.output
    resumed = runner.invoke(args=["recheck-registry"])
    assert "asked: 3, ended: 0" in resumed.output


def test_the_demo_shows_a_registration_whose_name_differs_from_the_registry(app, registry_stub):
    from backend.models import ShopRequest

    seeded = app.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    with database.connection_context():
        states = {
            request.shop.name: request.registry_state for request in ShopRequest.select().join(Shop)
        }
    assert states.pop("小杨烧烤") == "mismatch"
    assert set(states.values()) == {"verified"}
