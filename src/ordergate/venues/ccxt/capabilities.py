"""What a ccxt exchange takes, read from ccxt's ``has``, ``features`` and markets.

ccxt describes each exchange's unified methods in ``has`` (``createMarketOrder``,
``createStopLimitOrder``, ``watchOrders``...) and, per market type, what ``createOrder``
accepts in ``features`` (time in force flags, trigger prices). Fees come from the config
when it states them, else from the markets ccxt loaded; the request rate from ccxt's
``rateLimit`` (milliseconds between requests).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordergate.domain.values import AssetClass, OrderType, TimeInForce
from ordergate.venues.base import RateLimitRule, VenueCapabilities
from ordergate.venues.ccxt.config import CcxtVenueConfig

__all__ = ["capabilities_of"]

_NS_PER_MS = 1_000_000


def _spot_create_order_features(features: object) -> dict[str, Any]:
    if not isinstance(features, dict):
        return {}
    spot = features.get("spot")
    if not isinstance(spot, dict):
        return {}
    create = spot.get("createOrder")
    return create if isinstance(create, dict) else {}


def _rate(configured: str | None, markets: dict[str, Any], key: str) -> Decimal:
    if configured is not None:
        return Decimal(configured)
    for market in markets.values():
        value = market.get(key) if isinstance(market, dict) else None
        if value is not None:
            # ccxt keeps fee rates as Python literals (0.001); their shortest repr is the
            # decimal the exchange publishes, so str() recovers it exactly.
            return Decimal(str(value))
    return Decimal(0)


def capabilities_of(
    has: dict[str, Any],
    features: object,
    markets: dict[str, Any],
    rate_limit_ms: float,
    config: CcxtVenueConfig,
) -> VenueCapabilities:
    """Return the capabilities of a ccxt exchange (after ``load_markets``).

    Parameters
    ----------
    has
        The exchange's ``has`` table.
    features
        The exchange's ``features`` description (may be empty).
    markets
        The loaded markets.
    rate_limit_ms
        ccxt's ``rateLimit``: milliseconds between two requests.
    config
        The venue's configuration (its fee rates win over the markets').
    """
    order_types = {OrderType.LIMIT}
    if has.get("createMarketOrder", True):
        order_types.add(OrderType.MARKET)
    create = _spot_create_order_features(features)
    triggers = bool(create.get("triggerPrice")) or bool(has.get("createStopOrder"))
    if triggers or has.get("createStopMarketOrder"):
        order_types.add(OrderType.STOP)
    if triggers or has.get("createStopLimitOrder"):
        order_types.add(OrderType.STOP_LIMIT)
    # DAY is taken and sent as GTC: crypto venues trade around the clock.
    tifs = {TimeInForce.GTC, TimeInForce.DAY}
    flags = create.get("timeInForce")
    if isinstance(flags, dict):
        if flags.get("IOC"):
            tifs.add(TimeInForce.IOC)
        if flags.get("FOK"):
            tifs.add(TimeInForce.FOK)
    else:
        tifs |= {TimeInForce.IOC, TimeInForce.FOK}
    window_ns = max(1, int(rate_limit_ms * _NS_PER_MS))
    return VenueCapabilities(
        order_types=frozenset(order_types),
        time_in_force=frozenset(tifs),
        asset_classes=frozenset({AssetClass.CRYPTO_SPOT}),
        # ccxt's editOrder is a cancel-and-new on most spot venues (a new order id), not
        # the in-place replace the OMS means, so it is not offered.
        supports_replace=False,
        supports_market_data=bool(has.get("watchBidsAsks")),
        rate_limits=config.rate_limits
        or (
            RateLimitRule(
                name="ccxt-request-spacing", unit="requests", limit=1, window_ns=window_ns
            ),
        ),
        maker_fee=_rate(config.maker_fee, markets, "maker"),
        taker_fee=_rate(config.taker_fee, markets, "taker"),
    )
