"""Access tokens are short and unforgeable; refresh tokens rotate and betray reuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend import clock
from backend.db import database
from backend.models import RefreshToken
from tests.factories import error_keys


def _me(client, token):
    return client.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_refresh_rotates_and_old_token_stops_working(client):
    alice = client.login("alice")
    first = alice.tokens["refresh_token"]
    response = client.http.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert response.status_code == 200
    second = response.get_json()
    assert second["refresh_token"] != first
    assert _me(client, second["access_token"]).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_the_family(client):
    alice = client.login("alice")
    first = alice.tokens["refresh_token"]
    second = client.http.post("/api/v1/auth/refresh", json={"refresh_token": first}).get_json()
    replay = client.http.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    # The legitimate holder's newer token is dead too: the login is over.
    after = client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status_code == 401


def test_reuse_does_not_touch_another_login(client):
    phone = client.login("alice")
    laptop = client.login("alice")
    client.http.post("/api/v1/auth/refresh", json={"refresh_token": phone.tokens["refresh_token"]})
    client.http.post("/api/v1/auth/refresh", json={"refresh_token": phone.tokens["refresh_token"]})
    other = client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": laptop.tokens["refresh_token"]}
    )
    assert other.status_code == 200


def test_refresh_tokens_are_stored_only_as_hashes(client):
    alice = client.login("alice")
    with database.connection_context():
        stored = [row.token_hash for row in RefreshToken.select()]
    assert alice.tokens["refresh_token"] not in stored
    assert all(len(h) == 64 for h in stored)


def test_logout_ends_the_refresh_token(client):
    alice = client.login("alice")
    response = alice.post(
        "/api/v1/auth/logout", json={"refresh_token": alice.tokens["refresh_token"]}
    )
    assert response.status_code == 204
    again = client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]}
    )
    assert again.status_code == 401


def test_logout_needs_a_bearer_token(client):
    response = client.http.post("/api/v1/auth/logout", json={"refresh_token": "x" * 32})
    assert response.status_code == 401


def test_expired_refresh_token_is_refused(client):
    alice = client.login("alice")
    clock.travel(timedelta(days=31))
    response = client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]}
    )
    assert response.status_code == 401


def test_no_token_is_401_with_the_error_shape(client):
    response = client.http.get("/api/v1/me")
    assert response.status_code == 401
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "request_id"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_access_token_is_401(client):
    alice = client.login("alice")
    clock.travel(timedelta(minutes=16))
    response = alice.get("/api/v1/me")
    assert response.status_code == 401
    assert error_keys(response) == ["token_expired"]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("forgery", ["tampered", "other_key", "alg_none", "garbage", "hs256"])
def test_forged_access_tokens_are_401(client, forgery):
    alice = client.login("alice")
    token = alice.token
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    if forgery == "tampered":
        head, _, sig = token.split(".")
        forged = f"{head}.{_b64({**claims, 'sub': str(int(claims['sub']) + 1)})}.{sig}"
    elif forgery == "other_key":
        forged = jwt.encode(
            claims,
            ec.generate_private_key(ec.SECP256R1()),
            algorithm="ES256",
            headers={"kid": header["kid"]},
        )
    elif forgery == "alg_none":
        forged = f"{_b64({'alg': 'none', 'kid': header['kid']})}.{_b64(claims)}."
    elif forgery == "hs256":
        forged = jwt.encode(
            claims,
            "guessed-secret-of-32-bytes-length!!",
            algorithm="HS256",
            headers={"kid": header["kid"]},
        )
    else:
        forged = "not.a.token"
    response = client.http.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def _hs256_with_public_key(client, purpose: str, claims: dict) -> str:
    """The classic confusion: HS256 keyed with a published (or guessable) public key."""
    key = client.app.extensions["citycode.keys"].current(purpose)
    pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64({"alg": "HS256", "kid": key.kid, "typ": "JWT"})
    body = _b64(claims)
    signature = hmac.digest(pem, f"{head}.{body}".encode(), hashlib.sha256)
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_no_other_token_the_service_hands_out_signs_anyone_in(client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    code = make.code_of(shop)
    make.staff("inspector", "inspector", places["street_a"])
    alice = client.login("alice")
    claims = jwt.decode(alice.token, options={"verify_signature": False})
    resident_code = alice.get("/api/v1/resident/code").get_json()["code"]
    others = {
        "refresh token": alice.tokens["refresh_token"],
        "resident code": resident_code,
        "resident code without its prefix": resident_code.split(":", 1)[1],
        "rating ticket": alice.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"],
        "scan proof": client.login("inspector")
        .get(f"/api/v1/scan/{code}")
        .get_json()["regulatory"]["scan_proof"]["token"],
        "HS256 keyed with the access key's public key": _hs256_with_public_key(
            client, "access", claims
        ),
        "HS256 keyed with the published resident key": _hs256_with_public_key(
            client, "resident", claims
        ),
    }
    for name, token in others.items():
        assert _me(client, token).status_code == 401, name
    assert _me(client, alice.token).status_code == 200
    as_refresh = client.http.post("/api/v1/auth/refresh", json={"refresh_token": alice.token})
    assert as_refresh.status_code in (401, 422)


def test_logout_ends_the_access_token_at_once_and_only_that_login(client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    code = make.code_of(shop)
    phone, laptop = client.login("alice"), client.login("alice")
    assert phone.get("/api/v1/me").status_code == 200

    assert (
        phone.post(
            "/api/v1/auth/logout", json={"refresh_token": phone.tokens["refresh_token"]}
        ).status_code
        == 204
    )

    for path in ("/api/v1/me", f"/api/v1/scan/{code}"):
        ended = phone.get(path)
        assert ended.status_code == 401, path
        assert error_keys(ended) == ["login_ended"]
    assert laptop.get("/api/v1/me").status_code == 200
    assert laptop.get(f"/api/v1/scan/{code}").status_code == 200


def test_logout_with_another_logins_refresh_token_still_ends_the_callers_own(client):
    phone, laptop = client.login("alice"), client.login("alice")
    phone.post("/api/v1/auth/logout", json={"refresh_token": laptop.tokens["refresh_token"]})
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 401


def test_a_replayed_refresh_token_ends_every_access_token_of_its_login(client):
    alice = client.login("alice")
    bystander = client.login("alice")
    stolen = alice.tokens["refresh_token"]
    renewed = client.http.post("/api/v1/auth/refresh", json={"refresh_token": stolen}).get_json()
    assert (
        client.http.post("/api/v1/auth/refresh", json={"refresh_token": stolen}).status_code == 401
    )
    for token in (alice.token, renewed["access_token"]):
        assert _me(client, token).status_code == 401
    assert bystander.get("/api/v1/me").status_code == 200


def test_an_ended_login_is_kept_until_its_tokens_would_have_expired_then_purged(app, client):
    from backend.models import RevokedSession
    from backend.purge import purge

    alice = client.login("alice")
    alice.post("/api/v1/auth/logout", json={"refresh_token": alice.tokens["refresh_token"]})
    with app.app_context(), database.connection_context():
        (ended,) = RevokedSession.select()
        lasting = (ended.expires_at - ended.revoked_at).total_seconds()
        assert lasting == app.config["CITYCODE"].access_token_seconds + 5
        assert purge(ended.expires_at - timedelta(seconds=1)).ended_logins == 0
        assert purge(ended.expires_at).ended_logins == 1
