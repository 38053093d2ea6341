"""The public grade is the inspection's: a score from the checklist under published rules,
the latest inspection's 动态等级, the twelve months' 年度等级, and 待评级 before the first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from tests.factories import ApiClient

ADMIN = "/api/v1/admin"
AT_THE_COUNTER = {"lat": 31.2002, "lng": 121.4403}
FOOD = [f"FS0{n}" for n in range(1, 9)]


def answers(*failed: str, codes=FOOD) -> list[dict]:
    return [{"code": code, "ok": code not in failed} for code in codes]


@pytest.fixture
def scene(make):
    return make_scene(make)


def make_scene(make) -> dict:
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"], places["community_a"])
    make.licence(shop, clock.today_local() + timedelta(days=400))
    make.staff("inspector", "inspector", places["street_a"], name="李明")
    make.staff("inspector2", "inspector", places["street_a"], name="赵强")
    return {"shop": shop, "code": make.code_of(shop), "places": places}


def inspect(client: ApiClient, scene, *failed: str, result="pass") -> dict:
    inspector = client.login("inspector")
    view = inspector.get(f"/api/v1/scan/{scene['code']}").get_json()
    body = {
        "scan_proof": view["regulatory"]["scan_proof"]["token"],
        "location": AT_THE_COUNTER,
        "checklist": answers(*failed),
        "result": result,
    }
    response = inspector.post(f"{ADMIN}/shops/{scene['shop'].public_id}/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def public_grade(client: ApiClient, scene) -> dict:
    resident = client.login("resident")
    return resident.get(f"/api/v1/scan/{scene['code']}").get_json()["shop"]["grade"]


def test_a_shop_nobody_has_inspected_reads_awaiting_not_a_letter(client, scene):
    grade = public_grade(client, scene)
    assert grade["value"] is None and grade["meaning"] == "待评级" and grade["face"] is None
    assert grade["annual"] == {"value": None, "meaning": "待评级", "score": None, "inspections": 0}
    assert grade["history"] == []
    page = client.get(f"/s/{scene['code']}").get_data(as_text=True)
    assert "待评级" in page


def test_the_inspection_scores_itself_and_gives_the_shop_its_grades(client, scene):
    recorded = inspect(client, scene, "FS06", "FS07")
    assert (recorded["score"], recorded["grade"], recorded["rule_version"]) == (75, "B", 1)
    grade = public_grade(client, scene)
    assert (grade["value"], grade["meaning"], grade["face"], grade["score"]) == (
        "B",
        "一般",
        "平脸",
        75,
    )
    assert grade["annual"] == {"value": "B", "meaning": "一般", "score": 75, "inspections": 1}
    assert grade["history"] == [
        {"date": clock.today_local().isoformat(), "grade": "B", "score": 75}
    ]
    page = client.get(f"/s/{scene['code']}").get_data(as_text=True)
    assert "75 分" in page and "平脸" in page and 'href="/grading-rules"' in page


def test_the_annual_grade_averages_twelve_months_and_old_ones_age_out(client, scene, app):
    inspect(client, scene)  # 100
    clock.travel(timedelta(days=200))
    inspect(client, scene, "FS03", "FS06", "FS07", "FS08")  # 55, C
    grade = public_grade(client, scene)
    # The latest inspection is the 动态等级; the year averages (100 + 55) / 2 = 77.5 → 78.
    assert (grade["value"], grade["score"]) == ("C", 55)
    assert grade["annual"] == {"value": "B", "meaning": "一般", "score": 78, "inspections": 2}
    assert [h["score"] for h in grade["history"]] == [55, 100]
    # A year after the first, only the second counts — once the daily sweep has run.
    clock.travel(timedelta(days=170))
    assert public_grade(client, scene)["annual"]["inspections"] == 2
    out = app.test_cli_runner().invoke(args=["sweep-licences"])
    assert "annual grades changed: 1" in out.output, out.output
    grade = public_grade(client, scene)
    assert grade["annual"] == {"value": "C", "meaning": "较差", "score": 55, "inspections": 1}
    # The history still shows both: it is the latest three, not the year's.
    assert [h["score"] for h in grade["history"]] == [55, 100]
    # The sweep again changes nothing.
    again = app.test_cli_runner().invoke(args=["sweep-licences"])
    assert "annual grades changed: 0" in again.output


def test_the_latest_three_are_shown_newest_first(client, scene):
    for failed in ((), ("FS03",), ("FS06", "FS07"), ("FS01", "FS02")):
        inspect(client, scene, *failed)
        clock.travel(timedelta(days=30))
    grade = public_grade(client, scene)
    assert [(h["grade"], h["score"]) for h in grade["history"]] == [
        ("C", 75),
        ("B", 75),
        ("A", 90),
    ]
    assert grade["annual"]["inspections"] == 4 and grade["annual"]["score"] == 85


def test_the_rules_are_public_and_the_page_shows_them(client):
    rules = client.get("/api/v1/public/grading-rules")
    assert rules.status_code == 200
    body = rules.get_json()
    assert [g["meaning"] for g in body["grades"]] == ["良好", "一般", "较差"]
    food = next(t for t in body["templates"] if t["template"] == "food_safety")
    first = food["versions"][0]
    assert first["version"] == 1 and first["cutoffs"] == {"A": 85, "B": 60}
    assert {i["code"] for i in first["items"] if i["key"]} == {"FS01", "FS02", "FS04", "FS05"}
    page = client.get("/grading-rules")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "关键项" in text and "良好 ≥ 85 分" in text


def _schema_names(spec: dict, schema: dict, seen: set) -> set[str]:
    """Every property name a response schema can carry, through $refs and nesting."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return set()
        seen.add(name)
        return _schema_names(spec, spec["components"]["schemas"][name], seen)
    names = set(schema.get("properties", {}))
    children = [*schema.get("properties", {}).values()]
    children += [schema["items"]] if "items" in schema else []
    for child in children:
        names |= _schema_names(spec, child, seen)
    for combined in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(combined, []):
            names |= _schema_names(spec, child, seen)
    return names


