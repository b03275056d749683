"""Who may see what: a subscriber's principal and the accounts it is entitled to.

Every subscriber API (WebSocket, SSE, REST, gRPC, FIX drop copy, durable subscriptions)
turns its credentials into a :class:`Principal` and narrows the filter it was asked for with
:meth:`Principal.restrict` before reading anything, so an event of an account the principal
is not entitled to is never delivered, whatever the filter said.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from ordergate.feed.filters import FeedFilter

__all__ = ["ANYONE", "AccessDenied", "Authenticate", "Principal"]


class AccessDenied(PermissionError):
    """The credentials are missing or unknown, or they do not cover what was asked.

    Attributes
    ----------
    status
        The HTTP status it maps to: 401 (no or unknown credentials) or 403 (not entitled).
    message
        What is wrong, naming no secret.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated subscriber.

    Attributes
    ----------
    name
        Who it is (a token's name, a FIX session's SenderCompID).
    accounts
        The accounts it may see; None for every account.
    """

    name: str
    accounts: frozenset[str] | None

    def __post_init__(self) -> None:
        # An empty set would read as "no account filter", i.e. every account.
        if self.accounts is not None and not self.accounts:
            raise ValueError(f"principal {self.name!r} must be entitled to at least one account")

    def allows(self, account: str | None) -> bool:
        """Return whether an event of ``account`` may be shown to this principal."""
        return self.accounts is None or (account is not None and account in self.accounts)

    def restrict(self, filter: FeedFilter) -> FeedFilter:
        """Return ``filter`` limited to this principal's accounts.

        A filter naming no account is narrowed to the entitled ones; one naming accounts
        must name only entitled ones.

        Raises
        ------
        AccessDenied
            (403) If the filter names an account this principal may not see.
        """
        if self.accounts is None:
            return filter
        if not filter.accounts:
            return msgspec.structs.replace(filter, accounts=self.accounts)
        refused = sorted(filter.accounts - self.accounts)
        if refused:
            raise AccessDenied(
                403, f"{self.name} is not entitled to account {', '.join(map(repr, refused))}"
            )
        return filter


ANYONE = Principal(name="anyone", accounts=None)
"""The principal of an open feed (no credentials required): every account."""

Authenticate = Callable[[str | None], Awaitable[Principal]]
"""Turns a token (None when the caller gave none) into a principal, or raises AccessDenied."""
