"""Venue rules as the adapters state them, for the rate limiter's tests."""

from __future__ import annotations

from ordergate.domain.values import AssetClass, OrderType, TimeInForce
from ordergate.venues.base import RateLimitRule, VenueCapabilities

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
DAY = 86_400 * SECOND

BINANCE_RULES = (
    RateLimitRule(name="REQUEST_WEIGHT", unit="weight", limit=6000, window_ns=MINUTE),
    RateLimitRule(name="ORDERS", unit="orders", limit=100, window_ns=10 * SECOND, scope="orders"),
    RateLimitRule(name="ORDERS_DAY", unit="orders", limit=200_000, window_ns=DAY, scope="orders"),
)
ALPACA_RULES = (RateLimitRule(name="REQUESTS", unit="requests", limit=200, window_ns=MINUTE),)
FIX_RULES = (
    RateLimitRule(name="ORDERS", unit="orders", limit=10, window_ns=SECOND, scope="orders"),
)


def capabilities(*rules: RateLimitRule) -> VenueCapabilities:
    """Return capabilities of a plain venue with these rate limits."""
    return VenueCapabilities(
        order_types=frozenset({OrderType.LIMIT}),
        time_in_force=frozenset({TimeInForce.GTC}),
        asset_classes=frozenset({AssetClass.CRYPTO_SPOT}),
        rate_limits=rules,
    )
