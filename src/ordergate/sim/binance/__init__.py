"""A Binance-compatible simulated spot exchange: real HTTP + WebSocket on loopback.

Binance's own paths, parameters, JSON and error codes, so real clients (ccxt's ``binance``
class, with its URLs pointed here) trade against the shared matching engine. Start one with
``server = BinanceSimServer(); await server.start()``; ``server.url`` is the REST base and
``server.ws_url`` the WebSocket base; the default API key is ``simkey``, secret ``simsecret``.
"""

from ordergate.sim.binance.errors import ApiError, ErrorCode
from ordergate.sim.binance.exchange import SpotExchange
from ordergate.sim.binance.faults import Faults
from ordergate.sim.binance.orders import SpotSymbol, default_symbols
from ordergate.sim.binance.ratelimit import WeightLimiter
from ordergate.sim.binance.server import BinanceSimServer, create_app
from ordergate.sim.binance.state import DEFAULT_API_KEY, DEFAULT_API_SECRET, BinanceSim

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "ApiError",
    "BinanceSim",
    "BinanceSimServer",
    "ErrorCode",
    "Faults",
    "SpotExchange",
    "SpotSymbol",
    "WeightLimiter",
    "create_app",
    "default_symbols",
]
