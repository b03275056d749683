"""A venue's rate rules, and which of them a request to an endpoint spends.

Pure. A venue states its limits as :class:`~ordergate.venues.base.RateLimitRule` (in
:attr:`VenueCapabilities.rate_limits <ordergate.venues.base.VenueCapabilities>`); a rule
whose ``scope`` is ``"*"`` covers every endpoint, any other scope covers the endpoint of
that name only. An endpoint is a name the adapter chooses for a kind of request
(``"orders"``, ``"cancel"``, ``"query"``...), not a URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ordergate.gateway.ratelimit.gcra import GcraRule
from ordergate.venues.base import RateLimitRule

__all__ = ["DEFAULT_ENDPOINTS", "Demand", "RateLimitPolicy", "check_name", "default_burst"]

# The endpoint names the connection manager uses when a venue names none of its own.
DEFAULT_ENDPOINTS = ("orders", "cancel", "replace", "query")

# Names become parts of Redis keys (og:rl:<venue>:<account>:<rule>), so no separators.
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is safe in a key, else raise ValueError naming ``kind``."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"bad {kind} name {name!r}: use 1-64 of A-Z a-z 0-9 _ . @ -")
    return name


def default_burst(limit: int) -> int:
    """Return the burst a rule gets unless told otherwise: a tenth of its limit, at least 1.

    A tenth keeps 90 % of the venue's sustained rate (see :mod:`.gcra`) while letting a
    strategy's burst of orders or a heavy query (Binance weighs some at 20-80 of 6000) go
    at once.
    """
    return max(1, limit // 10)


@dataclass(frozen=True, slots=True)
class Demand:
    """What one request asks of one rule: ``cost`` units of ``rule``."""

    rule: GcraRule
    cost: int


class RateLimitPolicy:
    """The rules of one venue and the endpoints requests may name.

    Parameters
    ----------
    rules
        The venue's rules, as its capabilities state them. Names must be unique.
    endpoints
        Endpoint names requests may use, besides every rule's own scope.
    bursts
        Burst per rule name, overriding :func:`default_burst`.

    Raises
    ------
    ValueError
        If there are no rules, a name is duplicated or unusable, or a burst is out of range
        or names an unknown rule.
    """

    def __init__(
        self,
        rules: Sequence[RateLimitRule],
        *,
        endpoints: Iterable[str] = DEFAULT_ENDPOINTS,
        bursts: Mapping[str, int] | None = None,
    ) -> None:
        if not rules:
            raise ValueError("a rate limit policy needs at least one rule")
        bursts = dict(bursts or {})
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate rule names in {names}")
        unknown = set(bursts) - set(names)
        if unknown:
            raise ValueError(f"burst given for unknown rules {sorted(unknown)}")
        self.rules: tuple[RateLimitRule, ...] = tuple(rules)
        self._gcra: dict[str, GcraRule] = {}
        self._scope: dict[str, str] = {}
        for rule in rules:
            check_name("rule", rule.name)
            burst = bursts.get(rule.name, default_burst(rule.limit))
            self._gcra[rule.name] = GcraRule.from_limit(
                rule.name, rule.limit, rule.window_ns, burst
            )
            self._scope[rule.name] = rule.scope
        scopes = {rule.scope for rule in rules if rule.scope != "*"}
        self.endpoints: frozenset[str] = frozenset(endpoints) | scopes
        for endpoint in self.endpoints:
            check_name("endpoint", endpoint)

    def gcra(self, name: str) -> GcraRule:
        """Return the GCRA form of the rule called ``name``.

        Raises
        ------
        ValueError
            If there is no such rule.
        """
        try:
            return self._gcra[name]
        except KeyError:
            raise ValueError(f"unknown rate limit rule {name!r}") from None

    def covering(self, endpoint: str) -> tuple[str, ...]:
        """Return the names of the rules a request to ``endpoint`` spends, in rule order.

        Raises
        ------
        ValueError
            If the endpoint is unknown.
        """
        if endpoint not in self.endpoints:
            raise ValueError(
                f"unknown endpoint {endpoint!r}; known: {', '.join(sorted(self.endpoints))}"
            )
        return tuple(name for name, scope in self._scope.items() if scope in ("*", endpoint))

    def demands(self, endpoint: str, cost: int | Mapping[str, int] = 1) -> tuple[Demand, ...]:
        """Return what a request to ``endpoint`` asks of each rule covering it.

        ``cost`` is either one number of units for every covering rule (a request weight
        that is also its order count, as Binance's order endpoints are), or units per rule
        name (a batch of 5 orders of weight 1: ``{"REQUEST_WEIGHT": 1, "ORDERS": 5}``), which
        must name exactly the covering rules.

        Raises
        ------
        ValueError
            If the endpoint or a rule is unknown, a covering rule has no cost, a cost is not
            a positive int, or a cost is above its rule's burst.
        """
        names = self.covering(endpoint)
        if not names:
            raise ValueError(f"no rule covers endpoint {endpoint!r}")
        if isinstance(cost, Mapping):
            for name in cost:
                self.gcra(name)
            stray = set(cost) - set(names)
            if stray:
                raise ValueError(f"rules {sorted(stray)} do not cover endpoint {endpoint!r}")
            missing = [name for name in names if name not in cost]
            if missing:
                raise ValueError(f"no cost given for rules {missing} of endpoint {endpoint!r}")
            costs = [cost[name] for name in names]
        else:
            costs = [cost] * len(names)
        demands = []
        for name, units in zip(names, costs, strict=True):
            if isinstance(units, bool) or not isinstance(units, int):
                raise ValueError(f"rule {name}: cost must be an int, got {units!r}")
            rule = self._gcra[name]
            rule.check_cost(units)
            demands.append(Demand(rule, units))
        return tuple(demands)
