"""tokens.py: every kind of token is signed under its own purpose's keys and read back
only as that kind; anything else is refused with the reason a gate or a log reports."""

from __future__ import annotations

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
