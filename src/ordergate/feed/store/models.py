"""What the feed store holds: access tokens and durable subscriptions, and its refusals.

A token is stored as the SHA-256 of its text, never the text: the store can tell a
presented token from the others but cannot give one back. A durable subscription belongs
to one principal (a token's name); its name is unique per owner, so two principals may
both call theirs ``fills`` and neither can learn the other's names (someone else's
subscription is simply not found).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from ordergate.feed.filters import FeedFilter

__all__ = [
    "MAX_ACCOUNT_LENGTH",
    "NAME_PATTERN",
    "RESERVED_TOKEN_NAMES",
    "TOKEN_PREFIX",
    "DurableSubscription",
    "FeedStoreError",
    "InvalidFeedName",
    "PositionBeyondHead",
    "SubscriptionExists",
    "SubscriptionNotFound",
    "TokenExists",
    "TokenInfo",
    "TokenNotFound",
    "check_accounts",
    "check_name",
    "decode_filter",
    "encode_filter",
]

TOKEN_PREFIX = "ogf_"  # noqa: S105 (a public prefix, not a secret)
"""Every feed token starts with it, so a leaked one is recognisable (e.g. by secret scanners)."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Token and subscription names: a letter or digit, then up to 63 of ``A-Za-z0-9._-``."""

RESERVED_TOKEN_NAMES = frozenset({"anyone"})
"""Names a token may not take: ``anyone`` is the open feed's principal, whose durable
subscriptions a token of that name would otherwise share."""

MAX_ACCOUNT_LENGTH = 128


class FeedStoreError(Exception):
    """A refusal of the feed store."""


class InvalidFeedName(FeedStoreError, ValueError):
    """A token or subscription name, or a token's account, that cannot be accepted.

    Attributes
    ----------
    field
        What is wrong: ``"name"`` or ``"accounts"``.
    message
        Why.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class TokenExists(FeedStoreError):
    """A token of that name exists (or existed: revoked names are not reused)."""


class TokenNotFound(FeedStoreError):
    """No token has that name."""


class SubscriptionExists(FeedStoreError):
    """The owner already has a durable subscription of that name."""


class SubscriptionNotFound(FeedStoreError):
    """The owner has no durable subscription of that name."""


class PositionBeyondHead(FeedStoreError, ValueError):
    """A cursor may not be set past the newest event: it would skip events not yet written."""


class TokenInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A token's metadata (never its text or hash).

    Attributes
    ----------
    name
        The token's name, which is also its principal's name.
    accounts
        The accounts it may see; None for every account.
    created_ns
        When it was made, integer nanoseconds.
    revoked_ns
        When it was revoked; None while it is valid.
    """

    name: str
    accounts: frozenset[str] | None
    created_ns: int
    revoked_ns: int | None

    @property
    def revoked(self) -> bool:
        """Return whether the token has been revoked."""
        return self.revoked_ns is not None


class DurableSubscription(msgspec.Struct, frozen=True, kw_only=True):
    """A named subscription whose position is kept by the server.

    Attributes
    ----------
    owner
        The principal it belongs to.
    name
        Its name, unique per owner.
    filter
        The events it delivers (already restricted to the owner's accounts).
    cursor
        The last position acknowledged: delivery resumes after it.
    created_ns
        When it was made, integer nanoseconds.
    updated_ns
        When its cursor last moved (its creation, until the first acknowledgement).
    """

    owner: str
    name: str
    filter: FeedFilter
    cursor: int
    created_ns: int
    updated_ns: int


def check_name(name: str, *, token: bool = False) -> str:
    """Return ``name`` if it is a valid token (``token=True``) or subscription name.

    Raises
    ------
    InvalidFeedName
        If it does not match :data:`NAME_PATTERN`, or a token name is reserved.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidFeedName(
            "name",
            f"name must be 1 to 64 of A-Z a-z 0-9 . _ - starting with a letter or digit, "
            f"not {name[:80]!r}",
        )
    if token and name in RESERVED_TOKEN_NAMES:
        raise InvalidFeedName("name", f"{name!r} is reserved for the open feed")
    return name


def check_accounts(accounts: Iterable[str] | None) -> frozenset[str] | None:
    """Return a token's accounts as a set (None: every account).

    Raises
    ------
    InvalidFeedName
        If there is no account, or one is blank, too long, or holds a comma.
    """
    if accounts is None:
        return None
    chosen = frozenset(accounts)
    if not chosen:
        raise InvalidFeedName("accounts", "give at least one account, or all accounts")
    for account in chosen:
        if not account.strip() or "," in account or len(account) > MAX_ACCOUNT_LENGTH:
            raise InvalidFeedName(
                "accounts",
                f"an account is 1 to {MAX_ACCOUNT_LENGTH} characters with no comma, "
                f"not {account[:80]!r}",
            )
    return chosen


_filter_decoder = msgspec.json.Decoder(FeedFilter)


def encode_filter(filter: FeedFilter) -> str:
    """Return the stored form of ``filter``: JSON, values sorted (equal filters, equal text)."""
    return msgspec.json.encode(filter, order="deterministic").decode()


def decode_filter(text: str) -> FeedFilter:
    """Return the filter stored as ``text`` by :func:`encode_filter`."""
    return _filter_decoder.decode(text)
