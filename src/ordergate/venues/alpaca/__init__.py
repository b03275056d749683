"""Alpaca as a venue: US equities over alpaca-py's ``TradingClient`` and ``TradingStream``.

Build it with :class:`AlpacaVenueConfig` and :class:`AlpacaVenue`; point ``base_url`` at
:class:`ordergate.sim.alpaca.AlpacaSimServer` to run against the simulator.
"""

from ordergate.venues.alpaca.capabilities import ALPACA_CAPABILITIES
from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.alpaca.execution import AlpacaVenue

__all__ = ["ALPACA_CAPABILITIES", "AlpacaVenue", "AlpacaVenueConfig"]
