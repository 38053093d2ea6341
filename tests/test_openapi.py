"""The generated OpenAPI document is valid and every operation declares its schemas."""

from __future__ import annotations

import re
from datetime import date

from openapi_schema_validator import OAS30ReadValidator
from openapi_spec_validator import validate

from tests.factories import token_optional, valid_credit_code

BODY_METHODS = {"post", "put", "patch"}


def test_spec_validates(client):
    response = client.http.get("/api/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def test_every_operation_has_request_and_response_schemas(client):
    spec = client.http.get("/api/openapi.json").get_json()
    problems = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            ok = [code for code in op["responses"] if code.startswith("2")]
            if not ok:
                problems.append(f"{where}: no success response")
            for code in ok:
                if code == "204":
                    continue
                content = op["responses"][code].get("content", {})
                if not any("schema" in media for media in content.values()):
                    problems.append(f"{where}: {code} has no schema")
            if method in BODY_METHODS and not op.get("requestBody") and not op.get("x-no-body"):
                problems.append(f"{where}: no request body schema")
            if not re.fullmatch(
                r"(get|post|put|patch|delete)[A-Z][A-Za-z0-9]+", op.get("operationId", "")
            ):
                problems.append(f"{where}: no operationId")
            if "default" not in op["responses"]:
                problems.append(f"{where}: no error response")
            if not token_optional(op) and "401" not in op["responses"]:
                problems.append(f"{where}: needs a token but does not document 401")
    ids = [
        op.get("operationId")
        for ops in spec["paths"].values()
        for op in ops.values()
        if isinstance(op, dict)
    ]
    assert len(ids) == len(set(ids)), "operationIds are unique"
    assert not problems, "\n".join(problems)


def test_only_the_public_endpoints_skip_the_bearer_token(client):
    spec = client.http.get("/api/openapi.json").get_json()
    public = {
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and op.get("security") == []
    }
    allowed_prefixes = (
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/refresh",
        "GET /healthz",
        "GET /readyz",
        "GET /.well-known/jwks.json",
        "GET /s/",
        "GET /S/",
        "GET /api/v1/scan/",
        # Open311 is read by anyone; its POST carries the client's api_key instead.
        "GET /open311/v2/",
        "POST /open311/v2/requests.json",
        # A device's key, in X-Device-Key, instead of a person's token.
        "POST /api/v1/events",
        # What anyone may read: a published policy's attachments.
        "GET /api/v1/public/",
        # The grading rules, as a page the shop's page links to.
        "GET /grading-rules",
    )
    assert public and all(p.startswith(allowed_prefixes) for p in public), public


def test_docs_page_is_served_with_everything_it_loads_from_the_app_itself(client):
    """On a machine without internet the page must still work: no CDN."""
    response = client.http.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert len(assets) >= 3, assets  # the bundle, the preset, the stylesheet
    for asset in assets:
        assert asset.startswith("/api/docs/assets/"), asset
        loaded = client.http.get(asset)
        assert loaded.status_code == 200 and len(loaded.data) > 1000, asset
    assert "cdn." not in page and "https://" not in page.replace("https://c.example.cn", "")


def test_the_token_endpoints_document_the_401_they_answer(client):
    spec = client.http.get("/api/openapi.json").get_json()
    spent = client.http.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 40})
    client.http.post("/api/v1/auth/login", json={"code": "erin.once"})
    reused = client.http.post("/api/v1/auth/login", json={"code": "erin.once"})
    assert (spent.status_code, reused.status_code) == (401, 401)
    for path in ("/api/v1/auth/refresh", "/api/v1/auth/login"):
        assert "401" in spec["paths"][path]["post"]["responses"], path


def test_admin_operations_say_what_they_answer(client):
    spec = client.http.get("/api/openapi.json").get_json()
    admin = {
        f"{method.upper()} {path}": op
        for path, ops in spec["paths"].items()
        if path.startswith("/api/v1/admin/")
        for method, op in ops.items()
        if method != "parameters"
    }
    # Every admin view asks for a staff account: a resident's token gets 403.
    assert [name for name, op in admin.items() if "403" not in op["responses"]] == []
    assert "409" in admin["POST /api/v1/admin/staff/{staff_id}/disable"]["responses"]
    schemas = spec["components"]["schemas"]
    recorded = schemas["RecordedInspection"]["properties"]
    assert "RectificationOut" in str(recorded["rectification"])
    assert "ShopState" in str(recorded["shop_state"])
    assert schemas["InspectionOut"]["properties"]["inspector"]["type"] == "string"
    staff = schemas["StaffOut"]["properties"]
    assert {staff[f].get("type") for f in ("name", "phone", "department")} == {"string"}
    assert staff["bound"]["type"] == "boolean"


WECHAT_CHECKED = [
    ("patch", "/api/v1/resident/profile"),
    ("post", "/api/v1/resident/phone"),
    ("post", "/api/v1/resident/reports"),
    ("post", "/api/v1/resident/shops/{shop_id}/ratings"),
    ("post", "/api/v1/resident/shops/{shop_id}/complaints"),
]


def test_resident_writes_that_ask_wechat_document_its_failures(client, make, wechat_stub):
    shop = make.shop("owner", make.region_tree()["street_a"])
    alice = client.login("alice")
    ticket = alice.ticket(make.code_of(shop))
    wechat_stub.control("faults", {"busy": 1})
    busy = alice.post(
        f"/api/v1/resident/shops/{shop.public_id}/complaints",
        json={"category": "service", "text": "店门口垃圾很多", "rating_ticket": ticket},
    )
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    spec = client.http.get("/api/openapi.json").get_json()
    for method, path in WECHAT_CHECKED:
        responses = spec["paths"][path][method]["responses"]
        assert {"502", "503"} <= set(responses), (method, path)


