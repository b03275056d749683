"""Which connection of a broker takes the next new order: a pure choice.

Connections are tried in tiers, best first, and the policy spreads orders within the first
tier that has any connection in it:

1. primaries that are ``CONNECTED``;
2. backups that are ``CONNECTED`` (failover: backups carry orders only when no primary can);
3. primaries, then backups, that are ``DEGRADED`` (slow beats nothing).

Cancels and replaces never come here: they go to the connection that holds the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import msgspec

from ordergate.gateway.connections.state import ConnectionState

__all__ = ["Balancer", "BalancingPolicy", "Candidate", "Role"]


class Role(StrEnum):
    """A connection's place in failover."""

    PRIMARY = "PRIMARY"
    BACKUP = "BACKUP"


class BalancingPolicy(StrEnum):
    """How new orders spread over the connections of one tier."""

    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_IN_FLIGHT = "LEAST_IN_FLIGHT"
    """The connection with the fewest orders awaiting their first report; ties in turn."""


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """What the choice needs to know about one connection."""

    index: int
    state: ConnectionState
    role: Role
    in_flight: int = 0


_TIERS = (
    (ConnectionState.CONNECTED, Role.PRIMARY),
    (ConnectionState.CONNECTED, Role.BACKUP),
    (ConnectionState.DEGRADED, Role.PRIMARY),
    (ConnectionState.DEGRADED, Role.BACKUP),
)


class Balancer:
    """Choose connections for new orders under one policy (pure; keeps only a turn counter)."""

    def __init__(self, policy: BalancingPolicy = BalancingPolicy.ROUND_ROBIN) -> None:
        self.policy = policy
        self._turn = 0

    def choose(
        self, candidates: Sequence[Candidate], exclude: frozenset[int] = frozenset()
    ) -> int | None:
        """Return the index of the connection to use, or None if none can take orders.

        ``exclude`` holds connections already tried for this order (failover on a
        retryable error).
        """
        for state, role in _TIERS:
            tier = [
                c
                for c in candidates
                if c.state is state and c.role is role and c.index not in exclude
            ]
            if tier:
                return self._pick(tier)
        return None

    def _pick(self, tier: list[Candidate]) -> int:
        turn = self._turn
        self._turn += 1
        if self.policy is BalancingPolicy.ROUND_ROBIN:
            return tier[turn % len(tier)].index
        fewest = min(c.in_flight for c in tier)
        least = [c for c in tier if c.in_flight == fewest]
        return least[turn % len(least)].index
