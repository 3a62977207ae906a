"""Encryption at rest for sensitive fields, and keyed hashes (blind indexes) for lookup.

Values are stored as ``v1:<base64(nonce + AES-GCM ciphertext)>``; the version prefix lets
a key rotation re-encrypt rows key by key. Two sub-keys are derived from CARENET_FIELD_KEY
with HKDF: one encrypts, the other keys the HMAC of the blind index, so the index reveals
nothing without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "v1:"


@lru_cache(maxsize=4)
def _subkey(master: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        master.encode("utf-8")
    )


def _encryption_key() -> bytes:
    return _subkey(settings.FIELD_KEY, b"carenet-field-encryption")


def _index_key() -> bytes:
    return _subkey(settings.FIELD_KEY, b"carenet-blind-index")


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_encryption_key()).encrypt(nonce, plaintext.encode("utf-8"), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        # Written before encryption was configured; read as is.
        return token
    raw = base64.b64decode(token[len(PREFIX) :])
    return AESGCM(_encryption_key()).decrypt(raw[:12], raw[12:], None).decode("utf-8")


def blind_index(value: str) -> str:
    """A keyed hash of a normalised value, for equality lookup without decrypting."""
    if not value:
        return ""
    normalised = value.strip().upper()
    return hmac.new(_index_key(), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """A text value encrypted at rest. Empty values stay empty (nothing to hide)."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class EncryptedJSONField(EncryptedCharField):
    """A JSON object encrypted at rest (as the text of its JSON). Empty means ``{}``."""

    description = "Encrypted JSON"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return json.loads(decrypt(value))

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))
