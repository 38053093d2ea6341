"""Open311 GeoReport v2, against the standard's own examples: discovery, services and
their definitions, a request posted form-encoded (or as JSON) with an api_key, read back
by anyone with no personal data in it, and errors as [{code, description}]."""

from __future__ import annotations

import re

from backend.db import database
from backend.models import WorkOrder
from tests import test_work_orders
from tests.test_work_orders import _photo, _reported_by

city, rules = test_work_orders.city, test_work_orders.rules
V2 = "/open311/v2"


def _api_key(app, name: str = "12345-app", region: str = "310104003") -> str:
    result = app.test_cli_runner().invoke(args=["open311-key", name, "--region", region])
    assert result.exit_code == 0, result.output
    return re.search(r"key \(shown once\): (\S+)", result.output).group(1)


def _post(client, key: str, **fields):
    form = {"api_key": key, "service_code": "litter", "lat": "31.2071", "long": "121.4488"}
    form.update(fields)
    return client.http.post(f"{V2}/requests.json", data=form)


def test_discovery_and_services_speak_the_standard(client, rules):
    discovery = client.http.get(f"{V2}/discovery.json").get_json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "application/json" in endpoint["formats"]
    services = client.http.get(f"{V2}/services.json").get_json()
    litter = next(s for s in services if s["service_code"] == "litter")
    assert litter == {
        "service_code": "litter",
        "service_name": "暴露垃圾",
        "description": "道路、绿地上的暴露垃圾",
        "metadata": True,
        "type": "realtime",
        "keywords": "市容环境",
        "group": "市容环境",
    }
    definition = client.http.get(f"{V2}/services/litter.json").get_json()
    attribute = definition["attributes"][0]
    assert (attribute["code"], attribute["datatype"], attribute["required"]) == (
        "community",
        "singlevaluelist",
        False,
    )
    assert {"key": "310104003001", "name": "建业里居委会"} in attribute["values"]
    missing = client.http.get(f"{V2}/services/no_such.json")
    assert missing.status_code == 404
    assert missing.get_json() == [
        {"code": 404, "description": missing.get_json()[0]["description"]}
    ]


def test_a_posted_request_becomes_a_dispatched_order_anyone_can_follow(app, client, rules, make):
    key = _api_key(app)
    make.shop("owner", rules["street_a"], rules["community_a"])  # at 31.2001, 121.4402
    posted = _post(
        client,
        key,
        lat="31.2003",
        long="121.4403",
        description="路口垃圾堆了三天，联系我 13812345678",
        media_url="https://img.example.cn/litter.jpg",
        first_name="张",
        email="zhang@example.cn",
    )

    assert posted.status_code == 201, posted.get_json()
    [answer] = posted.get_json()
    assert answer["account_id"] is None and answer["service_notice"] == "15 个工作日内办结"
    number = answer["service_request_id"]
    token = client.http.get(f"{V2}/tokens/{answer['token']}.json").get_json()
    assert token == [{"service_request_id": number, "token": answer["token"]}]
    [read] = client.http.get(f"{V2}/requests/{number}.json").get_json()
    assert read["status"] == "open" and read["agency_responsible"] == "天平路城管中队"
    assert read["description"] == "路口垃圾堆了三天，联系我 138****5678"
    assert (read["lat"], read["long"]) == (31.2003, 121.4403)
    assert read["media_url"] == "https://img.example.cn/litter.jpg"
    assert "张" not in str(read) and "zhang" not in str(read)
    with database.connection_context():
        order = WorkOrder.get(WorkOrder.number == number)
        # The nearest shop's community, though the key speaks for the whole street.
        assert order.region_path == rules["community_a"].path and order.source == "open311"

    squad = client.login("squad_lead")
    squad.post(f"/api/v1/admin/work-orders/{number}/sign")
    squad.post(
        f"/api/v1/admin/work-orders/{number}/resolve",
        json={"result": "已清运", "photos": [_photo(client, "squad_lead")]},
    )
    [closed] = client.http.get(f"{V2}/requests/{number}.json").get_json()
    assert (closed["status"], closed["status_notes"]) == ("closed", "已清运")
    listed = client.http.get(f"{V2}/requests.json?status=closed&service_code=litter").get_json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.http.get(f"{V2}/requests.json?status=open").get_json() == []


