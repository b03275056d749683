"""Construction of the ccxt exchange object a :class:`CcxtVenueConfig` describes."""

from __future__ import annotations

from typing import Any

import ccxt.async_support
import ccxt.pro

from ordergate.venues.ccxt.config import CcxtVenueConfig

__all__ = ["create_exchange"]


def create_exchange(config: CcxtVenueConfig) -> Any:
    """Return the ``ccxt.pro`` exchange object a config describes (not connected yet).

    Raises
    ------
    ValueError
        If ccxt has no (websocket-capable or REST) exchange of that id.
    """
    # ccxt.pro has the websocket-capable class; ccxt.async_support every exchange.
    cls = getattr(ccxt.pro, config.exchange_id, None)
    if cls is None:
        cls = getattr(ccxt.async_support, config.exchange_id, None)
    if cls is None:
        raise ValueError(f"ccxt has no exchange {config.exchange_id!r}")
    settings: dict[str, Any] = {
        "apiKey": config.api_key,
        "secret": config.secret,
        "timeout": config.timeout_ms,
        # ccxt's own throttle spaces every request by its cost (about 10 ms per Binance
        # order); a venue whose config states its published limits is paced by ordergate's
        # limiter instead (shared between instances, cancels first), so ccxt's is off there.
        "enableRateLimit": not config.rate_limits,
        "options": dict(config.options),
    }
    if config.password is not None:
        settings["password"] = config.password
    exchange = cls(settings)
    if config.api_urls:
        exchange.urls["api"] = {**exchange.urls.get("api", {}), **config.api_urls}
    exchange.number = str  # every amount as the exchange's decimal string, never a float
    if config.close_wait_ms is not None:
        exchange.timeout_on_exit = config.close_wait_ms
    return exchange
