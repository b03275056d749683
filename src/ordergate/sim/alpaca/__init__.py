"""A simulated Alpaca trading API: REST v2 and the trade updates stream, on loopback.

Built on the pure :class:`~ordergate.sim.engine.MatchingEngine` and
:class:`~ordergate.sim.market.SimulatedMarket`; :class:`AlpacaBroker` is the pure core that
adds Alpaca's order model, and :class:`AlpacaSimServer` serves it with uvicorn.
"""

from ordergate.sim.alpaca.broker import AlpacaBroker
from ordergate.sim.alpaca.checks import AlpacaApiError
from ordergate.sim.alpaca.faults import Faults
from ordergate.sim.alpaca.server import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer

__all__ = [
    "DEFAULT_KEY_ID",
    "DEFAULT_SECRET_KEY",
    "AlpacaApiError",
    "AlpacaBroker",
    "AlpacaSimServer",
    "Faults",
]