def test_json_is_taken_too_and_a_named_community_places_the_request(app, client, rules):
    key = _api_key(app)
    body = {
        "api_key": key,
        "service_code": "fire_lane",
        "address_string": "宛南新村 5 号楼",
        "attribute[community]": "310104003001",
    }
    posted = client.http.post(f"{V2}/requests.json", json=body)
    assert posted.status_code == 201, posted.get_json()
    with database.connection_context():
        placed = WorkOrder.get(WorkOrder.number == posted.get_json()[0]["service_request_id"])
        assert placed.region_path == rules["community_a"].path
    unplaced = client.http.post(f"{V2}/requests.json", json={**body, "attribute[community]": None})
    with database.connection_context():
        placed = WorkOrder.get(WorkOrder.number == unplaced.get_json()[0]["service_request_id"])
        assert placed.region_path == rules["street_a"].path  # the key's region: nothing nearer
    outside = client.http.post(
        f"{V2}/requests.json", json={**body, "attribute[community]": "310104004001"}
    )
    assert outside.status_code == 400 and outside.get_json()[0]["code"] == 400


def test_a_resident_raised_order_shows_no_words_and_only_roughly_where(app, client, rules):
    number = _reported_by(app, "oStub_alice", "facilities", rules["community_a"])
    with database.connection_context():
        WorkOrder.update(lat=31.207149, lng=121.448831).where(WorkOrder.number == number).execute()
    [read] = client.http.get(f"{V2}/requests/{number}.json").get_json()
    assert read["description"] is None and read["address"] is None
    assert (read["lat"], read["long"]) == (31.207, 121.449)


def test_errors_are_the_standards_shape(app, client, rules):
    key = _api_key(app)
    no_key = client.http.post(f"{V2}/requests.json", data={"service_code": "litter"})
    assert no_key.status_code == 400 and "api_key" in no_key.get_json()[0]["description"]
    wrong = _post(client, "o311_" + "x" * 43)
    assert wrong.status_code == 403 and wrong.get_json()[0]["code"] == 403
    unknown = _post(client, key, service_code="no_such")
    assert unknown.status_code == 400
    nowhere = _post(client, key, lat="", long="")
    assert nowhere.status_code == 400
    missing = client.http.get(f"{V2}/requests/GD20000101000001.json")
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404
    revoked = app.test_cli_runner().invoke(args=["open311-key", "12345-app", "--revoke"])
    assert revoked.exit_code == 0
    assert _post(client, key).status_code == 403


def test_a_client_posts_within_its_keys_budget(config, make, places):
    from backend import create_app
    from tests.factories import ApiClient

    app = create_app(config.replace(ratelimit_open311="2 per day"))
    client = ApiClient(app)
    first, second = _api_key(app, "app-one"), _api_key(app, "app-two")
    answers = [_post(client, first, description=f"第{n}处垃圾").status_code for n in range(3)]
    assert answers == [201, 201, 429]
    limited = _post(client, first)
    assert limited.get_json()[0]["code"] == 429 and int(limited.headers["Retry-After"]) > 0

    def from_address(key: str, address: str):
        form = {"api_key": key, "service_code": "litter", "lat": "31.2071", "long": "121.4488"}
        return client.http.post(
            f"{V2}/requests.json", data=form, environ_base={"REMOTE_ADDR": address}
        ).status_code

    # The key's budget is spent from wherever it posts; another key has its own.
    assert from_address(first, "10.9.9.8") == 429
    assert from_address(second, "10.9.9.9") == 201
