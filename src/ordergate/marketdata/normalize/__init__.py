"""Venue normalizers: raw market data bytes -> :mod:`ordergate.marketdata.types` (pure)."""

from ordergate.marketdata.normalize.base import Normalizer
from ordergate.marketdata.normalize.binance import BinanceNormalizer, BinanceStream
from ordergate.marketdata.normalize.ccxt import CcxtNormalizer
from ordergate.marketdata.normalize.coinbase import CoinbaseNormalizer
from ordergate.marketdata.normalize.kraken import KrakenNormalizer, KrakenPair
from ordergate.marketdata.normalize.sim import SimNormalizer, sim_messages, ticker_of, trade_of

__all__ = [
    "BinanceNormalizer",
    "BinanceStream",
    "CcxtNormalizer",
    "CoinbaseNormalizer",
    "KrakenNormalizer",
    "KrakenPair",
    "Normalizer",
    "SimNormalizer",
    "sim_messages",
    "ticker_of",
    "trade_of",
]
