"""Who may call an operation is checked before anything it was sent is read: a caller
without the role or the membership learns nothing of the body's or the query's shape."""

from __future__ import annotations

import re

import pytest

from tests.factories import token_optional

GARBAGE_BODY = {"garbage": [1, {"deeper": None}], "status": 12}
GARBAGE_QUERY = "page=-5&page_size=abc&status=nope&format=exe&unmasked=maybe&size=0"


def _operations(spec: dict, prefix: str):
    for path, item in spec["paths"].items():
        if not path.startswith(prefix):
            continue
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path


def _concrete(path: str, shop_id: str) -> str:
    path = path.replace("{shop_id}", shop_id)
    return re.sub(r"\{[a-z_]+_id\}|\{[a-z_]+\}", "1", path)


def _call(client, method: str, path: str):
    url = f"{path}?{GARBAGE_QUERY}"
    if method in ("post", "put", "patch"):
        return client.open(method.upper(), url, json=GARBAGE_BODY)
    return client.open(method.upper(), url)


@pytest.fixture
def spec(client):
    return client.http.get("/api/openapi.json").get_json()


def test_a_resident_calling_any_staff_operation_is_refused_before_its_input_is_read(
    client, make, spec
):
    shop = make.shop("owner", make.region_tree()["street_a"])
    resident = client.login("stranger")
    answers = {
        f"{method.upper()} {path}": _call(resident, method, _concrete(path, shop.public_id))
        for method, path in _operations(spec, "/api/v1/admin")
    }
    assert len(answers) > 50
    wrong = {op: (a.status_code, a.get_json()) for op, a in answers.items() if a.status_code != 403}
    assert not wrong, wrong


def test_a_stranger_calling_any_shop_operation_finds_no_shop_before_its_input_is_read(
    client, make, spec
):
    shop = make.shop("owner", make.region_tree()["street_a"])
    stranger = client.login("stranger")
    answers = {
        f"{method.upper()} {path}": _call(stranger, method, _concrete(path, shop.public_id))
        for method, path in _operations(spec, "/api/v1/merchant/shops/{shop_id}")
    }
    assert len(answers) > 20
    wrong = {op: (a.status_code, a.get_json()) for op, a in answers.items() if a.status_code != 404}
    assert not wrong, wrong


def test_no_token_is_refused_before_anything_else_on_every_operation_that_needs_one(client, spec):
    refused = {}
    for method, path in _operations(spec, "/"):
        operation = spec["paths"][path][method]
        if token_optional(operation):  # public, or a credential of its own (/metrics)
            continue
        answer = _call(client, method, _concrete(path, "ANYSHOP"))
        if answer.status_code != 401:
            refused[f"{method.upper()} {path}"] = answer.status_code
    assert not refused, refused
