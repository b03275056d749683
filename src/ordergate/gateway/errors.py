"""One small taxonomy for every error a venue can give.

Each adapter maps its venue's own error codes (HTTP status, Binance ``code``, Alpaca
``code``, FIX Reject reasons) onto :class:`VenueErrorKind` in one explicit function, never
by matching message text. What the OMS and the connection manager do next depends only on
the kind:

- ``REJECTED``: the venue refused this request; it changed nothing there. Report it.
- ``RETRYABLE``: the venue did not act on it (overloaded, maintenance); send it again later.
- ``UNKNOWN_OUTCOME``: the request may or may not have reached the venue (a timeout, a
  dropped connection, a 5xx after the body was sent). Never resend blindly: ask the venue
  about the order by its client order id first.
- ``AUTH``: the credentials are wrong, expired or lack a permission. Stop and tell.
- ``RATE_LIMITED``: the venue asks us to slow down (HTTP 429/418, Retry-After).

The kind is a domain value (it travels on execution reports as ``error_kind``), so it is
defined in :mod:`ordergate.domain.reports` and named here too.
"""

from __future__ import annotations

from ordergate.domain.reports import VenueErrorKind

__all__ = ["VenueError", "VenueErrorKind"]


class VenueError(Exception):
    """An error from a venue, classified.

    Parameters
    ----------
    kind
        The class of the error (see the module docstring).
    venue
        The venue's name, as the OMS knows it.
    code
        The venue's own error code, as a string (``"-2010"``, ``"40310000"``, ``"429"``).
    message
        The venue's text, for people; never parsed.
    retry_after
        Seconds the venue asked us to wait, where it said so (Retry-After).
    """

    def __init__(
        self,
        kind: VenueErrorKind,
        venue: str,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{venue} {kind.value} [{code}]: {message}")
        self.kind = kind
        self.venue = venue
        self.code = code
        self.message = message
        self.retry_after = retry_after
