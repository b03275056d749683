"""What the credential vault refuses, and why.

Every error names the credential it is about but never carries any part of a secret.
"""

from __future__ import annotations

__all__ = [
    "ConcurrentCredentialUpdate",
    "CredentialExists",
    "CredentialNotFound",
    "CredentialTampered",
    "InvalidCredential",
    "MasterKeyError",
    "MasterKeyUnavailable",
    "VaultError",
]


class VaultError(Exception):
    """Base class of every credential vault error."""


class MasterKeyError(VaultError):
    """A master key is missing, malformed or too weak to use."""


class InvalidCredential(VaultError):
    """A credential (or the user or broker naming it) is not acceptable.

    Parameters
    ----------
    message
        What is wrong, for people.
    field
        The offending field (``api_key``, ``broker``, ``user``...), where there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CredentialNotFound(VaultError):
    """No credential is stored for this user at this broker."""

    def __init__(self, user: str, broker: str) -> None:
        super().__init__(f"no credential stored for user {user!r} at broker {broker!r}")
        self.user = user
        self.broker = broker


class CredentialExists(VaultError):
    """A credential is already stored for this user at this broker."""

    def __init__(self, user: str, broker: str) -> None:
        super().__init__(f"a credential is already stored for user {user!r} at broker {broker!r}")
        self.user = user
        self.broker = broker


class ConcurrentCredentialUpdate(VaultError):
    """The credential changed between reading it and writing it back."""

    def __init__(self, user: str, broker: str) -> None:
        super().__init__(
            f"the credential of user {user!r} at broker {broker!r} changed concurrently"
        )
        self.user = user
        self.broker = broker


class CredentialTampered(VaultError):
    """A stored credential failed its integrity check: it was altered, moved or corrupted.

    Nothing of it is returned. ``layer`` says which check failed: ``"data key"`` (the wrapped
    data key, its nonce or the row it is bound to) or ``"payload"`` (the ciphertext or its
    nonce).
    """

    def __init__(self, user: str, broker: str, layer: str) -> None:
        super().__init__(
            f"the stored credential of user {user!r} at broker {broker!r} failed its "
            f"integrity check ({layer}); it was not used"
        )
        self.user = user
        self.broker = broker
        self.layer = layer


class MasterKeyUnavailable(VaultError):
    """A credential is wrapped under a master key this process was not given."""

    def __init__(self, user: str, broker: str, key_id: str) -> None:
        super().__init__(
            f"the credential of user {user!r} at broker {broker!r} is wrapped under master "
            f"key {key_id!r}, which this process does not hold"
        )
        self.user = user
        self.broker = broker
        self.key_id = key_id
