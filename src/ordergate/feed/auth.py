"""Turning a subscriber's credentials into a :class:`~ordergate.feed.access.Principal`.

A feed token travels as ``Authorization: Bearer ogf_...`` or, for clients that cannot set
headers (a browser's ``EventSource``, most WebSocket APIs), as the ``token`` query
parameter. A query parameter ends up in access logs and browser history, so prefer the
header wherever the client allows it.

Two modes (``ORDERGATE_FEED_AUTH``):

- ``open``: a request without a token is :data:`~ordergate.feed.access.ANYONE` (every
  account). A request *with* a token is still checked, so a restricted token stays
  restricted and a revoked or mistyped one is refused rather than silently widened.
- ``token``: every request needs a valid token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, Protocol, get_args

from ordergate.feed.access import ANYONE, AccessDenied, Principal

__all__ = [
    "AUTH_MODES",
    "TOKEN_QUERY_PARAMETER",
    "AuthMode",
    "FeedAuthenticator",
    "TokenVerifier",
    "bearer_token",
    "request_token",
]

AuthMode = Literal["open", "token"]
AUTH_MODES: Final[frozenset[str]] = frozenset(get_args(AuthMode))
TOKEN_QUERY_PARAMETER: Final = "token"  # noqa: S105 (a parameter name, not a secret)


class TokenVerifier(Protocol):
    """What checks a token: the feed store (:class:`~ordergate.feed.store.FeedStore`)."""

    async def authenticate(self, token: str) -> Principal | None:
        """Return the principal of a valid ``token``; None if it is unknown or revoked."""
        ...


class FeedAuthenticator:
    """Authenticate feed subscribers: ``principal = await authenticate(token)``.

    Parameters
    ----------
    store
        Checks tokens.
    mode
        ``"open"`` or ``"token"`` (see the module docstring).

    Raises
    ------
    ValueError
        If ``mode`` is neither.
    """

    def __init__(self, store: TokenVerifier, mode: str) -> None:
        if mode not in AUTH_MODES:
            raise ValueError(f"feed auth mode must be 'open' or 'token', not {mode!r}")
        self.store = store
        self.mode = mode

    async def __call__(self, token: str | None) -> Principal:
        """Return the principal of ``token`` (None: no token was given).

        Raises
        ------
        AccessDenied
            (401) If a token was given and is unknown or revoked, or none was given and
            the mode is ``"token"``.
        """
        if token is None:
            if self.mode == "open":
                return ANYONE
            raise AccessDenied(401, "a feed token is required: send Authorization: Bearer <token>")
        principal = await self.store.authenticate(token)
        if principal is None:
            raise AccessDenied(401, "the feed token is unknown or revoked")
        return principal


def bearer_token(authorization: str | None) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` value.

    Another scheme (e.g. ``Basic``, for a proxy in front) is not the feed's and gives None.

    Raises
    ------
    AccessDenied
        (401) If the scheme is Bearer but no token follows it.
    """
    if authorization is None:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = credentials.strip()
    if not token:
        raise AccessDenied(401, "Authorization: Bearer needs a token after it")
    return token


def request_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """Return the token of a request: the Bearer header, else the ``token`` query parameter.

    Parameters
    ----------
    headers
        The request headers (case-insensitive, as Starlette's are).
    query
        The query parameters.

    Raises
    ------
    AccessDenied
        (401) If the header is a malformed Bearer one, the query parameter is empty, or
        both are given and differ.
    """
    from_header = bearer_token(headers.get("authorization"))
    from_query = query.get(TOKEN_QUERY_PARAMETER)
    if from_query is not None and not from_query.strip():
        raise AccessDenied(401, f"the {TOKEN_QUERY_PARAMETER} query parameter is empty")
    if from_header is not None and from_query is not None and from_header != from_query:
        raise AccessDenied(401, "two different feed tokens were given; send one")
    return from_header if from_header is not None else from_query
