"""Stop orders waiting for their trigger, per instrument.

A STOP or STOP_LIMIT order does not rest in the book until the last trade price crosses its
stop price: a buy stop triggers at ``last >= stop``, a sell stop at ``last <= stop``. Waiting
stops live here, sorted so that the ones a price move triggers form a prefix of a list:
buys by ascending stop price, sells by descending stop price (stored negated), ties by
arrival (``seq``). Triggered orders come out in arrival order.

Invariant: an order is in :class:`StopBook` exactly while it is open and untriggered.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from decimal import Decimal

from ordergate.domain.values import Side
from ordergate.sim.orders import SimOrder

__all__ = ["StopBook"]

# Sorts after every real seq, so bisect_right((key, _AFTER_ALL)) takes a whole price.
_AFTER_ALL = 1 << 62


class StopBook:
    """The untriggered stop orders of one instrument."""

    __slots__ = ("_buys", "_orders", "_sells")

    def __init__(self) -> None:
        self._buys: list[tuple[Decimal, int]] = []
        self._sells: list[tuple[Decimal, int]] = []
        self._orders: dict[int, SimOrder] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, seq: object) -> bool:
        return seq in self._orders

    def add(self, order: SimOrder) -> None:
        """Park ``order`` until its stop price is crossed."""
        stop = order.stop_price
        assert stop is not None  # validation guarantees a stop price on stop orders
        if order.side is Side.BUY:
            insort(self._buys, (stop, order.seq))
        else:
            insort(self._sells, (-stop, order.seq))
        self._orders[order.seq] = order

    def remove(self, order: SimOrder) -> bool:
        """Take ``order`` out (it was canceled, replaced or expired); return whether it was here."""
        if self._orders.pop(order.seq, None) is None:
            return False
        stop = order.stop_price
        assert stop is not None
        keys, key = (self._buys, stop) if order.side is Side.BUY else (self._sells, -stop)
        del keys[bisect_left(keys, (key, order.seq))]
        return True

    def pop_triggered(self, last: Decimal) -> list[SimOrder]:
        """Remove and return, in arrival order, every stop that ``last`` triggers."""
        if not self._orders:
            return []
        buys = bisect_right(self._buys, (last, _AFTER_ALL))
        sells = bisect_right(self._sells, (-last, _AFTER_ALL))
        if not buys and not sells:
            return []
        seqs = [seq for _, seq in self._buys[:buys]] + [seq for _, seq in self._sells[:sells]]
        del self._buys[:buys]
        del self._sells[:sells]
        seqs.sort()
        return [self._orders.pop(seq) for seq in seqs]