def test_the_risk_grade_is_in_no_public_answer_and_in_the_regulators_view(client, scene):
    import io
    import zipfile

    inspect(client, scene, "FS03")
    spec = client.http.get("/api/openapi.json").get_json()
    public = [
        path
        for path, ops in spec["paths"].items()
        if isinstance(ops.get("get"), dict) and ops["get"].get("security") == []
    ]
    filled = {"{code}": scene["code"], "{shop_id}": scene["shop"].public_id}
    walked = 0
    for path in [*public, "/api/v1/scan/{code}"]:
        responses = spec["paths"][path]["get"]["responses"]
        for response in responses.values():
            for content in response.get("content", {}).values():
                schema = content.get("schema", {})
                if path == "/api/v1/scan/{code}":  # its public part; staff get the regulatory
                    schema = spec["components"]["schemas"]["ScanResult"]["properties"]["shop"]
                assert "risk_grade" not in _schema_names(spec, schema, set()), path
        url = path
        for name, value in filled.items():
            url = url.replace(name, value)
        if "{" in url:
            continue
        if url.endswith("shops.geojson"):
            url += "?bbox=121.0,31.0,122.0,32.0"
        answer = client.login("resident").get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        body = answer.get_data()
        if url.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(body)) as feed:
                body = b"".join(feed.read(name) for name in feed.namelist())
        assert b"risk" not in body and "风险".encode() not in body, url
        walked += 1
    assert walked >= 8
    regulatory = client.login("inspector").get(f"/api/v1/scan/{scene['code']}").get_json()
    assert regulatory["regulatory"]["risk"]["grade"] in "ABCD"
    assert (
        regulatory["regulatory"]["profile"]["risk_grade"]
        == regulatory["regulatory"]["risk"]["grade"]
    )
