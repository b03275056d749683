"""Inbound sequence gaps: the queue of early messages and the outstanding ResendRequest(2).

Invariants:

- A message whose MsgSeqNum(34) is above the expected one waits in the queue until every
  number below it was processed (or skipped by a SequenceReset); it is then processed in
  order, exactly once.
- At most one ResendRequest is outstanding: more early messages while it is do not ask for
  the same gap again. With ``chunk_size`` > 0 a gap is asked for in chunks, the next chunk
  when the previous one has been filled.
- The tracker only does the bookkeeping; the session sends the requests it plans.
"""

from __future__ import annotations

import msgspec

from ordergate.fix.message import FixMessage

__all__ = ["GapTracker", "QueuedMessage", "ResendPlan"]


class QueuedMessage(msgspec.Struct, frozen=True):
    """An early message. ``handled``: already acted on at arrival (a ResendRequest(2))."""

    message: FixMessage
    handled: bool


class ResendPlan(msgspec.Struct, frozen=True):
    """Send ResendRequest(2) BeginSeqNo ``begin``, EndSeqNo ``end_seq_no`` (0: no end);
    ``gap_end`` is the last missing number known now."""

    begin: int
    end_seq_no: int
    gap_end: int


class GapTracker:
    """Queue early inbound messages and plan the ResendRequests that fill the gaps."""

    __slots__ = ("_outstanding_end", "_queued", "chunk_size")

    def __init__(self, chunk_size: int = 0) -> None:
        self.chunk_size = chunk_size
        self._queued: dict[int, QueuedMessage] = {}
        self._outstanding_end: int | None = None

    @property
    def resend_outstanding(self) -> bool:
        """Return True while a ResendRequest of ours waits to be filled."""
        return self._outstanding_end is not None

    @property
    def idle(self) -> bool:
        """Return True when nothing is queued and no ResendRequest is outstanding."""
        return self._outstanding_end is None and not self._queued

    def queued_count(self) -> int:
        """Return how many early messages wait."""
        return len(self._queued)

    def clear(self) -> None:
        """Forget queued messages and the outstanding request (disconnect, reset)."""
        self._queued.clear()
        self._outstanding_end = None

    def too_high(
        self, expected: int, seq: int, message: FixMessage, *, handled: bool = False
    ) -> ResendPlan | None:
        """Queue ``message`` (``seq`` > ``expected``); return a request to send, if one is due."""
        self._queued.setdefault(seq, QueuedMessage(message, handled))
        if self._outstanding_end is not None:
            if self.chunk_size <= 0:
                # An open-ended request also covers the numbers missing before this message.
                self._outstanding_end = max(self._outstanding_end, seq - 1)
            return None
        return self._plan(expected, seq - 1)

    def pop(self, expected: int) -> QueuedMessage | None:
        """Take the queued message numbered ``expected``, if it is there."""
        return self._queued.pop(expected, None)

    def advanced(self, expected: int) -> ResendPlan | None:
        """Note that ``expected`` moved on; return the next request when a gap remains."""
        if self._outstanding_end is not None and expected > self._outstanding_end:
            self._outstanding_end = None
        for seq in [s for s in self._queued if s < expected]:
            del self._queued[seq]
        if self._outstanding_end is not None or not self._queued:
            return None
        lowest = min(self._queued)
        if lowest <= expected:
            return None
        return self._plan(expected, lowest - 1)

    def _plan(self, begin: int, gap_end: int) -> ResendPlan:
        if self.chunk_size > 0:
            end = min(begin + self.chunk_size - 1, gap_end)
            self._outstanding_end = end
            return ResendPlan(begin, end, gap_end)
        # FIX 4.2 and later: EndSeqNo(16)=0 asks for everything from BeginSeqNo on.
        self._outstanding_end = gap_end
        return ResendPlan(begin, 0, gap_end)
