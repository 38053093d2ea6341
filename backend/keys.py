"""The signing key set: ES256 keys by purpose, each with a kid, rotated with a grace period.

Keys live as PEM files beside a manifest in SIGNING_KEYS_DIR, so every worker on
every machine signs and verifies with the same set without a database round trip.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend import clock

ALGORITHM = "ES256"
# Access tokens and resident codes never share a key: a leaked code key must not mint logins.
PURPOSES = ("access", "resident", "proof")
# Only the keys gates need to check resident codes offline. The others verify tokens that
# only this service reads back; published, a gate checking signature and expiry would
# take a resident's own login token shown as a code.
PUBLISHED = ("resident",)
MANIFEST = "keys.json"
# How often a running process looks for keys another process (rotate-keys) wrote. A token
# under a kid it does not know yet makes it look at once, so no worker refuses a new key.
MANIFEST_CHECK_SECONDS = 1.0


class UnknownKey(LookupError):
    """No usable key for a kid (unknown, or retired past its grace period)."""


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
    def __init__(self, directory: str | Path, grace_seconds: int):
        self.directory = Path(directory)
        self.grace = timedelta(seconds=grace_seconds)
        self._lock = threading.Lock()
        self._manifest = str(self.directory / MANIFEST)
        self._loaded_version = None
        self._next_check = 0.0
        self._keys: dict[str, SigningKey] = {}

    # -- reading -----------------------------------------------------------
    def _manifest_path(self) -> Path:
        return self.directory / MANIFEST

    def _refresh(self, now: bool = False) -> None:
        """Reload when another process (the rotate-keys command) changed the manifest.

        Looked at no more than once a second (`now` to look at once): every signature
        and verification asks, and a stat call hands the worker's GIL away.
        """
        checked_at = time.monotonic()
        if not now and checked_at < self._next_check:
            return
        self._next_check = checked_at + MANIFEST_CHECK_SECONDS
        try:
            stat = os.stat(self._manifest)
            # The manifest is replaced, never edited: a new inode even when two writes
            # fall within the file system's clock tick.
            version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            version = None
        if version == self._loaded_version:
            return
        with self._lock:
            self._keys = self._read() if version is not None else {}
            self._loaded_version = version

    def _read(self) -> dict[str, SigningKey]:
        entries = json.loads(self._manifest_path().read_text())
        keys = {}
        for entry in entries:
            pem = (self.directory / f"{entry['kid']}.pem").read_bytes()
            keys[entry["kid"]] = SigningKey(
                kid=entry["kid"],
                purpose=entry["purpose"],
                created_at=datetime.fromisoformat(entry["created_at"]),
                retired_at=datetime.fromisoformat(entry["retired_at"])
                if entry["retired_at"]
                else None,
                private_key=serialization.load_pem_private_key(pem, password=None),
            )
        return keys

    def all_keys(self) -> list[SigningKey]:
        self._refresh()
        return list(self._keys.values())

    def current(self, purpose: str) -> SigningKey:
        active = [k for k in self.all_keys() if k.purpose == purpose and k.retired_at is None]
        if not active:
            raise UnknownKey(f"no active {purpose} key; run `citycode rotate-keys`")
        return max(active, key=lambda k: k.created_at)

    def verifying_key(self, kid: str, purpose: str) -> SigningKey:
        self._refresh()
        key = self._keys.get(kid)
        if key is None:
            self._refresh(now=True)
            key = self._keys.get(kid)
        if key is None or key.purpose != purpose or not key.usable_at(clock.now(), self.grace):
            raise UnknownKey(kid)
        return key

    def jwks(self) -> dict:
        now = clock.now()
        return {
            "keys": [
                k.public_jwk()
                for k in self.all_keys()
                if k.purpose in PUBLISHED and k.usable_at(now, self.grace)
            ]
        }

    def has_all_purposes(self) -> bool:
        active = {k.purpose for k in self.all_keys() if k.retired_at is None}
        return set(PURPOSES) <= active

    # -- writing -----------------------------------------------------------
    def rotate(self, purposes=PURPOSES) -> list[str]:
        """Add a fresh key per purpose and retire the one it replaces; returns new kids."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        now = clock.now()
        entries = self._read_entries()
        new_kids = []
        for purpose in purposes:
            for entry in entries:
                if entry["purpose"] == purpose and entry["retired_at"] is None:
                    entry["retired_at"] = now.isoformat()
            kid = f"{purpose}-{now:%Y%m%d}-{secrets.token_hex(3)}"
            self._write_private_key(kid, ec.generate_private_key(ec.SECP256R1()))
            entries.append(
                {"kid": kid, "purpose": purpose, "created_at": now.isoformat(), "retired_at": None}
            )
            new_kids.append(kid)
        entries = [e for e in entries if not self._expired(e, now)]
        self._write_entries(entries)
        self._next_check = 0.0
        return new_kids

    def ensure(self) -> None:
        """Create keys for any purpose that has none (first start in development)."""
        missing = [
            p
            for p in PURPOSES
            if not any(k.purpose == p and k.retired_at is None for k in self.all_keys())
        ]
        if missing:
            self.rotate(missing)

    def _expired(self, entry: dict, now: datetime) -> bool:
        retired = entry["retired_at"]
        if retired is None or now < datetime.fromisoformat(retired) + self.grace:
            return False
        (self.directory / f"{entry['kid']}.pem").unlink(missing_ok=True)
        return True

    def _read_entries(self) -> list[dict]:
        path = self._manifest_path()
        return json.loads(path.read_text()) if path.exists() else []

    def _write_entries(self, entries: list[dict]) -> None:
        tmp = self._manifest_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(entries, indent=2))
        os.replace(tmp, self._manifest_path())

    def _write_private_key(self, kid: str, key: ec.EllipticCurvePrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = self.directory / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
