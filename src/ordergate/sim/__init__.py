"""The simulated venue: a price-time priority matching engine, a seeded market, an adapter.

The engine (:class:`MatchingEngine`) and the market (:class:`SimulatedMarket`) are pure and
deterministic, driven by integer-nanosecond time and a seed; :class:`SimVenue` is the thin
asyncio :class:`~ordergate.venues.base.VenueAdapter` around them.
"""

from ordergate.sim.book import OrderBook
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.instruments import default_instruments, default_start_prices
from ordergate.sim.market import MarketConfig, SimulatedMarket
from ordergate.sim.venue import SimVenue

__all__ = [
    "MarketConfig",
    "MatchingEngine",
    "OrderBook",
    "SimVenue",
    "SimulatedMarket",
    "default_instruments",
    "default_start_prices",
]
