"""The daily purge: used resident codes and dead logins go; what still guards anything stays."""

from __future__ import annotations

from datetime import timedelta

from backend import clock
from backend.db import database
from backend.models import RefreshToken, ResidentCodeUse


def _show_at_gate(client, resident: str) -> str:
    code = client.login(resident).get("/api/v1/resident/code").get_json()["code"]
    answer = (
        client.login("cadre")
        .post("/api/v1/admin/resident-codes/verify", json={"code": code})
        .get_json()
    )
    assert answer["valid"] is True
    return code


def _refresh(client, token: str):
    return client.http.post("/api/v1/auth/refresh", json={"refresh_token": token})


def _rows() -> tuple[int, int]:
    with database.connection_context():
        return ResidentCodeUse.select().count(), RefreshToken.select().count()


def test_purge_drops_spent_codes_and_dead_logins_and_keeps_live_ones(app, client, make):
    places = make.region_tree()
    make.staff("cadre", "cadre", places["community_a"])
    make.member("alice", places["community_a"])
    _show_at_gate(client, "alice")
    bob = client.login("bob")
    assert (
        bob.post(
            "/api/v1/auth/logout", json={"refresh_token": bob.tokens["refresh_token"]}
        ).status_code
        == 204
    )
    client.login("carol")  # never comes back; her login expires
    clock.travel(
        timedelta(seconds=app.config["CITYCODE"].refresh_token_seconds) + timedelta(days=31)
    )

    dave = client.login("dave")
    spent = dave.tokens["refresh_token"]
    current = _refresh(client, spent).get_json()["refresh_token"]
    fresh_code = _show_at_gate(client, "alice")
    before = _rows()

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    code_uses, tokens = _rows()
    assert code_uses == 1 and before[0] > 1
    # Left: dave's spent and current token, and the logins the gate checks just made.
    with database.connection_context():
        kept = {t.user.openid for t in RefreshToken.select()}
    assert kept == {"oStub_dave", "oStub_alice", "oStub_cadre"} and tokens < before[1]
    assert "refresh tokens: " in result.output
    verified = (
        client.login("cadre")
        .post("/api/v1/admin/resident-codes/verify", json={"code": fresh_code})
        .get_json()
    )
    assert verified == {"valid": False, "reason": "replayed"}
    # The spent token still gives the stolen login away, and so ends it.
    assert _refresh(client, spent).status_code == 401
    assert _refresh(client, current).status_code == 401
