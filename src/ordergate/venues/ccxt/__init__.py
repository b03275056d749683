"""Venue adapter over ccxt (``ccxt.pro``): any ccxt exchange, presets for Binance, Coinbase, Kraken.

Build one with ``CcxtVenue(binance_config(key, secret))``, or against the simulated Binance
with ``CcxtVenue(binance_sim_config(server.url, server.ws_url))``.
"""

from ordergate.venues.ccxt.capabilities import capabilities_of
from ordergate.venues.ccxt.config import (
    CcxtVenueConfig,
    binance_config,
    binance_sim_config,
    coinbase_config,
    kraken_config,
)
from ordergate.venues.ccxt.errors import ERROR_KINDS, classify
from ordergate.venues.ccxt.execution import CcxtVenue
from ordergate.venues.ccxt.factories import create_exchange

__all__ = [
    "ERROR_KINDS",
    "CcxtVenue",
    "CcxtVenueConfig",
    "binance_config",
    "binance_sim_config",
    "capabilities_of",
    "classify",
    "coinbase_config",
    "create_exchange",
    "kraken_config",
]
