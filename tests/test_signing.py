"""tokens.py: every kind of token is signed under its own purpose's keys and read back
only as that kind; anything else is refused with the reason a gate or a log reports."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from backend import tokens


@pytest.fixture
def signing(app):
    with app.app_context():
        yield


def _tampered(token: str) -> str:
    head, body, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    return f"{head}.{body}.{flipped}{signature[1:]}"


def test_a_token_reads_back_under_its_own_purpose_only(signing):
    token = tokens.sign("proof", {"sub": "staff:1", "exp": 2_000_000_000})
    assert tokens.verify("proof", token).claims == {"sub": "staff:1", "exp": 2_000_000_000}
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify("access", token)
    assert refused.value.reason == "wrong_key"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("not.a.token", "malformed"),
        ("eyJhbGciOiJub25lIiwia2lkIjoieCJ9.e30.", "wrong_key"),  # alg none
    ],
)
def test_what_is_not_a_token_of_ours_is_refused_with_its_reason(signing, token, reason):
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify("proof", token)
    assert refused.value.reason == reason


def test_a_changed_signature_or_a_missing_claim_is_refused(signing):
    token = tokens.sign("proof", {"sub": "staff:1", "exp": 2_000_000_000})
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify("proof", _tampered(token))
    assert refused.value.reason == "bad_signature"
    without_expiry = tokens.sign("proof", {"sub": "staff:1"})
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify("proof", without_expiry)
    assert refused.value.reason == "malformed"


def test_a_key_id_we_never_had_is_unknown(signing):
    token = tokens.sign("proof", {"sub": "staff:1", "exp": 2_000_000_000})
    head = tokens._b64url(b'{"alg":"ES256","kid":"proof-19700101-000000","typ":"JWT"}')
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify("proof", f"{head}.{token.split('.', 1)[1]}")
    assert refused.value.reason == "unknown_kid"


def test_a_ticket_reads_back_only_for_its_label_and_audience(signing):
    claims = {"aud": "citycode-rating", "sub": "user:7", "exp": 2_000_000_000}
    ticket = tokens.sign_ticket("proof", "rating ticket", claims)
    assert tokens.verify_ticket("proof", "rating ticket", ticket, audience="citycode-rating") == (
        claims
    )
    for label, audience, reason in (
        ("another label", "citycode-rating", "bad_signature"),
        ("rating ticket", "citycode-other", "malformed"),
    ):
        with pytest.raises(tokens.Refused) as refused:
            tokens.verify_ticket("proof", label, ticket, audience=audience)
        assert refused.value.reason == reason
    for broken in ("garbage", _tampered(ticket)):
        with pytest.raises(tokens.Refused):
            tokens.verify_ticket("proof", "rating ticket", broken, audience="citycode-rating")


def test_a_token_is_compact_serialised_without_padding_and_names_its_type(signing):
    """RFC 7515's compact form: base64url without '=' in every part, which strict JOSE
    libraries in a mini-program or a gate insist on."""
    claims = {"sub": "user:1", "exp": 2_000_000_000, "name": "王"}
    for token in (
        tokens.sign("proof", claims),
        tokens.sign("proof", {**claims, "x": "a"}, typ=False),
        tokens.sign_ticket("proof", "rating ticket", claims),
        tokens.sign_ticket("proof", "rating ticket", {**claims, "x": "ab"}),
    ):
        assert "=" not in token and token.count(".") == 2
    assert jwt.get_unverified_header(tokens.sign("proof", claims))["typ"] == "JWT"
    assert "typ" not in jwt.get_unverified_header(tokens.sign("proof", claims, typ=False))


def test_expiry_is_left_to_each_kinds_rule_and_our_clock(signing):
    """A token the real time calls expired, or not yet issued, is still read back: each
    kind checks its times against backend.clock, which tests move."""
    now = int(datetime.now(UTC).timestamp())
    stale = {"aud": "citycode-rating", "sub": "user:1", "iat": now + 3600, "exp": now - 3600}
    assert (
        tokens.verify("proof", tokens.sign("proof", stale), audience="citycode-rating").claims
        == stale
    )
    ticket = tokens.sign_ticket("proof", "rating ticket", stale)
    assert (
        tokens.verify_ticket("proof", "rating ticket", ticket, audience="citycode-rating") == stale
    )


def test_an_issuer_asked_for_is_checked(signing):
    token = tokens.sign("proof", {"iss": "someone-else", "exp": 2_000_000_000})
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify("proof", token, issuer="citycode")
    assert refused.value.reason == "malformed"
    assert tokens.verify("proof", token, issuer="someone-else").claims["iss"] == "someone-else"


def test_garbage_for_a_ticket_is_malformed_and_says_so(signing):
    with pytest.raises(tokens.Refused) as refused:
        tokens.verify_ticket("proof", "rating ticket", "garbage", audience="citycode-rating")
    assert (refused.value.reason, str(refused.value)) == ("malformed", "malformed")
