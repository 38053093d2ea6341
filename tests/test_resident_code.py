"""The personal resident code: offline from the JWKS alone, online once, every rejection named."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from backend import clock, create_app, residentcode, tokens
from backend.db import database
from backend.models import CommunityMembership, User
from tests.factories import ApiClient


@pytest.fixture
def gate(config, tmp_path, make):
    """An app, a member, a cadre."""
    app = create_app(config)
    places = make.region_tree()
    make.staff("cadre", "cadre", places["community_a"], name="周敏")
    make.staff("cadre_b", "cadre", places["community_b"], name="吴芳")
    resident = make.user("alice")
    with database.connection_context():
        User.update(display_name="张三").where(User.id == resident.id).execute()
        community = places["community_a"]
        CommunityMembership.create(
            user=resident, community=community, region_path=community.path, status="approved"
        )
    return app


def _code(app, user="alice") -> str:
    body = ApiClient(app).login(user).get("/api/v1/resident/code").get_json()
    return body["code"]


def _verify(app, code, cadre="cadre"):
    response = (
        ApiClient(app).login(cadre).post("/api/v1/admin/resident-codes/verify", json={"code": code})
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_code_has_the_fixed_shape(gate):
    body = ApiClient(gate).login("alice").get("/api/v1/resident/code").get_json()
    assert body["code"].startswith("SQR1:") and body["refresh_in"] == 30
    token = body["code"][5:]
    header = jwt.get_unverified_header(token)
    assert set(header) == {"alg", "kid"} and header["alg"] == "ES256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"sub", "kind", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] == 90 and claims["kind"] == "resident"
    with database.connection_context():
        alice = User.get(User.openid == "oStub_alice")
    assert claims["sub"] not in (alice.openid, alice.phone, str(alice.id))
    # Short enough for version 11 at error correction M: a 16-character random pseudonym
    # (12 bytes) and a 16-hex-digit jti.
    assert len(claims["sub"]) == 16 and alice.pseudonym == claims["sub"]
    assert len(claims["jti"]) == 16 and int(claims["jti"], 16) >= 0


def _verify_offline(app, code) -> dict:
    """What a gate without a network does: the published keys, signature and expiry."""
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    token = code[len("SQR1:") :]
    kid = jwt.get_unverified_header(token)["kid"]
    published = [k for k in jwks["keys"] if k["kid"] == kid]
    if not published:
        raise jwt.InvalidKeyError(f"no published key {kid}")
    return jwt.decode(
        token, jwt.PyJWK(published[0]).key, algorithms=["ES256"], options={"verify_aud": False}
    )


def test_offline_verification_from_the_jwks_alone(gate):
    assert _verify_offline(gate, _code(gate))["kind"] == "resident"


def test_a_login_token_shown_as_a_code_does_not_pass_an_offline_gate(gate):
    # An access token is an ES256 JWS with a kid and an exp too: if its key were
    # published, a gate checking signature and expiry would let it through.
    access_token = ApiClient(gate).login("alice").token
    with pytest.raises(jwt.InvalidKeyError):
        _verify_offline(gate, f"SQR1:{access_token}")


def test_online_verification_shows_masked_name_and_works_once(gate):
    code = _code(gate)
    first = _verify(gate, code)
    assert first == {
        "valid": True,
        "reason": "ok",
        "resident": {"name": "张*", "community": "建业里居委会", "status": "approved"},
    }
    assert _verify(gate, code) == {"valid": False, "reason": "replayed"}


def test_expired_code_is_refused(gate):
    code = _code(gate)
    clock.travel(timedelta(seconds=91))
    assert _verify(gate, code)["reason"] == "expired"


def test_altered_code_is_refused(gate):
    head, body, sig = _code(gate)[5:].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["exp"] += 3600
    assert _verify(gate, f"SQR1:{head}.{_b64(claims)}.{sig}")["reason"] == "bad_signature"


def test_code_signed_with_a_foreign_key_is_refused(gate):
    token = _code(gate)[5:]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(
        claims,
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": jwt.get_unverified_header(token)["kid"], "typ": None},
    )
    assert _verify(gate, f"SQR1:{forged}")["reason"] == "bad_signature"


def test_code_signed_with_another_purposes_key_is_refused(gate):
    token = _code(gate)[5:]
    claims = jwt.decode(token, options={"verify_signature": False})
    access = gate.extensions["citycode.keys"].current("access")
    forged = jwt.encode(
        claims, access.private_key, algorithm="ES256", headers={"kid": access.kid, "typ": None}
    )
    assert _verify(gate, f"SQR1:{forged}")["reason"] == "wrong_key"


def test_unknown_kid_is_refused(gate):
    token = _code(gate)[5:]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(
        claims,
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "resident-19990101-abcdef", "typ": None},
    )
    assert _verify(gate, f"SQR1:{forged}")["reason"] == "unknown_kid"


def test_garbage_is_malformed(gate):
    with gate.app_context():
        checked = residentcode.check_signature("not a resident code")
    assert (checked.ok, checked.reason, checked.claims) == (False, "malformed", None)
    assert _verify(gate, "SQR1:not-a-jws-at-all")["reason"] == "malformed"
    assert _verify(gate, "https://example.com/x")["reason"] == "malformed"


def test_cadre_of_another_community_gets_not_a_member(gate):
    assert _verify(gate, _code(gate), cadre="cadre_b")["reason"] == "not_a_member"


def test_a_resident_who_left_is_refused(gate):
    alice = ApiClient(gate).login("alice")
    membership_id = alice.get("/api/v1/resident/memberships").get_json()[0]["id"]
    alice.delete(f"/api/v1/resident/memberships/{membership_id}")
    assert _verify(gate, _code(gate))["reason"] == "not_a_member"


def test_rotation_keeps_a_code_shown_a_minute_ago_working(gate):
    code = _code(gate)
    clock.travel(timedelta(seconds=60))
    (new_kid,) = gate.extensions["citycode.keys"].rotate(["resident"])
    assert _verify(gate, code)["valid"] is True
    fresh = _code(gate)
    assert jwt.get_unverified_header(fresh[5:])["kid"] == new_kid
    assert _verify(gate, fresh)["valid"] is True


def test_qr_image_decodes_to_a_verifiable_code(gate):
    import io

    alice = ApiClient(gate).login("alice")
    png = alice.get("/api/v1/resident/code.png")
    assert png.status_code == 200 and png.headers["Cache-Control"] == "no-store"
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert result.text.startswith("SQR1:")
    assert result.ec_level == "M"
    assert _verify(gate, result.text)["valid"] is True


def test_two_first_requests_at_once_agree_on_the_residents_pseudonym(gate):
    # Each request loads the account before either has made the pseudonym: the code
    # and its picture, asked for together the first time the app shows the code.
    with gate.app_context(), database.connection_context():
        first_request = User.get(User.openid == "oStub_alice")
        second_request = User.get(User.openid == "oStub_alice")
        assert first_request.pseudonym is None and second_request.pseudonym is None
        shown = residentcode.pseudonym_of(first_request)
        assert residentcode.pseudonym_of(second_request) == shown
        assert User.get(User.openid == "oStub_alice").pseudonym == shown


# -- every variation a gate could be shown, not a few -----------------------------------------
VALID = {"sub": "pseudonym", "kind": "resident", "iat": 0, "exp": 0, "jti": "0123456789abcdef"}


def _signed(claims: dict, key, kid: str, alg: str = "ES256") -> str:
    return "SQR1:" + jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": None})


def _fresh(claims: dict) -> dict:
    now = int(clock.now().timestamp())
    return {**claims, "iat": now, "exp": now + 90}


@given(
    missing=st.sets(st.sampled_from(["exp", "iat", "sub", "jti"]), min_size=1),
    kind=st.one_of(st.none(), st.text(max_size=12).filter(lambda k: k != "resident")),
    expired_by=st.one_of(st.none(), st.integers(0, 10_000)),
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_code_missing_a_claim_of_another_kind_or_expired_is_refused(
    gate, missing, kind, expired_by
):
    with gate.app_context():
        key = tokens.key_set().current("resident")
        claims = _fresh(VALID)
        if kind is not None:
            claims["kind"] = kind
        if expired_by is not None:
            claims["exp"] = int(clock.now().timestamp()) - expired_by
        checked = residentcode.check_signature(_signed(claims, key.private_key, key.kid))
        expected = (
            "wrong_kind" if kind is not None else "expired" if expired_by is not None else "ok"
        )
        assert (checked.ok, checked.reason) == (expected == "ok", expected)
        lacking = {k: v for k, v in claims.items() if k not in missing}
        checked = residentcode.check_signature(_signed(lacking, key.private_key, key.kid))
        assert (checked.ok, checked.reason) == (False, "malformed")


@given(alg=st.sampled_from(["HS256", "HS512", "ES384", "ES512", "RS256"]))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=10)
def test_a_code_under_any_other_algorithm_is_refused(gate, alg):
    with gate.app_context():
        kid = tokens.key_set().current("resident").kid
        if alg.startswith("HS"):
            key = b"a shared secret a forger might guess, at least 64 bytes long for HS512 ok!!"
        elif alg.startswith("RS"):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ec.generate_private_key({"ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg])
        checked = residentcode.check_signature(_signed(_fresh(VALID), key, kid, alg))
        assert (checked.ok, checked.reason) == (False, "wrong_key")


@given(kid=st.text(max_size=40))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_code_under_any_other_key_id_is_refused(gate, kid):
    with gate.app_context():
        key = tokens.key_set().current("resident")
        assume(kid != key.kid)
        checked = residentcode.check_signature(_signed(_fresh(VALID), key.private_key, kid))
        ours = {k.kid for k in tokens.key_set().all_keys()}
        assert (checked.ok, checked.reason) == (
            False,
            "wrong_key" if kid in ours else "unknown_kid",
        )