def _documented(spec, method: str, path: str) -> set[str]:
    return set(spec["paths"][path][method]["responses"])


def _call(user, method: str, path: str, **values):
    url = path
    for name in (
        "shop_id",
        "licence_id",
        "employee_id",
        "honour_id",
        "upload_id",
        "order_id",
        "rating_id",
        "user_id",
    ):
        url = url.replace(f"{{{name}}}", str(values.get(name, 999)))
    return user.open(method.upper(), url)


def test_a_shopkeeper_gets_only_the_statuses_the_merchant_spec_documents(client, make):
    spec = client.http.get("/api/openapi.json").get_json()
    places = make.region_tree()
    pending = make.shop("owner", places["street_a"], approved=False)
    owner = client.login("owner")
    stranger = client.login("stranger")
    undocumented = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/merchant/shops/{shop_id}"):
            continue
        for method in operations:
            if method == "parameters":
                continue
            for user, shop_id in ((stranger, pending.public_id), (owner, pending.public_id)):
                answer = _call(user, method, path, shop_id=shop_id)
                if str(answer.status_code) not in _documented(spec, method, path):
                    undocumented.append(f"{method.upper()} {path}: {answer.status_code}")
    assert not undocumented, "\n".join(undocumented)


def _mismatches(spec, method: str, path: str, response) -> list[str]:
    """Where the body differs from the schema the spec gives for its status."""
    documented = spec["paths"][path][method]["responses"][str(response.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    validator = OAS30ReadValidator({"components": spec["components"], **schema})
    return [
        f"{method.upper()} {path} {list(e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(response.get_json())
    ]


def test_a_shop_without_a_location_and_a_scanned_stranger_code_match_the_spec(client, make):
    spec = client.http.get("/api/openapi.json").get_json()
    places = make.region_tree()
    owner = client.login("owner")
    registered = owner.post(
        "/api/v1/merchant/shops",
        json={
            "name": "新开小馆",
            "credit_code": valid_credit_code(),
            "category": "catering",
            "address": "天平路 1 号",
            "street": places["street_a"].code,
        },
    )
    assert registered.status_code == 201 and registered.get_json()["location"] is None
    shop_id = registered.get_json()["id"]
    resident = client.login("resident")
    problems = (
        _mismatches(spec, "get", "/api/v1/merchant/shops", owner.get("/api/v1/merchant/shops"))
        + _mismatches(
            spec,
            "get",
            "/api/v1/merchant/shops/{shop_id}",
            owner.get(f"/api/v1/merchant/shops/{shop_id}"),
        )
        + _mismatches(spec, "get", "/api/v1/scan/{code}", resident.get("/api/v1/scan/ABCDEFGHJK"))
    )
    assert not problems, "\n".join(problems)


def test_the_admin_spec_documents_the_403_a_resident_gets(client):
    spec = client.http.get("/api/openapi.json").get_json()
    resident = client.login("resident")
    undocumented = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/admin/"):
            continue
        for method in operations:
            if method == "parameters":
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            answer = resident.open(method.upper(), url)
            if str(answer.status_code) not in spec["paths"][path][method]["responses"]:
                undocumented.append(f"{method.upper()} {path}: {answer.status_code}")
    assert not undocumented, "\n".join(undocumented)


def _untyped(spec, name: str, seen: set) -> list[str]:
    """Fields of schema `name` (and those it nests) that declare no type."""
    if name in seen:
        return []
    seen.add(name)
    found = []
    for field, declared in spec["components"]["schemas"][name].get("properties", {}).items():
        ref = (
            declared.get("$ref")
            or declared.get("items", {}).get("$ref")
            or next(
                (
                    d["$ref"]
                    for d in declared.get("allOf", declared.get("anyOf", []))
                    if "$ref" in d
                ),
                None,
            )
        )
        if ref:
            found += _untyped(spec, ref.rsplit("/", 1)[-1], seen)
        elif "type" not in declared:
            found.append(f"{name}.{field}")
    return found


def test_every_field_a_shopkeeper_or_a_scan_gets_declares_its_type(client, make):
    spec = client.http.get("/api/openapi.json").get_json()
    untyped, seen = [], set()
    for path, operations in spec["paths"].items():
        if not path.startswith(("/api/v1/merchant/", "/api/v1/scan/")):
            continue
        for method, op in operations.items():
            for answer in op.get("responses", {}).values() if method != "parameters" else []:
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
                if ref and not ref.endswith("/Error"):
                    untyped += _untyped(spec, ref.rsplit("/", 1)[-1], seen)
    assert not untyped, untyped

    # And the declared types hold for real answers: the owner's, a regulator's, a member list.
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    make.licence(shop, date(2031, 1, 1))
    make.staff("inspector", "inspector", places["street_a"])
    owner = client.login("owner")
    base = f"/api/v1/merchant/shops/{shop.public_id}"
    owner.post(
        f"{base}/employees",
        json={
            "name": "张三",
            "health_cert_number": "JK20240001",
            "health_cert_expires": "2030-01-01",
        },
    )
    code = make.code_of(shop)
    problems = []
    for user, path, url in (
        (owner, "/api/v1/scan/{code}", f"/api/v1/scan/{code}"),
        (client.login("inspector"), "/api/v1/scan/{code}", f"/api/v1/scan/{code}"),
        (client.login("resident"), "/api/v1/scan/{code}", f"/api/v1/scan/{code}"),
        (owner, "/api/v1/merchant/shops/{shop_id}/members", f"{base}/members"),
        (owner, "/api/v1/merchant/shops/{shop_id}/licences", f"{base}/licences"),
    ):
        problems += _mismatches(spec, "get", path, user.get(url))
    assert not problems, "\n".join(problems)
