"""The signing key set: kept in the database every instance shares, sealed under the
key-encryption key, published at /.well-known/jwks.json, rotated with a grace period."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend import clock
from backend import keys as keys_module
from backend.db import database
from backend.keys import KeySet, SigningKey, UnknownKey, WrongKeyEncryptionKey
from backend.models import SealedKey
from tests.factories import ApiClient

KEK = bytes(range(32))


@pytest.fixture
def db(app):
    with app.app_context(), database.connection_context():
        yield


def key_set(**options) -> KeySet:
    return KeySet(KEK, 3600, **options)


def test_jwks_publishes_only_the_resident_code_key_without_private_parts(app):
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert [k["kid"].split("-")[0] for k in keys] == ["resident"]
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
        assert key["use"] == "sig" and "d" not in key


def test_login_tokens_are_not_verifiable_from_the_published_keys(app):
    alice = ApiClient(app).login("alice")
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    kid = jwt.get_unverified_header(alice.token)["kid"]
    assert kid not in {k["kid"] for k in jwks["keys"]}
    for jwk in jwks["keys"]:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(
                alice.token, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience="citycode-api"
            )


def test_rotation_keeps_old_tokens_working_until_grace_ends(app):
    alice = ApiClient(app).login("alice")
    old_kid = jwt.get_unverified_header(alice.token)["kid"]
    keys = app.extensions["citycode.keys"]
    with app.app_context(), database.connection_context():
        (new_kid,) = keys.rotate(["access"])

    assert alice.get("/api/v1/me").status_code == 200
    bob = ApiClient(app).login("bob")
    assert jwt.get_unverified_header(bob.token)["kid"] == new_kid
    assert keys.verifying_key(old_kid, "access").kid == old_kid

    grace = app.config["CITYCODE"].key_grace_seconds
    clock.travel(timedelta(seconds=grace + 1))
    assert alice.get("/api/v1/me").status_code == 401
    with pytest.raises(UnknownKey):
        keys.verifying_key(old_kid, "access")


def test_rotate_keys_command_is_seen_by_a_running_app(app):
    before = {k["kid"] for k in app.test_client().get("/.well-known/jwks.json").json["keys"]}
    result = app.test_cli_runner().invoke(args=["rotate-keys", "--purpose", "resident"])
    assert result.exit_code == 0, result.output
    after = {k["kid"] for k in app.test_client().get("/.well-known/jwks.json").json["keys"]}
    assert len(after - before) == 1 and before <= after


def test_a_resident_key_cannot_sign_an_access_token(app):
    with app.app_context(), database.connection_context():
        resident = app.extensions["citycode.keys"].current("resident")
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
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_a_worker_accepts_a_key_another_process_just_rotated_in(db):
    signer, verifier = key_set(make_missing=True), key_set()
    signer.ensure()
    first = signer.current("access").kid
    assert verifier.verifying_key(first, "access").kid == first  # read, and remembered
    (second,) = signer.rotate(["access"])
    # Well within the time in which the verifier would not read the keys again.
    assert verifier.verifying_key(second, "access").kid == second
    with pytest.raises(UnknownKey):
        verifier.verifying_key("access-19700101-000000", "access")


def test_a_rotation_elsewhere_is_signed_with_here_once_the_set_is_read_again(db):
    elsewhere, here = key_set(), key_set(check_seconds=0.3)
    (first,) = elsewhere.rotate(["proof"])
    assert here.current("proof").kid == first
    (second,) = elsewhere.rotate(["proof"])
    assert here.current("proof").kid == first  # read moments ago
    time.sleep(0.35)
    assert here.current("proof").kid == second
    assert keys_module.KEYS_CHECK_SECONDS <= 60  # the promise: every machine within a minute


# -- the key set on its own ------------------------------------------------------------------
def test_keys_are_stored_sealed_and_open_only_under_their_own_kek_and_kid(db):
    keys = key_set(make_missing=True)
    keys.ensure()
    assert {k.kid.split("-")[0] for k in keys.all_keys()} == {"access", "resident", "proof"}
    for key in keys.all_keys():
        assert re.fullmatch(rf"{key.purpose}-\d{{8}}-[0-9a-f]{{6}}", key.kid), key.kid
    access, resident = (SealedKey.get(SealedKey.purpose == p) for p in ("access", "resident"))
    der = keys.current("access").private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    scalar = keys.current("access").private_key.private_numbers().private_value.to_bytes(32, "big")
    assert der not in bytes(access.sealed) and scalar not in bytes(access.sealed)
    with pytest.raises(WrongKeyEncryptionKey, match=r"^(access|resident|proof)-\d{8}-"):
        KeySet(bytes(32), 3600).all_keys()
    # A sealed key moved under another kid does not open.
    SealedKey.update(sealed=access.sealed).where(SealedKey.id == resident.id).execute()
    with pytest.raises(WrongKeyEncryptionKey):
        key_set().all_keys()


def test_ensure_makes_only_the_purposes_that_have_no_active_key(db):
    keys = key_set()
    (access,) = keys.rotate(["access"])
    keys.rotate(["resident"])
    keys.rotate(["resident"])  # the first resident key is retired, not gone
    assert not keys.has_all_purposes()
    keys.ensure()
    assert keys.current("access").kid == access
    assert keys.has_all_purposes()
    assert len([k for k in keys.all_keys() if k.purpose == "resident"]) == 2


def test_a_set_without_a_purpose_says_how_to_make_its_key(db):
    keys = key_set()
    assert keys.all_keys() == [] and not keys.has_all_purposes() and not keys.ready()
    with pytest.raises(UnknownKey) as missing:
        keys.current("proof")
    assert str(missing.value) == "no active proof key; run `citycode rotate-keys`"
    with pytest.raises(UnknownKey) as unknown:
        keys.verifying_key("proof-20260101-abcdef", "proof")
    assert str(unknown.value) == "proof-20260101-abcdef"
    assert keys.all_keys() == []  # nothing made: production is given its keys


def test_development_makes_what_it_lacks_at_first_use(db):
    keys = key_set(make_missing=True)
    assert keys.current("proof").purpose == "proof"
    assert keys.ready() and SealedKey.select().count() == 3


def test_of_two_active_keys_the_newest_signs(db):
    """Two operators rotating at once can leave two active keys of one purpose."""
    keys = key_set()
    (older,) = keys.rotate(["access"])
    clock.travel(timedelta(minutes=1))
    (newer,) = keys.rotate(["access"])
    SealedKey.update(retired_at=None).execute()
    assert key_set().current("access").kid == newer != older


def test_a_key_past_its_grace_leaves_the_table_at_the_next_rotation(db):
    keys = key_set()
    first, second, third = (keys.rotate(["proof"])[0] for _ in range(3))
    clock.travel(timedelta(seconds=3601))
    (fourth,) = keys.rotate(["proof"])
    proof = SealedKey.select().where(SealedKey.purpose == "proof").order_by(SealedKey.id)
    assert [k.kid for k in proof] == [third, fourth]
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


def test_keys_deleted_from_the_table_stop_once_a_worker_looks_again(db):
    """Deleting the keys (a compromised set, say) ends every one, not only new ones."""
    keys = key_set()
    (kid,) = keys.rotate(["access"])
    assert keys.verifying_key(kid, "access").kid == kid
    SealedKey.delete().execute()
    with pytest.raises(UnknownKey):
        keys.verifying_key("access-19700101-000000", "access")  # an unknown kid looks at once
    with pytest.raises(UnknownKey):
        keys.verifying_key(kid, "access")
    assert keys.all_keys() == []


def test_a_key_is_unsealed_once_and_kept_with_its_secrets_until_retired(db):
    keys = key_set()
    (kid,) = keys.rotate(["proof"])
    held = keys.current("proof")
    secret = held.secret("rating ticket")
    keys.rotate(["access"])  # the keys read again: this one unchanged
    assert keys.current("proof") is held
    keys.rotate(["proof"])  # now retired
    retired = keys.verifying_key(kid, "proof")
    assert retired is not held and retired.retired_at is not None
    assert retired.private_key is held.private_key and retired.secret("rating ticket") == secret
    # A process that reads it for the first time now reads it retired.
    assert key_set().verifying_key(kid, "proof").retired_at == retired.retired_at
