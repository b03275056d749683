"""Binance's request-weight limit: weight per endpoint, 429 past the limit, 418 for abusers.

Pure; time is passed in as integer nanoseconds.

Theory of operation
-------------------
Every REST request costs its endpoint's weight (:data:`ENDPOINT_WEIGHTS`), counted per client
(IP address) in fixed one-minute windows, as Binance's ``REQUEST_WEIGHT`` limit is. The
used weight is reported on every response as ``X-MBX-USED-WEIGHT-1M``. A request that would
pass the limit is refused with HTTP 429 and ``Retry-After`` (whole seconds to the end of the
window) and costs nothing. A client that sends more than ``ban_after`` requests after being
told 429 within one window is banned: HTTP 418 for ``ban_ns``, whatever it sends.
"""

from __future__ import annotations

import msgspec

__all__ = ["ENDPOINT_WEIGHTS", "LimitDecision", "WeightLimiter"]

_NS_PER_S = 1_000_000_000

# (method, path) -> request weight, as Binance publishes them for the spot API.
ENDPOINT_WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", "/api/v3/ping"): 1,
    ("GET", "/api/v3/time"): 1,
    ("GET", "/api/v3/exchangeInfo"): 20,
    ("GET", "/api/v3/depth"): 5,
    ("GET", "/api/v3/ticker/bookTicker"): 2,
    ("POST", "/api/v3/order"): 1,
    ("DELETE", "/api/v3/order"): 1,
    ("GET", "/api/v3/order"): 4,
    ("GET", "/api/v3/openOrders"): 6,
    ("DELETE", "/api/v3/openOrders"): 1,
    ("GET", "/api/v3/allOrders"): 20,
    ("GET", "/api/v3/myTrades"): 20,
    ("GET", "/api/v3/account"): 20,
    ("POST", "/api/v3/userDataStream"): 2,
    ("PUT", "/api/v3/userDataStream"): 2,
    ("DELETE", "/api/v3/userDataStream"): 2,
}


class LimitDecision(msgspec.Struct, frozen=True, kw_only=True):
    """What the limiter says about one request.

    ``status`` is 200 (go ahead), 429 (over the limit) or 418 (banned); ``used`` the weight
    used in the current window after this request; ``retry_after_s`` whole seconds to wait
    when refused.
    """

    status: int
    used: int
    retry_after_s: int = 0

    @property
    def allowed(self) -> bool:
        """Return True when the request may be served."""
        return self.status == 200


class _Window:
    __slots__ = ("index", "refused", "used")

    def __init__(self, index: int) -> None:
        self.index = index
        self.used = 0
        self.refused = 0


class WeightLimiter:
    """Request-weight accounting per client.

    Parameters
    ----------
    limit
        Weight allowed per window (Binance: 6000 per minute).
    window_ns
        Length of a window.
    ban_after
        Requests a client may still send after a 429 within one window before it is banned.
    ban_ns
        How long a ban lasts.
    """

    def __init__(
        self,
        limit: int = 6_000,
        *,
        window_ns: int = 60 * _NS_PER_S,
        ban_after: int = 3,
        ban_ns: int = 120 * _NS_PER_S,
    ) -> None:
        self.limit = limit
        self.window_ns = window_ns
        self.ban_after = ban_after
        self.ban_ns = ban_ns
        self._windows: dict[str, _Window] = {}
        self._banned_until: dict[str, int] = {}

    def charge(self, client: str, weight: int, now_ns: int) -> LimitDecision:
        """Count a request of ``weight`` from ``client`` at ``now_ns``; say whether it may go."""
        window = self._window(client, now_ns)
        banned_until = self._banned_until.get(client, 0)
        if now_ns < banned_until:
            return LimitDecision(
                status=418, used=window.used, retry_after_s=_ceil_s(banned_until - now_ns)
            )
        if window.used + weight > self.limit:
            window.refused += 1
            if window.refused > self.ban_after:
                self._banned_until[client] = now_ns + self.ban_ns
                return LimitDecision(
                    status=418, used=window.used, retry_after_s=_ceil_s(self.ban_ns)
                )
            end = (window.index + 1) * self.window_ns
            return LimitDecision(status=429, used=window.used, retry_after_s=_ceil_s(end - now_ns))
        window.used += weight
        return LimitDecision(status=200, used=window.used)

    def used(self, client: str, now_ns: int) -> int:
        """Return the weight ``client`` has used in the current window."""
        return self._window(client, now_ns).used

    def _window(self, client: str, now_ns: int) -> _Window:
        index = now_ns // self.window_ns
        window = self._windows.get(client)
        if window is None or window.index != index:
            window = self._windows[client] = _Window(index)
        return window


def _ceil_s(ns: int) -> int:
    return max(1, -(-ns // _NS_PER_S))
