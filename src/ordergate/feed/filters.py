"""Subscription filters: which events a subscriber asked for.

A filter holds a set of accepted values per dimension; an empty set accepts everything,
several sets must all accept (AND across dimensions, OR within one).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ordergate.domain.events import EVENT_TYPES
from ordergate.feed.events import FeedEvent

__all__ = ["EVENT_TYPE_NAMES", "FeedFilter", "FilterError", "parse_filter"]

EVENT_TYPE_NAMES: frozenset[str] = frozenset(EVENT_TYPES)

_MAX_VALUES = 100
_MAX_VALUE_LENGTH = 128


class FilterError(ValueError):
    """A filter parameter that cannot be accepted.

    Attributes
    ----------
    field
        The offending parameter, e.g. ``"types"``.
    message
        What is wrong with it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FeedFilter(msgspec.Struct, frozen=True, kw_only=True):
    """The events a subscriber wants (empty sets: all)."""

    accounts: frozenset[str] = frozenset()
    portfolios: frozenset[str] = frozenset()
    strategies: frozenset[str] = frozenset()
    symbols: frozenset[str] = frozenset()
    venues: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    def matches(self, event: FeedEvent) -> bool:
        """Return whether ``event`` passes every dimension of this filter."""
        return (
            _accepts(self.types, event.type)
            and _accepts(self.accounts, event.account)
            and _accepts(self.portfolios, event.portfolio)
            and _accepts(self.strategies, event.strategy)
            and _accepts(self.symbols, event.symbol)
            and _accepts(self.venues, event.venue)
        )


def _accepts(allowed: frozenset[str], value: str | None) -> bool:
    return not allowed or (value is not None and value in allowed)


def _values(field: str, raw: str | Iterable[str] | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    parts = raw.split(",") if isinstance(raw, str) else [p for r in raw for p in r.split(",")]
    values = [p.strip() for p in parts]
    if any(not v for v in values):
        raise FilterError(field, f"{field} has an empty value; give comma-separated names")
    if len(values) > _MAX_VALUES:
        raise FilterError(field, f"{field} takes at most {_MAX_VALUES} values")
    for value in values:
        if len(value) > _MAX_VALUE_LENGTH:
            raise FilterError(field, f"{field} values are at most {_MAX_VALUE_LENGTH} characters")
    return frozenset(values)


def parse_filter(
    *,
    accounts: str | Iterable[str] | None = None,
    portfolios: str | Iterable[str] | None = None,
    strategies: str | Iterable[str] | None = None,
    symbols: str | Iterable[str] | None = None,
    venues: str | Iterable[str] | None = None,
    types: str | Iterable[str] | None = None,
) -> FeedFilter:
    """Build a filter from comma-separated values (or lists of them); None means all.

    Raises
    ------
    FilterError
        If a value is empty or too long, there are too many values, or an event type is
        not one of :data:`EVENT_TYPE_NAMES`.
    """
    wanted_types = _values("types", types)
    unknown = sorted(wanted_types - EVENT_TYPE_NAMES)
    if unknown:
        raise FilterError(
            "types",
            f"unknown event type {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(EVENT_TYPE_NAMES))}",
        )
    return FeedFilter(
        accounts=_values("account", accounts),
        portfolios=_values("portfolio", portfolios),
        strategies=_values("strategy", strategies),
        symbols=_values("symbol", symbols),
        venues=_values("venue", venues),
        types=wanted_types,
    )
