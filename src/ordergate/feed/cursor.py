"""A subscriber's place in the log: the pure rule for exactly-once, in-order delivery.

The cursor holds the last position delivered (or examined and filtered out). A position is
taken only if it is exactly the next one, so whatever mix of log reads and live events feeds
a subscriber, it sees each position at most once and never skips one: live events at or
below the cursor are duplicates, live events beyond the next position reveal a gap to be
refilled from the log first.
"""

from __future__ import annotations

import enum

__all__ = ["Cursor", "LiveVerdict"]


class LiveVerdict(enum.Enum):
    """What to do with a live event, given the cursor."""

    DELIVER = "deliver"  # the next position: deliver it now
    DUPLICATE = "duplicate"  # at or below the cursor: already delivered, drop it
    GAP = "gap"  # beyond the next position: refill from the log up to it first


class Cursor:
    """The last position a subscriber has been given (0: nothing yet).

    Raises
    ------
    ValueError
        If ``position`` is negative.
    """

    def __init__(self, position: int = 0) -> None:
        if position < 0:
            raise ValueError(f"a position is a non-negative integer, not {position}")
        self.position = position

    def judge(self, position: int) -> LiveVerdict:
        """Return what to do with a live event at ``position``."""
        if position <= self.position:
            return LiveVerdict.DUPLICATE
        if position == self.position + 1:
            return LiveVerdict.DELIVER
        return LiveVerdict.GAP

    def advance(self, position: int) -> None:
        """Move past ``position``: a live event judged DELIVER, or a record read from the log.

        The log is the authority on which positions exist, so a record read from it may be
        more than one past the cursor; it may never be at or below it.

        Raises
        ------
        ValueError
            If ``position`` is not beyond the cursor (it would be delivered twice).
        """
        if position <= self.position:
            raise ValueError(f"position {position} is not after {self.position}")
        self.position = position
