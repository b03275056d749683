"""GCRA, the generic cell rate algorithm: one integer of state per rule and key.

Pure; time is passed in as integer nanoseconds and every step is exact integer arithmetic.

Theory of operation
-------------------
A rule lets ``burst`` units go back to back and then one unit every ``emission_ns``. Its
whole state is the theoretical arrival time ``tat``: the instant at which the units admitted
so far would have been spaced out. A request of ``cost`` units at ``now`` moves it to
``new_tat = max(tat, now) + cost * emission_ns`` and is admitted if and only if
``new_tat - now <= burst * emission_ns``; a refused request changes nothing and learns how
long to wait (``wait_ns``), after which it is admitted unless someone else spent the budget.

Invariant: never more than ``limit`` units in any window
---------------------------------------------------------
A GCRA admits at most ``floor(t / emission_ns) + burst`` units in any span of ``t`` ns. A
venue's rule says "``limit`` units per ``window_ns``", and venues count it in fixed windows
(Binance) or sliding ones (others), aligned to clocks we do not see. To stay inside every
window of ``window_ns`` whatever its alignment, :meth:`GcraRule.from_limit` sets
``emission_ns = ceil(window_ns / (limit - burst + 1))``; then any span shorter than
``window_ns`` holds at most ``limit - burst`` emissions plus the burst, that is ``limit``.
The price of a burst is sustained rate: ``limit - burst + 1`` units per window instead of
``limit``. (The textbook setting, burst ``limit`` at rate ``limit / window``, is a token
bucket and lets almost ``2 * limit`` units into one window, which a venue punishes.)

A request that several rules cover (request weight and order count) is admitted by all of
them or by none: :func:`decide_all` computes every rule's decision from the same ``now`` and
changes the state only when every rule admits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Decision", "GcraRule", "decide_all", "refund"]


class Decision(NamedTuple):
    """The outcome of one request: admitted or not, the new state, and how long to wait.

    ``tats`` are the new theoretical arrival times (one per rule; unchanged when refused);
    ``wait_ns`` is 0 when admitted, else the time until the request would be admitted.
    """

    allowed: bool
    tats: tuple[int, ...]
    wait_ns: int


@dataclass(frozen=True, slots=True)
class GcraRule:
    """One rate rule in GCRA terms.

    Parameters
    ----------
    name
        The venue's name for the rule (``REQUEST_WEIGHT``, ``ORDERS``).
    emission_ns
        Time one unit takes to drain; the sustained rate is one unit per ``emission_ns``.
    burst
        Units that may go back to back; a single request may cost at most this.
    """

    name: str
    emission_ns: int
    burst: int

    def __post_init__(self) -> None:
        if self.emission_ns < 1:
            raise ValueError(f"rule {self.name}: emission_ns must be at least 1 ns")
        if self.burst < 1:
            raise ValueError(f"rule {self.name}: burst must be at least 1 unit")

    @classmethod
    def from_limit(cls, name: str, limit: int, window_ns: int, burst: int) -> GcraRule:
        """Build the rule that never lets more than ``limit`` units into any ``window_ns``.

        Raises
        ------
        ValueError
            If ``limit`` or ``window_ns`` is below 1, or ``burst`` is not in ``1..limit``.
        """
        if limit < 1:
            raise ValueError(f"rule {name}: limit must be at least 1, got {limit}")
        if window_ns < 1:
            raise ValueError(f"rule {name}: window_ns must be at least 1, got {window_ns}")
        if not 1 <= burst <= limit:
            raise ValueError(f"rule {name}: burst must be in 1..{limit}, got {burst}")
        emissions_per_window = limit - burst + 1
        emission_ns = -(-window_ns // emissions_per_window)  # ceil: rounding up stays safe
        return cls(name, emission_ns, burst)

    @property
    def capacity_ns(self) -> int:
        """Return how far ahead of now the state may run: ``burst * emission_ns``."""
        return self.burst * self.emission_ns

    def check_cost(self, cost: int) -> None:
        """Refuse a cost the rule can never admit.

        Raises
        ------
        ValueError
            If ``cost`` is below 1 or above the burst.
        """
        if cost < 1:
            raise ValueError(f"rule {self.name}: cost must be at least 1, got {cost}")
        if cost > self.burst:
            raise ValueError(
                f"rule {self.name}: cost {cost} is above the burst of {self.burst}, "
                "so it could never be admitted"
            )

    def decide(self, tat: int, now: int, cost: int) -> tuple[bool, int, int]:
        """Decide one request of ``cost`` units at ``now`` against state ``tat``.

        Returns
        -------
        tuple[bool, int, int]
            ``(allowed, new_tat, wait_ns)``: ``new_tat`` is ``tat`` when refused, and
            ``wait_ns`` is 0 when admitted.

        Raises
        ------
        ValueError
            If ``cost`` is below 1 or above the burst.
        """
        self.check_cost(cost)
        new_tat = max(tat, now) + cost * self.emission_ns
        excess = new_tat - now - self.capacity_ns
        if excess <= 0:
            return True, new_tat, 0
        # Refused only when tat > now (a cost within the burst always fits an idle rule), so
        # the excess is exactly the time until tat has drained enough.
        return False, tat, excess


def decide_all(
    rules: Sequence[GcraRule], costs: Sequence[int], tats: Sequence[int], now: int
) -> Decision:
    """Decide one request against every rule that covers it, all or nothing.

    Raises
    ------
    ValueError
        If the sequences differ in length, there are no rules, or a cost is out of range
        (checked for every rule before anything is decided).
    """
    if not len(rules) == len(costs) == len(tats):
        raise ValueError("rules, costs and tats must have the same length")
    if not rules:
        raise ValueError("a request must be covered by at least one rule")
    for rule, cost in zip(rules, costs, strict=True):
        rule.check_cost(cost)
    new_tats: list[int] = []
    wait_ns = 0
    for rule, cost, tat in zip(rules, costs, tats, strict=True):
        _, new_tat, wait = rule.decide(tat, now, cost)
        new_tats.append(new_tat)
        wait_ns = max(wait_ns, wait)
    if wait_ns > 0:
        # Each rule only admits more as time passes, so after the longest wait all admit.
        return Decision(False, tuple(tats), wait_ns)
    return Decision(True, tuple(new_tats), 0)


def refund(rule: GcraRule, tat: int, granted_tat: int, cost: int, now: int) -> int:
    """Give back a grant that was never used, and return the new state.

    ``granted_tat`` is the state the grant left. Only the part of the grant still ahead of
    ``now`` is given back: that part is a block of the virtual schedule nobody has used yet,
    and later grants are stacked right after it. The part already behind ``now`` is spent;
    giving it back could let later grants through twice.

    Exact when grants are refunded latest first or their blocks do not overlap in the
    future. Refunding an earlier grant first shifts this one's block back, and this one then
    gives back up to that shift too much; the limiter refunds only the rare grant whose
    waiter was cancelled in the instant it was granted, so two at once are rarer still.
    """
    unused = min(cost * rule.emission_ns, max(0, granted_tat - now))
    return tat - unused
