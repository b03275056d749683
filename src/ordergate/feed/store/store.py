"""The feed store: access tokens and durable subscriptions, one SQL text over two backends.

Invariants
----------
- A token's text is returned once, by :meth:`FeedStore.create_token`; only its SHA-256 is
  stored. Token names are unique for ever: a revoked name is not reused, so a new token can
  never inherit an old one's durable subscriptions by accident.
- A durable subscription's cursor only moves forward, and never past the head it is given:
  an acknowledgement at or below the cursor changes nothing (it is a late or repeated one),
  one past the head is refused. The comparison is in the ``UPDATE`` itself, so concurrent
  acknowledgements (several consumers, several gateways on PostgreSQL) cannot move it back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ordergate.clock import Clock, LiveClock
from ordergate.feed.access import Principal
from ordergate.feed.filters import FeedFilter
from ordergate.feed.store.database import Database, DuplicateKey
from ordergate.feed.store.models import (
    TOKEN_PREFIX,
    DurableSubscription,
    PositionBeyondHead,
    SubscriptionExists,
    SubscriptionNotFound,
    TokenExists,
    TokenInfo,
    TokenNotFound,
    check_accounts,
    check_name,
    decode_filter,
    encode_filter,
)
from ordergate.sqldb import DatabaseStore

__all__ = ["FeedStore"]

# What create_token makes: the prefix and 43 URL-safe characters (32 random bytes). Anything
# else is refused before it is hashed or looked up.
_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{20,128}")
_INFO_COLUMNS = "name, accounts, created_ns, revoked_ns"
_SUB_COLUMNS = "owner, name, filter, cursor, created_ns, updated_ns"
_SELECT_SUB = f"SELECT {_SUB_COLUMNS} FROM feed_subscriptions"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _encode_accounts(accounts: frozenset[str] | None) -> str | None:
    return None if accounts is None else msgspec.json.encode(sorted(accounts)).decode()


def _decode_accounts(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(msgspec.json.decode(text, type=list[str]))


def _token(row: Sequence[Any]) -> TokenInfo:
    return TokenInfo(
        name=row[0],
        accounts=_decode_accounts(row[1]),
        created_ns=int(row[2]),
        revoked_ns=None if row[3] is None else int(row[3]),
    )


def _subscription(row: Sequence[Any]) -> DurableSubscription:
    return DurableSubscription(
        owner=row[0],
        name=row[1],
        filter=decode_filter(row[2]),
        cursor=int(row[3]),
        created_ns=int(row[4]),
        updated_ns=int(row[5]),
    )


def _check_position(position: int, head: int) -> None:
    if position < 0:
        raise ValueError(f"a position is a non-negative integer, not {position}")
    if position > head:
        raise PositionBeyondHead(f"position {position} is beyond the head ({head})")


class FeedStore(DatabaseStore):
    """Store the feed's access tokens and durable subscriptions.

    Parameters
    ----------
    database
        The backend (:class:`~ordergate.feed.store.sqlite.SqliteDatabase` or
        :class:`~ordergate.feed.store.postgres.PostgresDatabase`).
    clock
        Tells creation, revocation and acknowledgement times.
    """

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        super().__init__(database)
        self._clock: Clock = clock or LiveClock()

    # -- tokens --------------------------------------------------------------------------

    async def create_token(self, name: str, accounts: Iterable[str] | None) -> str:
        """Make a token for ``accounts`` (None: every account) and return its text, once.

        Raises
        ------
        InvalidFeedName
            If the name or an account is malformed, or the name is reserved.
        TokenExists
            If a token of that name exists or was revoked.
        """
        check_name(name, token=True)
        chosen = check_accounts(accounts)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO feed_tokens (name, token_sha256, accounts, created_ns, "
                    "revoked_ns) VALUES (?, ?, ?, ?, NULL)",
                    name,
                    _digest(token),
                    _encode_accounts(chosen),
                    self._clock.now_ns(),
                )
        except DuplicateKey:
            # Only the name can clash: two random 256-bit tokens do not.
            raise TokenExists(f"a feed token named {name!r} exists or was revoked") from None
        return token

    async def authenticate(self, token: str) -> Principal | None:
        """Return the principal of a valid ``token``; None if it is unknown or revoked."""
        if not _TOKEN.fullmatch(token):
            return None
        digest = _digest(token)
        async with self._db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT name, token_sha256, accounts, revoked_ns FROM feed_tokens "
                "WHERE token_sha256 = ?",
                digest,
            )
        if not rows:
            return None
        name, stored, accounts, revoked_ns = rows[0]
        # The lookup found the row by its digest; compare again in constant time so that
        # whether a token is accepted never depends on how the database compared strings.
        if not hmac.compare_digest(str(stored), digest) or revoked_ns is not None:
            return None
        return Principal(name=name, accounts=_decode_accounts(accounts))

    async def tokens(self) -> list[TokenInfo]:
        """Return every token's metadata (revoked ones too), by name."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(f"SELECT {_INFO_COLUMNS} FROM feed_tokens ORDER BY name")
        return [_token(r) for r in rows]

    async def revoke_token(self, name: str) -> TokenInfo:
        """Revoke the token ``name`` (again: no change) and return its metadata.

        Raises
        ------
        TokenNotFound
            If no token has that name.
        """
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE feed_tokens SET revoked_ns = ? WHERE name = ? AND revoked_ns IS NULL",
                self._clock.now_ns(),
                name,
            )
            rows = await tx.fetch(f"SELECT {_INFO_COLUMNS} FROM feed_tokens WHERE name = ?", name)
        if not rows:
            raise TokenNotFound(f"no feed token is named {name!r}")
        return _token(rows[0])

    # -- durable subscriptions -----------------------------------------------------------

    async def create_subscription(
        self, owner: str, name: str, filter: FeedFilter, cursor: int, *, head: int
    ) -> DurableSubscription:
        """Make ``owner``'s subscription ``name``, delivering after position ``cursor``.

        ``filter`` is stored as given: restrict it to the owner's accounts first. ``cursor``
        is where delivery starts after (0: the start of the log); it may not be beyond
        ``head``, the feed's current head.

        Raises
        ------
        InvalidFeedName
            If ``name`` is malformed.
        ValueError
            If ``cursor`` is negative.
        PositionBeyondHead
            If ``cursor`` is beyond ``head``.
        SubscriptionExists
            If ``owner`` has a subscription of that name.
        """
        check_name(name)
        _check_position(cursor, head)
        now = self._clock.now_ns()
        row = (owner, name, encode_filter(filter), cursor, now, now)
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    f"INSERT INTO feed_subscriptions ({_SUB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    *row,
                )
        except DuplicateKey:
            raise SubscriptionExists(f"a subscription named {name!r} exists") from None
        return _subscription(row)

    async def subscription(self, owner: str, name: str) -> DurableSubscription | None:
        """Return ``owner``'s subscription ``name``, or None."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(f"{_SELECT_SUB} WHERE owner = ? AND name = ?", owner, name)
        return _subscription(rows[0]) if rows else None

    async def subscriptions(self, owner: str) -> list[DurableSubscription]:
        """Return ``owner``'s subscriptions, by name."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(f"{_SELECT_SUB} WHERE owner = ? ORDER BY name", owner)
        return [_subscription(r) for r in rows]

    async def delete_subscription(self, owner: str, name: str) -> bool:
        """Delete ``owner``'s subscription ``name``; False if there was none."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "DELETE FROM feed_subscriptions WHERE owner = ? AND name = ?", owner, name
            )
        return changed == 1

    async def ack(
        self, owner: str, name: str, position: int, *, head: int
    ) -> tuple[DurableSubscription, bool]:
        """Acknowledge every event up to ``position``: move the cursor there if it is ahead.

        Returns
        -------
        tuple
            The subscription as it now is, and whether its cursor moved (False for an
            acknowledgement at or below the cursor, which changes nothing).

        Raises
        ------
        ValueError
            If ``position`` is negative.
        PositionBeyondHead
            If ``position`` is beyond ``head`` (nothing changes).
        SubscriptionNotFound
            If ``owner`` has no subscription of that name.
        """
        _check_position(position, head)
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE feed_subscriptions SET cursor = ?, updated_ns = ? "
                "WHERE owner = ? AND name = ? AND cursor < ?",
                position,
                self._clock.now_ns(),
                owner,
                name,
                position,
            )
            rows = await tx.fetch(f"{_SELECT_SUB} WHERE owner = ? AND name = ?", owner, name)
        if not rows:
            raise SubscriptionNotFound(f"no subscription is named {name!r}")
        return _subscription(rows[0]), changed == 1
