"""The signing key set: published at /.well-known/jwks.json, rotated with a grace period."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend import clock, create_app
from backend.keys import KeySet, SigningKey, UnknownKey
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
        assert key["use"] == "sig" and "d" not in key


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


# -- the key set on its own ------------------------------------------------------------------
def test_keys_are_made_where_asked_readable_by_this_service_only(tmp_path):
    directory = tmp_path / "instance" / "secrets" / "keys"
    keys = KeySet(directory, 3600)
    keys.ensure()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    pems = sorted(directory.glob("*.pem"))
    assert len(pems) == 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in pems)
    assert {k.kid.split("-")[0] for k in keys.all_keys()} == {"access", "resident", "proof"}
    for key in keys.all_keys():
        assert re.fullmatch(rf"{key.purpose}-\d{{8}}-[0-9a-f]{{6}}", key.kid), key.kid


def test_ensure_makes_only_the_purposes_that_have_no_active_key(tmp_path):
    keys = KeySet(tmp_path, 3600)
    (access,) = keys.rotate(["access"])
    keys.rotate(["resident"])
    keys.rotate(["resident"])  # the first resident key is retired, not gone
    assert not keys.has_all_purposes()
    keys.ensure()
    assert keys.current("access").kid == access
    assert keys.has_all_purposes()
    assert len([k for k in keys.all_keys() if k.purpose == "resident"]) == 2


def test_a_set_without_a_purpose_says_how_to_make_its_key(tmp_path):
    keys = KeySet(tmp_path / "empty", 3600)
    assert keys.all_keys() == [] and not keys.has_all_purposes()
    with pytest.raises(UnknownKey) as missing:
        keys.current("proof")
    assert str(missing.value) == "no active proof key; run `citycode rotate-keys`"
    with pytest.raises(UnknownKey) as unknown:
        keys.verifying_key("proof-20260101-abcdef", "proof")
    assert str(unknown.value) == "proof-20260101-abcdef"


def test_of_two_active_keys_the_newest_signs(tmp_path):
    """Two operators rotating at once can leave two active keys of one purpose."""
    keys = KeySet(tmp_path, 3600)
    (older,) = keys.rotate(["access"])
    entries = json.loads((tmp_path / "keys.json").read_text())
    clock.travel(timedelta(minutes=1))
    (newer,) = keys.rotate(["access"])
    entries += [e for e in json.loads((tmp_path / "keys.json").read_text()) if e["kid"] == newer]
    entries = [{**e, "retired_at": None} for e in entries]
    (tmp_path / "keys.json").write_text(json.dumps(list(reversed(entries))))
    assert KeySet(tmp_path, 3600).current("access").kid == newer
    (tmp_path / "keys.json").write_text(json.dumps(entries))
    assert KeySet(tmp_path, 3600).current("access").kid == newer != older


def test_a_key_past_its_grace_leaves_the_manifest_and_the_disk_at_the_next_rotation(tmp_path):
    keys = KeySet(tmp_path, 3600)
    first, second, third = (keys.rotate(["proof"])[0] for _ in range(3))
    clock.travel(timedelta(seconds=3601))
    (tmp_path / f"{second}.pem").unlink()  # already gone: the rotation does not mind
    (fourth,) = keys.rotate(["proof"])
    kids = [e["kid"] for e in json.loads((tmp_path / "keys.json").read_text())]
    assert kids == [third, fourth]  # the third retired just now: its grace has begun
    assert not (tmp_path / f"{first}.pem").exists() and (tmp_path / f"{third}.pem").exists()
    with pytest.raises(UnknownKey):
        keys.verifying_key(first, "proof")


def test_a_ticket_secret_is_derived_from_the_key_the_same_way_every_time():
    """HKDF-SHA256 over the key's private scalar, for each label: a ticket signed by one
    worker verifies on every other, and after a restart."""
    private = ec.derive_private_key(20260601, ec.SECP256R1())
    key = SigningKey("proof-1", "proof", clock.now(), None, private)
    expected = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"citycode rating ticket"
    ).derive((20260601).to_bytes(32, "big"))
    assert key.secret("rating ticket") == expected
    assert key.secret("rating ticket") == expected  # and again, from what it kept
    assert key.secret("other label") != expected
    assert key.secret("rating ticket").hex() == (
        "4ad832b2272eb4c1386da0d1860b63b7cd43aca3e43deff27bbff86d9b188513"
    )


def test_a_removed_manifest_stops_every_key_once_a_worker_looks_again(tmp_path):
    """Taking the manifest away (a compromised set, say) ends every key, not only new ones."""
    keys = KeySet(tmp_path, 3600)
    (kid,) = keys.rotate(["access"])
    assert keys.verifying_key(kid, "access").kid == kid
    (tmp_path / "keys.json").unlink()
    with pytest.raises(UnknownKey):
        keys.verifying_key("access-19700101-000000", "access")  # an unknown kid looks at once
    with pytest.raises(UnknownKey):
        keys.verifying_key(kid, "access")
    assert keys.all_keys() == []
