"""The signing key set: published at /.well-known/jwks.json, rotated with a grace period."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from backend import clock, create_app
from backend.keys import UnknownKey
from tests.factories import ApiClient


@pytest.fixture
def own_keys_app(config, tmp_path):
    return create_app(config.replace(signing_keys_dir=str(tmp_path / "keys")))


def test_jwks_publishes_only_the_resident_code_key_without_private_parts(own_keys_app):
    response = own_keys_app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert [k["kid"].split("-")[0] for k in keys] == ["resident"]
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
        assert "d" not in key


def test_login_tokens_are_not_verifiable_from_the_published_keys(own_keys_app):
    alice = ApiClient(own_keys_app).login("alice")
    jwks = own_keys_app.test_client().get("/.well-known/jwks.json").get_json()
    kid = jwt.get_unverified_header(alice.token)["kid"]
    assert kid not in {k["kid"] for k in jwks["keys"]}
    for jwk in jwks["keys"]:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(
                alice.token, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience="citycode-api"
            )


def test_rotation_keeps_old_tokens_working_until_grace_ends(own_keys_app):
    alice = ApiClient(own_keys_app).login("alice")
    old_kid = jwt.get_unverified_header(alice.token)["kid"]
    keys = own_keys_app.extensions["citycode.keys"]
    (new_kid,) = keys.rotate(["access"])

    assert alice.get("/api/v1/me").status_code == 200
    bob = ApiClient(own_keys_app).login("bob")
    assert jwt.get_unverified_header(bob.token)["kid"] == new_kid
    assert keys.verifying_key(old_kid, "access").kid == old_kid

    grace = own_keys_app.config["CITYCODE"].key_grace_seconds
    clock.travel(timedelta(seconds=grace + 1))
    assert alice.get("/api/v1/me").status_code == 401
    with pytest.raises(UnknownKey):
        keys.verifying_key(old_kid, "access")


def test_rotate_keys_command_is_seen_by_a_running_app(own_keys_app):
    before = {k["kid"] for k in own_keys_app.extensions["citycode.keys"].jwks()["keys"]}
    result = own_keys_app.test_cli_runner().invoke(args=["rotate-keys", "--purpose", "resident"])
    assert result.exit_code == 0, result.output
    after = {k["kid"] for k in own_keys_app.extensions["citycode.keys"].jwks()["keys"]}
    assert len(after - before) == 1 and before <= after


def test_a_resident_key_cannot_sign_an_access_token(own_keys_app):
    keys = own_keys_app.extensions["citycode.keys"]
    resident = keys.current("resident")
    forged = jwt.encode(
        {
            "sub": "1",
            "iat": int(clock.now().timestamp()),
            "exp": int(clock.now().timestamp()) + 60,
            "aud": "citycode-api",
            "iss": "citycode",
        },
        resident.private_key,
        algorithm="ES256",
        headers={"kid": resident.kid},
    )
    response = own_keys_app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_a_worker_accepts_a_key_another_process_just_rotated_in(tmp_path):
    from backend.keys import KeySet

    signer, verifier = KeySet(tmp_path, 3600), KeySet(tmp_path, 3600)
    signer.ensure()
    first = signer.current("access").kid
    assert verifier.verifying_key(first, "access").kid == first  # loaded, and remembered
    (second,) = signer.rotate(["access"])
    # Well within the second in which the verifier would not look at the manifest again.
    assert verifier.verifying_key(second, "access").kid == second
    with pytest.raises(UnknownKey):
        verifier.verifying_key("access-19700101-000000", "access")
