"""The FIX venue adapter passes the adapter contract against the simulated FIX exchange.

Each run logs on over a real loopback FIX session, FIX 4.2 and FIX 4.4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from ordergate.clock import LiveClock
from ordergate.fix.transport import url_stores
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.sim.fix import SimFixExchange, acceptor_session
from ordergate.sim.instruments import default_instruments, default_start_prices
from tests.venues.contract import Harness, VenueAdapterContract


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
class TestFixVenueContract(VenueAdapterContract):
    @pytest.fixture
    async def harness(self, begin_string: str, tmp_path: Path) -> AsyncIterator[Harness]:
        exchange = SimFixExchange(
            default_instruments(), start_prices=default_start_prices(), seed=5
        )
        stores = url_stores(f"sqlite:///{tmp_path}/fix.db")
        await exchange.start(
            [acceptor_session(begin_string, "EXCH", "OGATE")], store_factory=stores
        )
        venue = FixVenue(
            FixVenueConfig(
                name="FIXSIM",
                begin_string=begin_string,
                sender_comp_id="OGATE",
                target_comp_id="EXCH",
                endpoints=[("127.0.0.1", exchange.port)],
            ),
            clock=LiveClock(),
            store_factory=stores,
        )
        await venue.connect()
        harness = Harness(
            adapter=venue,
            symbol="AAPL",
            quantity=Decimal(5),
            resting_buy_price=Decimal("100.00"),
            marketable_buy_price=Decimal("250.00"),
        )
        try:
            yield harness
        finally:
            await venue.disconnect()
            await harness.reports.close()
            await exchange.stop()
