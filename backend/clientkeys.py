"""Keys for the systems that call us without a person signing in: a camera posting the
events it detects, an Open311 client posting requests. A key is random (256 bits), shown
once when made, and kept only as its SHA-256, so a copy of the database gives no key
away; a revoked key stops working at once."""

from __future__ import annotations

import hashlib
import secrets

from backend import clock
from backend.db import write_transaction
from backend.errors import Conflict, NotFound
from backend.models import ClientKey, Region

PREFIXES = {"device": "dev_", "open311": "o311_"}


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(kind: str, name: str, region_code: str) -> tuple[ClientKey, str]:
    """A new key for `name`, speaking for the region `region_code`: the row, and the key
    itself, which nothing keeps."""
    with write_transaction():
        region = Region.get_or_none(Region.code == region_code)
        if region is None:
            raise NotFound("region not found", key="region_not_found")
        if ClientKey.select().where((ClientKey.kind == kind) & (ClientKey.name == name)).exists():
            raise Conflict("a key with this name exists", key="client_key_exists")
        key = PREFIXES[kind] + secrets.token_urlsafe(32)
        row = ClientKey.create(kind=kind, name=name, region=region, key_hash=_digest(key))
    return row, key


def revoke(kind: str, name: str) -> ClientKey:
    with write_transaction():
        row = ClientKey.get_or_none((ClientKey.kind == kind) & (ClientKey.name == name))
        if row is None:
            raise NotFound("no such key", key="client_key_not_found")
        if row.revoked_at is None:
            row.revoked_at = clock.now()
            row.save()
    return row


def holder(kind: str, key: str | None) -> ClientKey | None:
    """The live key's row, or None for a missing, unknown, other-kind or revoked key."""
    if not key or not key.startswith(PREFIXES[kind]):
        return None
    return (
        ClientKey.select(ClientKey, Region)
        .join(Region)
        .where(
            (ClientKey.key_hash == _digest(key))
            & (ClientKey.kind == kind)
            & ClientKey.revoked_at.is_null()
        )
        .first()
    )
