"""A price-time priority limit order book for one instrument.

Theory of operation
-------------------
Each side keeps a dict ``key -> _Level`` and a list of the keys kept sorted so that the
*best* level is always the last element: bids are keyed by price (highest last), asks by
the negated price (lowest price last). Taking or dropping the best level is therefore a
``list.pop()``; inserting a new level is a ``bisect.insort``. Inside a level, resting
entries wait in a ``deque`` in arrival order, which is time priority.

Cancels are O(1): the book finds an entry through its index (``seq -> entry``), marks it
dead and subtracts its leaves from the level total; the dead entry is skipped (and popped)
the next time matching reaches it, and a level whose dead entries outnumber the live ones is
compacted so add/cancel churn behind a resting order cannot grow the deque without bound.
Each time an entry rests it gets a fresh *stamp*, and the deque holds ``(stamp, entry)``:
a queue slot is live only while the entry still carries that stamp. So an order taken out
and rested again (a replace that loses priority) is live only at the back of the queue, never
also at its old place.

Invariants (after every public call):

- every live entry is in the index and in exactly one level of its own side;
- a level's ``quantity`` is the sum of its live entries' ``leaves`` and is > 0, so a level
  with nothing live in it does not exist;
- every key in the sorted lists has a level and vice versa;
- prices and quantities are ``Decimal``; nothing here ever sees a float.

The book never crosses by itself: it is the engine's job to match an incoming order before
resting it, and ``add`` trusts that it did.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from decimal import Decimal
from typing import Generic, TypeVar

from ordergate.domain.values import ZERO, Side

__all__ = ["BookEntry", "OrderBook"]

# Compact a level once this many dead entries have piled up in it (and they outnumber the
# live ones); below that, skipping them lazily during matching is cheaper.
_COMPACT_AFTER = 32


class BookEntry:
    """The part of an order the book needs: identity, side, price and leaves quantity.

    The engine subclasses this with the rest of the order's terms, so the book holds the
    engine's own order records and no copies are made on the hot path.

    Parameters
    ----------
    seq
        Unique number of the entry at this venue (the venue order number).
    side
        BUY entries rest on the bid side, SELL entries on the ask side.
    price
        Limit price; resting entries always have one.
    leaves
        Quantity still open (LeavesQty(151)).
    """

    __slots__ = ("leaves", "price", "seq", "side", "stamp")

    def __init__(self, seq: int, side: Side, price: Decimal | None, leaves: Decimal) -> None:
        self.seq = seq
        self.side = side
        self.price = price
        self.leaves = leaves
        self.stamp = 0  # nonzero only while resting: the stamp of its live queue slot

    @property
    def live(self) -> bool:
        """Return True while the entry rests in a book."""
        return self.stamp != 0


E = TypeVar("E", bound=BookEntry)


class _Level(Generic[E]):
    __slots__ = ("dead", "entries", "price", "quantity")

    def __init__(self, price: Decimal) -> None:
        self.price = price
        self.entries: deque[tuple[int, E]] = deque()
        self.quantity = ZERO
        self.dead = 0


class OrderBook(Generic[E]):
    """The resting orders of one instrument, in price-time priority.

    Parameters
    ----------
    symbol
        The instrument's symbol, for quotes and error messages.
    """

    __slots__ = ("_ask_keys", "_asks", "_bid_keys", "_bids", "_index", "_stamp", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bids: dict[Decimal, _Level[E]] = {}
        self._asks: dict[Decimal, _Level[E]] = {}
        self._bid_keys: list[Decimal] = []
        self._ask_keys: list[Decimal] = []
        self._index: dict[int, E] = {}
        self._stamp = 0

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, seq: object) -> bool:
        return seq in self._index

    def add(self, entry: E) -> None:
        """Rest ``entry`` at the back of its price level (it gets the lowest time priority).

        Raises
        ------
        ValueError
            If the entry has no price, no leaves, or is already resting.
        """
        price = entry.price
        if price is None or entry.leaves <= 0:
            raise ValueError("only a priced entry with leaves can rest")
        if entry.seq in self._index:
            raise ValueError(f"entry {entry.seq} already rests in {self.symbol}")
        if entry.side is Side.BUY:
            levels, keys, key = self._bids, self._bid_keys, price
        else:
            levels, keys, key = self._asks, self._ask_keys, -price
        level = levels.get(key)
        if level is None:
            level = levels[key] = _Level(price)
            insort(keys, key)
        self._stamp += 1
        entry.stamp = self._stamp
        level.entries.append((self._stamp, entry))
        level.quantity += entry.leaves
        self._index[entry.seq] = entry

    def remove(self, seq: int) -> E | None:
        """Take the entry numbered ``seq`` out of the book; return it, or None if absent."""
        entry = self._index.pop(seq, None)
        if entry is None:
            return None
        entry.stamp = 0
        levels, keys, key = self._side_of(entry)
        level = levels[key]
        level.quantity -= entry.leaves
        if level.quantity == 0:
            self._drop_level(levels, keys, key)
        else:
            level.dead += 1
            if level.dead > _COMPACT_AFTER and level.dead * 2 > len(level.entries):
                level.entries = deque(s for s in level.entries if s[1].stamp == s[0])
                level.dead = 0
        return entry

    def reduce(self, seq: int, leaves: Decimal) -> None:
        """Lower a resting entry's leaves in place, keeping its time priority.

        Raises
        ------
        KeyError
            If no entry numbered ``seq`` rests here.
        ValueError
            If ``leaves`` is not positive or not below the current leaves.
        """
        entry = self._index[seq]
        if not ZERO < leaves < entry.leaves:
            raise ValueError("reduce needs 0 < new leaves < current leaves")
        levels, _, key = self._side_of(entry)
        levels[key].quantity -= entry.leaves - leaves
        entry.leaves = leaves

    def match(
        self, side: Side, limit: Decimal | None, quantity: Decimal
    ) -> list[tuple[E, Decimal]]:
        """Take up to ``quantity`` from the side opposite ``side``, best price first, FIFO.

        Fully filled makers leave the book. The caller must not rest the aggressor before
        calling this, which is what keeps an order from ever matching itself.

        Parameters
        ----------
        side
            The aggressor's side.
        limit
            Worst acceptable price for the aggressor; None for a market order.
        quantity
            Most the aggressor will take.

        Returns
        -------
        list of (maker, quantity)
            The fills in execution order; each trades at ``maker.price``.
        """
        if side is Side.BUY:
            levels, keys = self._asks, self._ask_keys
        else:
            levels, keys = self._bids, self._bid_keys
        fills: list[tuple[E, Decimal]] = []
        remaining = quantity
        index = self._index
        while remaining > 0 and keys:
            key = keys[-1]
            level = levels[key]
            if limit is not None and (
                level.price > limit if side is Side.BUY else level.price < limit
            ):
                break
            entries = level.entries
            while remaining > 0:
                stamp, maker = entries[0]
                if maker.stamp != stamp:
                    entries.popleft()
                    level.dead -= 1
                    continue
                take = maker.leaves if maker.leaves <= remaining else remaining
                maker.leaves -= take
                level.quantity -= take
                remaining -= take
                fills.append((maker, take))
                if maker.leaves == 0:
                    maker.stamp = 0
                    entries.popleft()
                    del index[maker.seq]
                    if level.quantity == 0:
                        break
            if level.quantity == 0:
                keys.pop()
                del levels[key]
        return fills

    def available(self, side: Side, limit: Decimal | None, needed: Decimal) -> bool:
        """Return True when an aggressor on ``side`` could take ``needed`` within ``limit`` now."""
        if side is Side.BUY:
            levels, keys = self._asks, self._ask_keys
        else:
            levels, keys = self._bids, self._bid_keys
        total = ZERO
        for key in reversed(keys):
            level = levels[key]
            if limit is not None and (
                level.price > limit if side is Side.BUY else level.price < limit
            ):
                return False
            total += level.quantity
            if total >= needed:
                return True
        return False

    def best(self, side: Side) -> tuple[Decimal, Decimal] | None:
        """Return ``(price, total quantity)`` of the best level on ``side``, or None if empty."""
        if side is Side.BUY:
            levels, keys = self._bids, self._bid_keys
        else:
            levels, keys = self._asks, self._ask_keys
        if not keys:
            return None
        level = levels[keys[-1]]
        return level.price, level.quantity

    def best_bid(self) -> Decimal | None:
        """Return the highest bid price, or None when no bids rest."""
        return self._bids[self._bid_keys[-1]].price if self._bid_keys else None

    def best_ask(self) -> Decimal | None:
        """Return the lowest ask price, or None when no asks rest."""
        return self._asks[self._ask_keys[-1]].price if self._ask_keys else None

    def depth(self, side: Side, levels: int) -> list[tuple[Decimal, Decimal]]:
        """Return up to ``levels`` ``(price, quantity)`` pairs of ``side``, best first."""
        book, keys = (
            (self._bids, self._bid_keys) if side is Side.BUY else (self._asks, self._ask_keys)
        )
        return (
            [(book[k].price, book[k].quantity) for k in reversed(keys[-levels:])]
            if levels > 0
            else []
        )

    def queue(self, side: Side, price: Decimal) -> list[E]:
        """Return the live entries resting at ``price`` on ``side``, in time priority."""
        level = self._bids.get(price) if side is Side.BUY else self._asks.get(-price)
        return [] if level is None else [e for s, e in level.entries if e.stamp == s]

    def _side_of(self, entry: E) -> tuple[dict[Decimal, _Level[E]], list[Decimal], Decimal]:
        price = entry.price
        assert price is not None  # only priced entries ever rest
        if entry.side is Side.BUY:
            return self._bids, self._bid_keys, price
        return self._asks, self._ask_keys, -price

    @staticmethod
    def _drop_level(levels: dict[Decimal, _Level[E]], keys: list[Decimal], key: Decimal) -> None:
        del levels[key]
        # The best level is the commonest to empty; check the end before bisecting.
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]
