"""A creating request sent again answers what the first one did, not a second record.

A client that lost its answer (a dropped connection, a worker killed mid-request) sends
the request again with the same `Idempotency-Key` header. Within a day the same key and
the same request (method, path and body) get the first answer back, status and body,
marked `Idempotent-Replayed: true`; the same key with another request is a 422.

The key is written in the request's own write transaction (db.first_write), so it
stays only if the request's changes do: a request that failed can be sent again and
runs again. The answer is written once that transaction has committed; in the moment
between, a second request with the key is told the first is still in hand (409). A
worker killed in that moment leaves the request done and its answer unwritten: a minute
on, a second send is told so (409, answer_lost), and makes nothing again.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import timedelta

import peewee as pw
from flask import current_app, request

from backend import auth, clock, db
from backend.db import write_transaction
from backend.errors import Conflict, Invalid
from backend.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
# Longer than any request runs (gunicorn's timeout ends one at 30 s): a key still without
# its answer after this belongs to a request that was carried out and whose worker died
# before the answer was written.
ANSWER_LOST_AFTER = timedelta(minutes=1)
KEY = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, as RFC drafts and Stripe have it
DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": "a key the client makes up for this request: sent again with the same "
    "request within 24 hours, it gets the first answer instead of a second record",
}


def idempotent(view):
    """Make a creating view answer a repeated Idempotency-Key with its first answer."""

    @functools.wraps(view)
    def answered_once(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY.match(key):
            raise Invalid.field(
                HEADER,
                "1 to 64 printable ASCII characters",
                location="headers",
                key="invalid_idempotency_key",
            )
        user_id, digest = auth.caller_id(), _digest()
        earlier = _earlier(user_id, key)
        if earlier is not None:
            return _again(earlier, digest)
        db.first_write.set(functools.partial(_hold, user_id, key, digest))
        try:
            response = current_app.make_response(view(*args, **kwargs))
        finally:
            db.first_write.set(None)
        _remember(user_id, key, response)
        return response

    return answered_once


def _digest() -> str:
    seen = f"{request.method} {request.path}\n".encode() + request.get_data(cache=True)
    return hashlib.sha256(seen).hexdigest()


def _earlier(user_id: int, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.get_or_none(
        (IdempotentRequest.user == user_id)
        & (IdempotentRequest.key == key)
        & (IdempotentRequest.created_at > clock.now() - KEPT)
    )


def _again(earlier: IdempotentRequest, digest: str):
    if earlier.request_sha256 != digest:
        raise Invalid.field(
            HEADER,
            "already used with another request; make a new key",
            location="headers",
            key="idempotency_key_reused",
        )
    if earlier.status is None and earlier.created_at <= clock.now() - ANSWER_LOST_AFTER:
        raise Conflict(
            "the request with this Idempotency-Key was carried out, but its answer was "
            "lost; look for what it made instead of sending it again",
            key="answer_lost",
            errors={"headers": {HEADER: ["answer_lost"]}},
        )
    if earlier.status is None:
        raise Conflict(
            "a request with this Idempotency-Key is still in hand; ask again in a moment",
            key="request_in_hand",
        )
    response = current_app.response_class(
        earlier.body, status=earlier.status, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _hold(user_id: int, key: str, digest: str) -> None:
    """The key, written as the request's first change; a key of a day ago is let go."""
    (
        IdempotentRequest.delete()
        .where(
            (IdempotentRequest.user == user_id)
            & (IdempotentRequest.key == key)
            & (IdempotentRequest.created_at <= clock.now() - KEPT)
        )
        .execute()
    )
    try:
        with db.database.atomic():
            IdempotentRequest.create(user=user_id, key=key, request_sha256=digest)
    except pw.IntegrityError:
        # The same key arrived twice at once: this one waits for nothing and is told so.
        raise Conflict(
            "a request with this Idempotency-Key is still in hand; ask again in a moment",
            key="request_in_hand",
        ) from None


def _remember(user_id: int, key: str, response) -> None:
    # Only an answer comes here: a refusal was raised, and undid the key with the request.
    with write_transaction():
        (
            IdempotentRequest.update(status=response.status_code, body=response.get_data().decode())
            .where((IdempotentRequest.user == user_id) & (IdempotentRequest.key == key))
            .execute()
        )


def purge(now) -> int:
    return IdempotentRequest.delete().where(IdempotentRequest.created_at <= now - KEPT).execute()
