"""The connection manager's liveness probe for a ccxt venue: the exchange's time.

The default probe asks for every open order; on Binance an all-symbols open-orders query
costs as much request weight as dozens of orders, and sent every second it would spend the
budget the orders need. The exchange's time is the lightest request there is.
"""

from __future__ import annotations

from ordergate.venues.base import VenueAdapter
from ordergate.venues.ccxt.execution import CcxtVenue

__all__ = ["ping_probe"]


async def ping_probe(adapter: VenueAdapter) -> object:
    """Ask a ccxt venue for the exchange's time.

    Raises
    ------
    TypeError
        If ``adapter`` is not a :class:`CcxtVenue`.
    VenueError
        When the exchange does not answer.
    """
    if not isinstance(adapter, CcxtVenue):
        raise TypeError(f"ping_probe probes ccxt venues, not {type(adapter).__name__}")
    return await adapter.ping()
