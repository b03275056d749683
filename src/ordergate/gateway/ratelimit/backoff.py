"""How long to pause after a venue says "slow down": Retry-After, else exponential backoff.

Pure; time is passed in as integer nanoseconds and the jitter comes from an injected
:class:`random.Random`, so a seeded run repeats exactly.

- HTTP 429 (too many requests): pause for ``Retry-After`` when the venue sends it, else for
  an exponential backoff with jitter that doubles with each 429 in a row.
- HTTP 418 (Binance's IP ban for clients that kept sending after 429): pause for its
  ``Retry-After``, else for ``ban_ns`` doubling with each ban; bans last minutes to days.
- Any other status ends the streak of 429s (bans are remembered: they escalate at Binance).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

__all__ = ["ResponseBackoff", "parse_retry_after"]

_NS_PER_S = 1_000_000_000


def parse_retry_after(headers: Mapping[str, str], now_ns: int) -> int | None:
    """Return the pause a ``Retry-After`` header asks for, in ns, or None if there is none.

    Accept delay-seconds (``"120"``, also fractional ``"1.5"``) and an HTTP-date (RFC 9110
    section 10.2.3); a date in the past asks for no pause. Header names match in any case.
    An unreadable value counts as absent, so the caller falls back to its own backoff.
    """
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = Decimal(value)
    except InvalidOperation:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when_ns = int(when.timestamp()) * _NS_PER_S  # an HTTP-date has whole seconds
        return max(0, when_ns - now_ns)
    if not seconds.is_finite() or seconds < 0:
        return None
    return int(seconds * _NS_PER_S)


@dataclass
class ResponseBackoff:
    """The pause each response calls for, remembering streaks of 429s and bans.

    Parameters
    ----------
    base_ns
        First backoff after a 429 without Retry-After.
    cap_ns
        Longest backoff after a 429.
    ban_ns
        First pause after a 418 without Retry-After (Binance's shortest ban: 2 minutes).
    ban_cap_ns
        Longest pause after a 418 (Binance's longest ban: 3 days).
    rng
        Source of the jitter.
    """

    base_ns: int = 1 * _NS_PER_S
    cap_ns: int = 60 * _NS_PER_S
    ban_ns: int = 120 * _NS_PER_S
    ban_cap_ns: int = 3 * 86_400 * _NS_PER_S
    rng: random.Random = field(default_factory=random.Random)
    too_many: int = 0
    bans: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.base_ns <= self.cap_ns:
            raise ValueError("backoff needs 0 < base_ns <= cap_ns")
        if not 0 < self.ban_ns <= self.ban_cap_ns:
            raise ValueError("backoff needs 0 < ban_ns <= ban_cap_ns")

    def pause_for(self, status: int, headers: Mapping[str, str], now_ns: int) -> int | None:
        """Return how long to pause after a response, in ns, or None for no pause."""
        if status == 418:
            self.bans += 1
            asked = parse_retry_after(headers, now_ns)
            if asked is not None:
                return asked
            return min(self.ban_cap_ns, self.ban_ns << min(self.bans - 1, 32))
        if status == 429:
            self.too_many += 1
            asked = parse_retry_after(headers, now_ns)
            if asked is not None:
                return asked
            ceiling = min(self.cap_ns, self.base_ns << min(self.too_many - 1, 32))
            # "Equal jitter": at least half the backoff, so a crowd of clients spreads out
            # without any of them coming back almost at once.
            return ceiling // 2 + self.rng.randrange(ceiling - ceiling // 2 + 1)
        self.too_many = 0
        return None
