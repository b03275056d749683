"""The vault's value types: the secret itself, the stored row, its public metadata, the audit.

``BrokerSecret`` is the only type that holds secret material, and its ``repr`` hides it so a
log line or a traceback cannot leak it. Everything else is safe to show.
"""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec

from ordergate.gateway.vault.errors import InvalidCredential

__all__ = [
    "MAX_SECRET_LENGTH",
    "AuditAction",
    "AuditEntry",
    "BrokerSecret",
    "CheckResult",
    "CredentialInfo",
    "CredentialRow",
    "CredentialStatus",
    "Permission",
    "check_broker",
    "check_secret",
    "check_user",
]

MAX_SECRET_LENGTH = 8192  # room for a PEM private key (Coinbase CDP, FIX over TLS client keys)
MAX_EXTRA_FIELDS = 16
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
_BROKER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # a venue name, as the OMS routes to
_EXTRA_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class Permission(StrEnum):
    """What a key may do at its broker, as the user declares it."""

    READ = "read"
    TRADE = "trade"
    WITHDRAW = "withdraw"


class CredentialStatus(StrEnum):
    """What the platform last learned about a stored credential."""

    UNTESTED = "untested"
    VERIFIED = "verified"  # the broker accepted it at the last test
    REJECTED = "rejected"  # the broker refused it at the last test
    TAMPERED = "tampered"  # it failed its integrity check; store it again


class BrokerSecret(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What an adapter needs to log on to a broker. Secret: never log, return or store it.

    Parameters
    ----------
    api_key
        The key id (Alpaca ``APCA-API-KEY-ID``, Binance ``X-MBX-APIKEY``).
    api_secret
        The signing secret (or a PEM private key).
    passphrase
        The extra passphrase some exchanges ask for (Coinbase, OKX, KuCoin).
    extra
        Any further broker-specific fields (``uid``, ``account_id``), all kept secret.
    """

    api_key: str
    api_secret: str
    passphrase: str | None = None
    extra: dict[str, str] = msgspec.field(default_factory=dict)

    def __repr__(self) -> str:
        return "BrokerSecret(<redacted>)"


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a broker said when the platform tried a credential."""

    ok: bool
    message: str = ""


class CredentialRow(msgspec.Struct, frozen=True, kw_only=True):
    """One stored credential, exactly as the store holds it (encrypted)."""

    user: str
    broker: str
    label: str
    status: CredentialStatus
    key_id: str
    wrap_nonce: bytes
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes
    fingerprint: str
    permissions: tuple[Permission, ...]
    created_ns: int
    updated_ns: int
    last_used_ns: int | None
    version: int

    def info(self) -> CredentialInfo:
        """Return the metadata of this row, which is safe to show."""
        return CredentialInfo(
            user=self.user,
            broker=self.broker,
            label=self.label,
            status=self.status,
            fingerprint=self.fingerprint,
            permissions=self.permissions,
            key_id=self.key_id,
            created_ns=self.created_ns,
            updated_ns=self.updated_ns,
            last_used_ns=self.last_used_ns,
            version=self.version,
        )


class CredentialInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The public metadata of a credential: no secret, nothing to derive one from."""

    user: str
    broker: str
    label: str
    status: CredentialStatus
    fingerprint: str
    permissions: tuple[Permission, ...]
    key_id: str
    created_ns: int
    updated_ns: int
    last_used_ns: int | None
    version: int


class AuditAction(StrEnum):
    """What happened to a credential."""

    CREATED = "created"
    READ = "read"
    UPDATED = "updated"
    DELETED = "deleted"
    TESTED = "tested"
    ROTATED = "rotated"
    FAILED_DECRYPT = "failed-decrypt"


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the append-only credential audit log (never any secret).

    ``broker`` is None for an action on all of a user's credentials (a listing); ``seq`` is
    assigned by the store (0 before it is stored).
    """

    ts_ns: int
    actor: str
    user: str
    broker: str | None
    action: AuditAction
    version: int | None = None
    key_id: str | None = None
    detail: str = ""
    seq: int = 0


def check_user(user: str) -> str:
    """Return ``user`` if it is a valid user id, else raise :class:`InvalidCredential`."""
    if not _USER.fullmatch(user):
        raise InvalidCredential(
            "a user id is 1 to 128 letters, digits or . _ @ + -, starting alphanumeric", "user"
        )
    return user


def check_broker(broker: str) -> str:
    """Return ``broker`` if it is a well-formed broker name, else raise InvalidCredential."""
    if not _BROKER.fullmatch(broker):
        raise InvalidCredential("a broker name is 1 to 64 letters, digits or _ . -", "broker")
    return broker


def check_secret(secret: BrokerSecret) -> BrokerSecret:
    """Return ``secret`` if every field is present and in bounds, else raise InvalidCredential.

    The messages name the field, never its value.
    """
    for name, value in (("api_key", secret.api_key), ("api_secret", secret.api_secret)):
        if not value.strip():
            raise InvalidCredential(f"{name} must not be empty", name)
        if len(value) > MAX_SECRET_LENGTH:
            raise InvalidCredential(f"{name} is longer than {MAX_SECRET_LENGTH}", name)
    if secret.api_key != secret.api_key.strip():
        raise InvalidCredential("api_key must not start or end with white space", "api_key")
    if secret.passphrase is not None:
        if not secret.passphrase.strip():
            raise InvalidCredential("passphrase, when given, must not be empty", "passphrase")
        if len(secret.passphrase) > MAX_SECRET_LENGTH:
            raise InvalidCredential(f"passphrase is longer than {MAX_SECRET_LENGTH}", "passphrase")
    if len(secret.extra) > MAX_EXTRA_FIELDS:
        raise InvalidCredential(f"extra holds at most {MAX_EXTRA_FIELDS} fields", "extra")
    for name, value in secret.extra.items():
        if not _EXTRA_NAME.fullmatch(name):
            raise InvalidCredential(
                "extra field names are lowercase letters, digits and _", f"extra.{name[:64]}"
            )
        if not value.strip() or len(value) > MAX_SECRET_LENGTH:
            raise InvalidCredential(
                f"extra.{name} must be 1 to {MAX_SECRET_LENGTH} characters", f"extra.{name}"
            )
    return secret
