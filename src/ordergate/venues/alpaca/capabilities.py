"""What an Alpaca account takes: US equities, four order types, four times in force.

Alpaca's trading API allows 200 requests a minute per account; equities trade commission
free. GTD is not an Alpaca time in force (its ``opg``/``cls`` auction orders have no
ordergate equivalent), so GTD orders are refused before they are sent.
"""

from __future__ import annotations

from ordergate.domain.values import AssetClass, OrderType, TimeInForce
from ordergate.venues.base import RateLimitRule, VenueCapabilities

__all__ = ["ALPACA_CAPABILITIES"]

_MINUTE_NS = 60 * 1_000_000_000

ALPACA_CAPABILITIES = VenueCapabilities(
    order_types=frozenset(
        {OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT}
    ),
    time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}),
    asset_classes=frozenset({AssetClass.EQUITY}),
    supports_replace=True,
    rate_limits=(
        RateLimitRule(name="trading-api", unit="requests", limit=200, window_ns=_MINUTE_NS),
    ),
)
