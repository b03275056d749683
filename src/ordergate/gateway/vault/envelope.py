"""Envelope encryption of one credential: the pure core of the vault (no I/O but randomness).

Layers:

1. A fresh 256-bit data key encrypts the secret payload (AES-256-GCM, random 96-bit nonce).
2. The current master key wraps the data key (AES-256-GCM, its own random 96-bit nonce).

Invariants:

- A data key encrypts exactly one payload: every create or update draws a new data key, so
  a (data key, nonce) pair can never repeat. Master-key wraps use random nonces; at the
  NIST bound of 2**32 wraps per master key a collision stays below 2**-32, and rotation
  resets the count.
- Both layers bind the row as associated data: user, broker and record version in each, and
  the wrap also its master key id, the payload also its label, fingerprint and permissions.
  A ciphertext or wrapped key copied to another row, another version or another key id,
  or a row whose bound metadata was edited, fails its tag check: :class:`CredentialTampered`.
- Re-wrapping (rotation) changes only the wrap: the payload nonce and ciphertext are left
  byte for byte as they were, which is why the version cannot change on a re-wrap.
"""

from __future__ import annotations

import hashlib
import os

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ordergate.gateway.vault.errors import CredentialTampered, MasterKeyUnavailable
from ordergate.gateway.vault.keys import Keyring, MasterKey
from ordergate.gateway.vault.models import BrokerSecret, CredentialRow, Permission

__all__ = ["Binding", "Sealed", "binding_of", "fingerprint", "open_row", "rewrap", "seal"]

NONCE_BYTES = 12
DATA_KEY_BITS = 256
_TAG_BYTES = 16
_PAYLOAD_LABEL = "ordergate.credential.payload.v1"
_KEY_LABEL = "ordergate.credential.data-key.v1"
_decoder = msgspec.msgpack.Decoder(BrokerSecret)


class Binding(msgspec.Struct, frozen=True, kw_only=True):
    """What a sealed credential is bound to: the row's identity and its shown metadata."""

    user: str
    broker: str
    version: int
    label: str
    fingerprint: str
    permissions: tuple[Permission, ...]


class Sealed(msgspec.Struct, frozen=True, kw_only=True):
    """The encrypted columns of a credential row."""

    key_id: str
    wrap_nonce: bytes
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


def fingerprint(api_key: str) -> str:
    """Return the first 16 hex digits of SHA-256 of ``api_key`` (never of the secret).

    A plain hash, not a keyed one, so a user can check it against the key they hold
    (``printf %s "$KEY" | sha256sum | cut -c1-16``) and it survives master-key rotation. It
    covers only the key id, which brokers treat as public (it travels in clear headers);
    the signing secret is never hashed anywhere it could be seen.
    """
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _payload_aad(binding: Binding) -> bytes:
    return msgspec.json.encode(
        [
            _PAYLOAD_LABEL,
            binding.user,
            binding.broker,
            binding.version,
            binding.label,
            binding.fingerprint,
            sorted(binding.permissions),
        ]
    )


def _key_aad(user: str, broker: str, version: int, key_id: str) -> bytes:
    return msgspec.json.encode([_KEY_LABEL, user, broker, version, key_id])


def _wrap(master: MasterKey, data_key: bytes, user: str, broker: str, version: int) -> Sealed:
    wrap_nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(master.material).encrypt(
        wrap_nonce, data_key, _key_aad(user, broker, version, master.key_id)
    )
    return Sealed(
        key_id=master.key_id,
        wrap_nonce=wrap_nonce,
        wrapped_key=wrapped,
        nonce=b"",
        ciphertext=b"",
    )


def seal(secret: BrokerSecret, binding: Binding, master: MasterKey) -> Sealed:
    """Encrypt ``secret`` under a new data key, wrapped by ``master``, bound to ``binding``."""
    data_key = AESGCM.generate_key(bit_length=DATA_KEY_BITS)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(
        nonce, msgspec.msgpack.encode(secret), _payload_aad(binding)
    )
    wrap = _wrap(master, data_key, binding.user, binding.broker, binding.version)
    return msgspec.structs.replace(wrap, nonce=nonce, ciphertext=ciphertext)


def binding_of(row: CredentialRow) -> Binding:
    """Return what ``row`` claims to be bound to."""
    return Binding(
        user=row.user,
        broker=row.broker,
        version=row.version,
        label=row.label,
        fingerprint=row.fingerprint,
        permissions=row.permissions,
    )


def _unwrap(row: CredentialRow, keyring: Keyring) -> bytes:
    master = keyring.get(row.key_id)
    if master is None:
        raise MasterKeyUnavailable(row.user, row.broker, row.key_id)
    if len(row.wrap_nonce) != NONCE_BYTES or len(row.wrapped_key) != DATA_KEY_BITS // 8 + 16:
        raise CredentialTampered(row.user, row.broker, "data key")
    try:
        return AESGCM(master.material).decrypt(
            row.wrap_nonce, row.wrapped_key, _key_aad(row.user, row.broker, row.version, row.key_id)
        )
    except InvalidTag:
        raise CredentialTampered(row.user, row.broker, "data key") from None


def open_row(row: CredentialRow, keyring: Keyring) -> BrokerSecret:
    """Decrypt the secret of ``row``.

    Raises
    ------
    MasterKeyUnavailable
        If ``row`` is wrapped under a key ``keyring`` does not hold.
    CredentialTampered
        If either layer fails its tag check, or the payload is not a secret.
    """
    data_key = _unwrap(row, keyring)
    if len(row.nonce) != NONCE_BYTES or len(row.ciphertext) < _TAG_BYTES:
        raise CredentialTampered(row.user, row.broker, "payload")
    try:
        plain = AESGCM(data_key).decrypt(row.nonce, row.ciphertext, _payload_aad(binding_of(row)))
        secret = _decoder.decode(plain)
    except (InvalidTag, msgspec.DecodeError, msgspec.ValidationError):
        raise CredentialTampered(row.user, row.broker, "payload") from None
    if fingerprint(secret.api_key) != row.fingerprint:
        raise CredentialTampered(row.user, row.broker, "payload")
    return secret


def rewrap(row: CredentialRow, keyring: Keyring, master: MasterKey) -> Sealed:
    """Return the columns of ``row`` with its data key wrapped under ``master`` instead.

    The payload nonce and ciphertext are returned unchanged.

    Raises
    ------
    MasterKeyUnavailable, CredentialTampered
        As :func:`open_row`, for the data-key layer.
    """
    data_key = _unwrap(row, keyring)
    wrap = _wrap(master, data_key, row.user, row.broker, row.version)
    return msgspec.structs.replace(wrap, nonce=row.nonce, ciphertext=row.ciphertext)
