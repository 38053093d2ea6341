"""Staff bind their WeChat account with a one-time code an admin issued."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.db import database, is_sqlite
from backend.models import BindingCode, Region
from backend.people.staffing import create_staff, issue_binding_code
from tests.factories import ApiClient
from tests.races import at_once


def _new_staff(role="inspector"):
    with database.connection_context():
        street = Region.create(
            code="310104003", name="天平路街道", level="street", path="310104/310104003/"
        )
        staff = create_staff(name="李明", role=role, region=street)
        return staff, issue_binding_code(staff)


def test_binding_code_makes_the_user_staff_with_scope(client):
    _, code = _new_staff()
    alice = client.login("alice")
    response = alice.post("/api/v1/auth/bind-staff", json={"binding_code": code})
    assert response.status_code == 200
    me = alice.get("/api/v1/me").get_json()
    assert "inspector" in me["roles"]
    assert me["staff"]["region"]["path"] == "310104/310104003/"


def test_binding_code_works_once(client):
    _, code = _new_staff()
    assert (
        client.login("alice")
        .post("/api/v1/auth/bind-staff", json={"binding_code": code})
        .status_code
        == 200
    )
    again = client.login("bob").post("/api/v1/auth/bind-staff", json={"binding_code": code})
    assert again.status_code == 401
    assert "binding_code" in again.get_json()["errors"]["json"]


def test_expired_binding_code_is_refused(client):
    _, code = _new_staff()
    clock.travel(timedelta(days=4))
    response = client.login("alice").post("/api/v1/auth/bind-staff", json={"binding_code": code})
    assert response.status_code == 401


def test_create_staff_command_prints_a_working_code(app, client):
    with database.connection_context():
        Region.create(code="310104", name="徐汇区", level="district", path="310104/")
    result = app.test_cli_runner().invoke(
        args=["create-staff", "--name", "王芳", "--role", "admin", "--region", "310104"]
    )
    assert result.exit_code == 0, result.output
    code = result.output.strip().rsplit(" ", 1)[-1]
    alice = client.login("alice")
    assert alice.post("/api/v1/auth/bind-staff", json={"binding_code": code}).status_code == 200
    assert "admin" in alice.get("/api/v1/me").get_json()["roles"]


def test_a_reissued_code_replaces_the_lost_one(client):
    staff, lost = _new_staff()
    with database.connection_context():
        replacement = issue_binding_code(staff)
    finder = client.login("mallory").post("/api/v1/auth/bind-staff", json={"binding_code": lost})
    assert finder.status_code == 401 and "binding_code" in finder.get_json()["errors"]["json"]
    assert client.login("mallory").get("/api/v1/me").get_json()["staff"] is None
    assert (
        client.login("alice")
        .post("/api/v1/auth/bind-staff", json={"binding_code": replacement})
        .status_code
        == 200
    )


def test_a_colleague_moved_to_another_street_binds_the_new_account(client, make):
    places = make.region_tree()
    make.staff("district", "admin", places["district"], name="王建国")
    old = make.staff("li", "inspector", places["street_a"], name="李明")
    admin = client.login("district")
    assert admin.post(f"/api/v1/admin/staff/{old.id}/disable").status_code == 200
    created = admin.post(
        "/api/v1/admin/staff",
        json={"name": "李明", "role": "inspector", "region": places["street_b"].code},
    )
    code = created.get_json()["binding_code"]

    bound = client.login("li").post("/api/v1/auth/bind-staff", json={"binding_code": code})

    assert bound.status_code == 200, bound.get_json()
    me = client.login("li").get("/api/v1/me").get_json()
    assert me["staff"]["region"]["path"] == places["street_b"].path
    # The old account stays disabled and keeps no way back in.
    listed = {s["id"]: s for s in admin.get("/api/v1/admin/staff").get_json()}
    assert listed[old.id]["active"] is False and listed[old.id]["bound"] is False


def test_a_double_tapped_reissue_leaves_one_working_code(app, client, make):
    places = make.region_tree()
    make.staff("district", "admin", places["district"], name="王建国")
    admin = client.login("district")

    def triple_tap(staff_id: int) -> int:
        reissue = f"/api/v1/admin/staff/{staff_id}/binding-code"
        answers = at_once(*[lambda: ApiClient(app, admin.token).post(reissue)] * 3)
        assert [a.status_code for a in answers] == [201] * 3, [a.get_json() for a in answers]
        with database.connection_context():
            return (
                BindingCode.select()
                .where(
                    (BindingCode.staff == staff_id)
                    & BindingCode.used_at.is_null()
                    & (BindingCode.expires_at > clock.now())
                )
                .count()
            )

    for round_ in range(6):
        created = admin.post(
            "/api/v1/admin/staff",
            json={"name": "李明", "role": "inspector", "region": places["street_a"].code},
        )
        live = triple_tap(created.get_json()["staff"]["id"])
        assert live == 1, f"round {round_}: {live} codes would bind this account"


def test_an_account_disabled_while_it_is_being_bound_stays_disabled(app, client, make):
    with database.connection_context():
        if is_sqlite():
            pytest.skip(
                "SQLite serialises every writer (BEGIN IMMEDIATE); the race "
                "needs PostgreSQL's row locks"
            )
    places = make.region_tree()
    make.staff("district", "admin", places["district"], name="王建国")
    admin = client.login("district")

    def disable_while_bound(staff_id: int, code: str, newcomer: ApiClient) -> list[int]:
        disable, bind = f"/api/v1/admin/staff/{staff_id}/disable", "/api/v1/auth/bind-staff"
        return [
            a.status_code
            for a in at_once(
                lambda: ApiClient(app, admin.token).post(disable),
                lambda: newcomer.post(bind, json={"binding_code": code}),
            )
        ]

    for round_ in range(12):
        created = admin.post(
            "/api/v1/admin/staff",
            json={"name": "李明", "role": "inspector", "region": places["street_a"].code},
        ).get_json()
        staff_id, code = created["staff"]["id"], created["binding_code"]
        newcomer = ApiClient(app, client.login(f"newcomer{round_}").token)
        answers = disable_while_bound(staff_id, code, newcomer)
        assert 500 not in answers, answers
        listed = {s["id"]: s for s in admin.get("/api/v1/admin/staff?page_size=100").get_json()}
        assert (listed[staff_id]["active"], listed[staff_id]["bound"]) == (False, False), (
            f"round {round_}: {answers}"
        )
        assert newcomer.get("/api/v1/me").get_json()["staff"] is None
