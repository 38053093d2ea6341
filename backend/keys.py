"""The signing key set: ES256 keys by purpose, each with a kid, rotated with a grace period.

The keys live in the database every instance shares (`SealedKey`), so every worker on
every machine signs and verifies with the same set, and no machine makes keys of its
own. Their private parts are sealed under the key-encryption key from configuration
(KEY_ENCRYPTION_KEY, 32 bytes): AES-256-GCM (the `cryptography` library's AESGCM), a
fresh 96-bit nonce for each key and its kid as the associated data, so a database dump
gives no key and a sealed key cannot be passed off under another kid.

Each process keeps the set in memory and reads the table again every KEYS_CHECK_SECONDS,
so a rotation on one machine is used by all within that; and at once (at most once a
second) when a token names a kid it does not know. While the database is away the set it
last read goes on serving.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt
import peewee as pw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from playhouse.pool import MaxConnectionsExceeded

from backend import clock
from backend.db import write_transaction
from backend.models import SealedKey

ALGORITHM = "ES256"
# Access tokens and resident codes never share a key: a leaked code key must not mint logins.
PURPOSES = ("access", "resident", "proof")
# Only the keys gates need to check resident codes offline. The others verify tokens that
# only this service reads back; published, a gate checking signature and expiry would
# take a resident's own login token shown as a code.
PUBLISHED = ("resident",)
# How often a running process reads the keys again, for those another process (rotate-keys,
# on any machine) wrote or retired. A token under a kid it does not know makes it look at
# once, no more than once in UNKNOWN_CHECK_SECONDS, so no worker refuses a new key.
KEYS_CHECK_SECONDS = 10.0
UNKNOWN_CHECK_SECONDS = 1.0
NONCE_BYTES = 12
KEK_BYTES = 32

log = logging.getLogger(__name__)


class UnknownKey(LookupError):
    """No usable key for a kid (unknown, or retired past its grace period)."""


class WrongKeyEncryptionKey(Exception):
    """A sealed key did not open: KEY_ENCRYPTION_KEY is not the one it was sealed under."""


def seal(kek: bytes, kid: str, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, der, kid.encode())


def unseal(kek: bytes, kid: str, sealed: bytes) -> ec.EllipticCurvePrivateKey:
    sealed = bytes(sealed)
    try:
        der = AESGCM(kek).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], kid.encode())
    except InvalidTag:
        raise WrongKeyEncryptionKey(kid) from None
    return serialization.load_der_private_key(der, password=None)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    purpose: str
    created_at: datetime
    retired_at: datetime | None
    private_key: ec.EllipticCurvePrivateKey
    _secrets: dict = field(default_factory=dict, compare=False, repr=False)

    def usable_at(self, when: datetime, grace: timedelta) -> bool:
        return self.retired_at is None or when < self.retired_at + grace

    def secret(self, label: str) -> bytes:
        """A symmetric key derived from this one for `label` (HKDF-SHA256).

        For tokens that only this service reads back: an HMAC over them costs a small
        fraction of an ES256 signature, and the secret rotates and retires with its key.
        """
        derived = self._secrets.get(label)
        if derived is None:
            scalar = self.private_key.private_numbers().private_value.to_bytes(32, "big")
            derived = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=f"citycode {label}".encode()
            ).derive(scalar)
            self._secrets[label] = derived
        return derived

    def public_jwk(self) -> dict:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, alg=ALGORITHM, use="sig")
        return jwk


class KeySet:
    """The keys, as this process last read them. `make_missing`: development, where the
    first use makes a key for any purpose that has none; production is given its keys
    (`citycode rotate-keys`)."""

    def __init__(
        self,
        kek: bytes,
        grace_seconds: int,
        *,
        make_missing: bool = False,
        check_seconds: float = KEYS_CHECK_SECONDS,
    ):
        self._kek = kek
        self.grace = timedelta(seconds=grace_seconds)
        self.make_missing = make_missing
        self.check_seconds = check_seconds
        self._next_check = 0.0
        self._next_unknown_check = 0.0
        self._keys: dict[str, SigningKey] = {}

    # -- reading -----------------------------------------------------------
    def _refresh(self, unknown: bool = False) -> None:
        """Read the table again when it is time, or (`unknown`) for a kid not known yet.

        Looked at no more often: every signature and verification asks."""
        checked_at = time.monotonic()
        if unknown:
            if checked_at < self._next_unknown_check:
                return
            self._next_unknown_check = checked_at + UNKNOWN_CHECK_SECONDS
        elif checked_at < self._next_check:
            return
        self._next_check = checked_at + self.check_seconds
        try:
            records = list(SealedKey.select())
        except (pw.OperationalError, pw.InterfaceError, MaxConnectionsExceeded):
            log.warning("signing keys not read; using the set read last", exc_info=True)
            return
        self._keys = {record.kid: self._opened(record) for record in records}

    def _opened(self, record: SealedKey) -> SigningKey:
        """The key as this process holds it: unsealed once, and kept (with the secrets
        derived from it) until it is retired."""
        known = self._keys.get(record.kid)
        if known is None:
            return SigningKey(
                kid=record.kid,
                purpose=record.purpose,
                created_at=record.created_at,
                retired_at=record.retired_at,
                private_key=unseal(self._kek, record.kid, record.sealed),
            )
        if known.retired_at != record.retired_at:
            return dataclasses.replace(known, retired_at=record.retired_at)
        return known

    def _reread(self) -> None:
        self._next_check = self._next_unknown_check = 0.0
        self._refresh()

    def all_keys(self) -> list[SigningKey]:
        self._refresh()
        return list(self._keys.values())

    def current(self, purpose: str) -> SigningKey:
        active = self._active(purpose)
        if not active and self.make_missing:
            self.ensure()
            active = self._active(purpose)
        if not active:
            raise UnknownKey(f"no active {purpose} key; run `citycode rotate-keys`")
        return max(active, key=lambda k: k.created_at)

    def _active(self, purpose: str) -> list[SigningKey]:
        return [k for k in self.all_keys() if k.purpose == purpose and k.retired_at is None]

    def verifying_key(self, kid: str, purpose: str) -> SigningKey:
        self._refresh()
        key = self._keys.get(kid)
        if key is None:
            self._refresh(unknown=True)
            key = self._keys.get(kid)
        if key is None or key.purpose != purpose or not key.usable_at(clock.now(), self.grace):
            raise UnknownKey(kid)
        return key

    def jwks(self) -> dict:
        now = clock.now()
        if self.make_missing:
            self.ensure()
        return {
            "keys": [
                k.public_jwk()
                for k in self.all_keys()
                if k.purpose in PUBLISHED and k.usable_at(now, self.grace)
            ]
        }

    def ready(self) -> bool:
        """Whether every purpose has a key to sign with (development makes them now)."""
        if self.make_missing:
            self.ensure()
        return self.has_all_purposes()

    def has_all_purposes(self) -> bool:
        active = {k.purpose for k in self.all_keys() if k.retired_at is None}
        return set(PURPOSES) <= active

    # -- writing -----------------------------------------------------------
    def rotate(self, purposes=PURPOSES) -> list[str]:
        """Add a fresh key per purpose and retire the one it replaces; returns new kids.
        Keys retired longer ago than the grace period are deleted."""
        now = clock.now()
        new_kids = []
        with write_transaction():
            for purpose in purposes:
                SealedKey.update(retired_at=now).where(
                    (SealedKey.purpose == purpose) & SealedKey.retired_at.is_null()
                ).execute()
                kid = f"{purpose}-{now:%Y%m%d}-{secrets.token_hex(3)}"
                private_key = ec.generate_private_key(ec.SECP256R1())
                SealedKey.create(
                    kid=kid,
                    purpose=purpose,
                    created_at=now,
                    sealed=seal(self._kek, kid, private_key),
                )
                new_kids.append(kid)
            SealedKey.delete().where(SealedKey.retired_at < now - self.grace).execute()
        self._reread()
        return new_kids

    def ensure(self) -> None:
        """Make a key for any purpose that has none (development's first use)."""
        self._refresh()
        missing = [
            p
            for p in PURPOSES
            if not any(k.purpose == p and k.retired_at is None for k in self._keys.values())
        ]
        if missing:
            self.rotate(missing)
