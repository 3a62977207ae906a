"""Encryption at rest for sensitive fields, and keyed hashes (blind indexes) for lookup.

Values are stored as ``v1:<key id>:<base64(nonce + AES-GCM ciphertext)>``; the key id
(8 hex digits derived from the key) lets old and new keys coexist during a key rotation
(``carenet manage rotate_field_key``). Values written before key ids, ``v1:<base64>``,
are read with whichever configured key opens them (CARENET_FIELD_KEY, then the keys of
CARENET_FIELD_KEY_OLD). Two sub-keys are derived from CARENET_FIELD_KEY
with HKDF: one encrypts, the other keys the HMAC of the blind index, so the index reveals
nothing without the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
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


def _encryption_key(master: str | None = None) -> bytes:
    return _subkey(master or settings.FIELD_KEY, b"carenet-field-encryption")


def _index_key(master: str | None = None) -> bytes:
    return _subkey(master or settings.FIELD_KEY, b"carenet-blind-index")


@lru_cache(maxsize=8)
def key_id(master: str) -> str:
    """A short public name of a key (8 hex digits), written in front of its ciphertexts."""
    return hmac.new(_subkey(master, b"carenet-key-id"), b"id", hashlib.sha256).hexdigest()[:8]


def keyring() -> list[str]:
    """The keys that may open a value: the current one first, then those being retired."""
    old = getattr(settings, "FIELD_KEYS_OLD", ()) or ()
    return [settings.FIELD_KEY, *(k for k in old if k and k != settings.FIELD_KEY)]


@lru_cache(maxsize=8)
def _aead(master: str) -> AESGCM:
    """One AESGCM object per key, built once: it keeps no state between calls, so it is
    reused for every value (each encryption still draws a fresh nonce)."""
    return AESGCM(_encryption_key(master))


@lru_cache(maxsize=8)
def _token_prefix(master: str) -> str:
    return f"{PREFIX}{key_id(master)}:"


def encrypt(plaintext: str, master: str | None = None) -> str:
    return encrypt_many([plaintext], master)[0]


def encrypt_many(plaintexts: Sequence[str], master: str | None = None) -> list[str]:
    """``encrypt`` of every value (a register's phones and ID numbers): the key is looked
    up once and the nonces are drawn from the system's random source in one call (each
    value still gets its own random 96-bit nonce)."""
    master = master or settings.FIELD_KEY
    seal = _aead(master).encrypt
    prefix = _token_prefix(master)
    nonces = os.urandom(12 * len(plaintexts))
    b64 = binascii.b2a_base64
    out = []
    for at, text in enumerate(plaintexts):
        nonce = nonces[12 * at : 12 * at + 12]
        sealed = nonce + seal(nonce, text.encode("utf-8"), None)
        out.append(prefix + b64(sealed, newline=False).decode("ascii"))
    return out


def token_key_id(token: str) -> str:
    """The key id of a stored value ("" for values written before key ids)."""
    head, sep, _rest = token[len(PREFIX) :].partition(":")
    return head if sep else ""


def decrypt(token: str, keys: list[str] | None = None) -> str:
    if not token.startswith(PREFIX):
        # Written before encryption was configured; read as is.
        return token
    keys = keys or keyring()
    kid = token_key_id(token)
    body = token[len(PREFIX) + len(kid) + 1 :] if kid else token[len(PREFIX) :]
    raw = base64.b64decode(body)
    candidates = [k for k in keys if key_id(k) == kid] if kid else keys
    if not candidates:
        raise ValueError(f"no configured field key has the id {kid!r}")
    for master in candidates[:-1]:
        try:
            return _aead(master).decrypt(raw[:12], raw[12:], None).decode()
        except InvalidTag:
            continue
    return _aead(candidates[-1]).decrypt(raw[:12], raw[12:], None).decode()


def blind_index(value: str, master: str | None = None) -> str:
    """A keyed hash of a normalised value, for equality lookup without decrypting."""
    return blind_indexer(master)(value)


def blind_indexer(master: str | None = None) -> Callable[[str], str]:
    """``blind_index`` with the key looked up once, for many values."""
    inner, outer = _hmac_pads(_index_key(master))

    def index(value: str) -> str:
        """HMAC-SHA256 (RFC 2104) from the key's two padded states, hashed once here:
        three times faster than ``hmac.digest``, which hashes the key again each call."""
        if not value:
            return ""
        state = inner.copy()
        state.update(value.strip().upper().encode("utf-8"))
        result = outer.copy()
        result.update(state.digest())
        return result.hexdigest()

    return index


def _hmac_pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states after HMAC's inner (0x36) and outer (0x5c) padded keys."""
    if len(key) > 64:  # SHA-256's block size
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


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
    # The value's type as the type checker sees it (names read by django-stubs): a dict,
    # though the column, like its base's, is text.
    _pyi_private_set_type: dict[str, Any]  # type: ignore[assignment]
    _pyi_private_get_type: dict[str, Any]  # type: ignore[assignment]

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return json.loads(decrypt(value))

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))


FILE_MAGIC = b"CNF1"


def encrypt_bytes(data: bytes, master: str | None = None) -> bytes:
    """A file's bytes sealed with the field key (AES-GCM): ``CNF1``, the key id (8 ASCII
    bytes), the nonce (12) and the ciphertext with its tag."""
    master = master or settings.FIELD_KEY
    nonce = os.urandom(12)
    return (
        FILE_MAGIC
        + key_id(master).encode("ascii")
        + nonce
        + _aead(master).encrypt(nonce, data, FILE_MAGIC)
    )


def decrypt_bytes(blob: bytes, keys: list[str] | None = None) -> bytes:
    """The bytes ``encrypt_bytes`` sealed; ValueError for anything else."""
    if not blob.startswith(FILE_MAGIC) or len(blob) < 4 + 8 + 12 + 16:
        raise ValueError("not a CareNet encrypted file")
    kid = blob[4:12].decode("ascii", errors="replace")
    for master in keys or keyring():
        if key_id(master) == kid:
            try:
                return _aead(master).decrypt(blob[12:24], blob[24:], FILE_MAGIC)
            except InvalidTag:
                raise ValueError("the encrypted file is damaged") from None
    raise ValueError(f"no configured field key has the id {kid!r}")
