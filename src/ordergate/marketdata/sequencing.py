"""Each venue's rules for which book deltas may be applied after a snapshot.

A rule is reset by every snapshot and then judges each delta before it is applied:

- ``APPLY``: apply it, then call :meth:`SequenceRule.accept`.
- ``SKIP``: it is older than the snapshot; drop it silently (Binance's documented step).
- ``DUPLICATE`` / ``OUT_OF_ORDER``: the same or an older update than the last one applied;
  drop it and count it. The book is still correct.
- ``GAP``: updates are missing between the book and this delta; the book can no longer be
  trusted and must be resynchronised from a new snapshot.

Rules, per venue documentation:

- :class:`BinanceDepthRule` (diff depth, ``U``/``u``/``pu``): spot drops deltas with
  ``u <= lastUpdateId``; the first applied delta must straddle ``lastUpdateId + 1``
  (``U <= lastUpdateId + 1 <= u``); after it each ``U`` is the previous ``u + 1``. Futures
  deltas carry ``pu``: drop ``u < lastUpdateId``, the first must have
  ``U <= lastUpdateId <= u``, and then each ``pu`` equals the previous ``u``.
- :class:`ContiguousSequenceRule` (Coinbase ``sequence_num``): each delta's sequence is the
  previous one plus one.
- :class:`NonceRule` (generic ccxt ``nonce``): nonces only increase; with
  ``contiguous=True`` they must also step by one.
- :class:`ChecksumOnlyRule` (Kraken): there are no sequence numbers; every delta applies and
  the book's CRC32 (see :mod:`ordergate.marketdata.checksum`) is verified afterwards.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol

from ordergate.marketdata.types import BookDelta, BookSnapshot

__all__ = [
    "BinanceDepthRule",
    "ChecksumOnlyRule",
    "ContiguousSequenceRule",
    "NonceRule",
    "SequenceRule",
    "Verdict",
]


class Verdict(IntEnum):
    """What to do with one delta."""

    APPLY = 0
    SKIP = 1
    DUPLICATE = 2
    OUT_OF_ORDER = 3
    GAP = 4


class SequenceRule(Protocol):
    """A venue's sequencing rule for one book."""

    def reset(self, snapshot: BookSnapshot) -> None:
        """Start over from ``snapshot``."""
        ...

    def check(self, delta: BookDelta) -> Verdict:
        """Judge ``delta`` against the updates applied so far."""
        ...

    def accept(self, delta: BookDelta) -> None:
        """Record that ``delta`` was applied."""
        ...


def _older(last_update_id: int, applied: int) -> Verdict:
    return Verdict.DUPLICATE if last_update_id == applied else Verdict.OUT_OF_ORDER


class BinanceDepthRule:
    """Binance diff depth stream rule (spot ``U``/``u``; futures ``U``/``u``/``pu``)."""

    __slots__ = ("_last", "_synced")

    def __init__(self) -> None:
        self._last = 0  # lastUpdateId of the snapshot, then u of the last applied delta
        self._synced = False  # whether a delta has been applied since the snapshot

    def reset(self, snapshot: BookSnapshot) -> None:
        """Start over from the snapshot's ``lastUpdateId``."""
        self._last = snapshot.sequence or 0
        self._synced = False

    def check(self, delta: BookDelta) -> Verdict:
        """Judge one depthUpdate."""
        first = delta.first_update_id
        last = delta.last_update_id
        if first is None or last is None:
            return Verdict.GAP  # a Binance delta without ids cannot be placed
        previous = delta.previous_update_id
        applied = self._last
        if not self._synced:
            if previous is None:  # spot
                if last <= applied:
                    return Verdict.SKIP
                return Verdict.APPLY if first <= applied + 1 else Verdict.GAP
            if last < applied:  # futures
                return Verdict.SKIP
            return Verdict.APPLY if first <= applied else Verdict.GAP
        if last <= applied:
            return _older(last, applied)
        if previous is not None:
            return Verdict.APPLY if previous == applied else Verdict.GAP
        return Verdict.APPLY if first == applied + 1 else Verdict.GAP

    def accept(self, delta: BookDelta) -> None:
        """Record ``u`` of the applied delta."""
        self._last = delta.last_update_id or 0
        self._synced = True


class ContiguousSequenceRule:
    """Each delta's sequence is exactly one more than the last (Coinbase ``sequence_num``)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = 0

    def reset(self, snapshot: BookSnapshot) -> None:
        """Start over from the snapshot's sequence."""
        self._last = snapshot.sequence or 0

    def check(self, delta: BookDelta) -> Verdict:
        """Judge one delta by its sequence."""
        sequence = delta.last_update_id
        if sequence is None:
            return Verdict.GAP
        if sequence <= self._last:
            return _older(sequence, self._last)
        return Verdict.APPLY if sequence == self._last + 1 else Verdict.GAP

    def accept(self, delta: BookDelta) -> None:
        """Record the applied delta's sequence."""
        self._last = delta.last_update_id or 0


class NonceRule:
    """Nonces only increase (generic ccxt order books); optionally by exactly one."""

    __slots__ = ("_last", "contiguous")

    def __init__(self, *, contiguous: bool = False) -> None:
        self.contiguous = contiguous
        self._last: int | None = None

    def reset(self, snapshot: BookSnapshot) -> None:
        """Start over from the snapshot's nonce."""
        self._last = snapshot.sequence

    def check(self, delta: BookDelta) -> Verdict:
        """Judge one delta by its nonce; a book without nonces accepts everything in order."""
        nonce = delta.last_update_id
        if nonce is None or self._last is None:
            return Verdict.APPLY
        if nonce <= self._last:
            return _older(nonce, self._last)
        if self.contiguous and nonce != self._last + 1:
            return Verdict.GAP
        return Verdict.APPLY

    def accept(self, delta: BookDelta) -> None:
        """Record the applied delta's nonce."""
        if delta.last_update_id is not None:
            self._last = delta.last_update_id


class ChecksumOnlyRule:
    """No sequence numbers: every delta applies and the checksum decides (Kraken)."""

    __slots__ = ()

    def reset(self, snapshot: BookSnapshot) -> None:
        """Nothing to remember."""

    def check(self, delta: BookDelta) -> Verdict:
        """Apply every delta."""
        return Verdict.APPLY

    def accept(self, delta: BookDelta) -> None:
        """Nothing to remember."""
