"""Faults a test can arm on the simulated Binance, each for the next N requests it applies to.

The order faults act on /api/v3/order (POST, and one on DELETE) and model the outcomes a
client cannot tell apart from the wire: the request was carried out but the answer never
came (the connection dropped, or the answer came after the client stopped waiting), or the
request never reached the matching engine at all. A throttle answers any REST request with
HTTP 429 before it is served. The unknown-fill fault lives on the server
(:meth:`BinanceSimServer.inject_unknown_fill`) because it is an event, not a request.
"""

from __future__ import annotations

__all__ = ["Faults"]


class Faults:
    """Armed faults; each ``take_*`` consumes one occurrence and says whether it applies."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Disarm every fault."""
        self._drop_after_place = 0
        self._drop_before_place = 0
        self._drop_after_cancel = 0
        self._delay_after_place = 0
        self.delay_s = 0.0
        self._throttle = 0
        self.throttle_retry_after_s = 1

    def drop_after_placing(self, count: int = 1) -> None:
        """Place the next ``count`` orders, then drop the connection instead of answering."""
        self._drop_after_place += count

    def drop_after_canceling(self, count: int = 1) -> None:
        """Cancel on the next ``count`` DELETE /api/v3/order, then drop the connection."""
        self._drop_after_cancel += count

    def drop_before_placing(self, count: int = 1) -> None:
        """Drop the connection on the next ``count`` order requests without placing them."""
        self._drop_before_place += count

    def delay_after_placing(self, seconds: float, count: int = 1) -> None:
        """Place the next ``count`` orders, then hold the answer back for ``seconds``."""
        self._delay_after_place += count
        self.delay_s = seconds

    def throttle(self, count: int, retry_after_s: int = 1) -> None:
        """Answer the next ``count`` REST requests with HTTP 429 and ``Retry-After``."""
        self._throttle += count
        self.throttle_retry_after_s = retry_after_s

    def take_drop_after_place(self) -> bool:
        """Consume one armed drop-after-placing; True if one was armed."""
        return self._take("_drop_after_place")

    def take_drop_after_cancel(self) -> bool:
        """Consume one armed drop-after-canceling; True if one was armed."""
        return self._take("_drop_after_cancel")

    def take_drop_before_place(self) -> bool:
        """Consume one armed drop-before-placing; True if one was armed."""
        return self._take("_drop_before_place")

    def take_delay_after_place(self) -> bool:
        """Consume one armed delay-after-placing; True if one was armed."""
        return self._take("_delay_after_place")

    def take_throttle(self) -> bool:
        """Consume one armed 429; True if one was armed."""
        return self._take("_throttle")

    def _take(self, name: str) -> bool:
        left: int = getattr(self, name)
        if left <= 0:
            return False
        setattr(self, name, left - 1)
        return True
