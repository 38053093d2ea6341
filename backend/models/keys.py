"""The signing keys every instance shares (backend/keys.py)."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField


class SealedKey(BaseModel):
    """An ES256 key: its private part sealed under the key-encryption key, never stored
    in the clear."""

    kid = pw.CharField(max_length=64, unique=True)
    purpose = pw.CharField(max_length=16)
    created_at = UTCDateTimeField()
    retired_at = UTCDateTimeField(null=True)
    sealed = pw.BlobField()

    class Meta:
        table_name = "signing_key"
