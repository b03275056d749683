"""The in-process simulated venue passes the adapter contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.clock import LiveClock
from ordergate.sim.venue import SimVenue
from tests.venues.contract import Harness, VenueAdapterContract


class TestSimVenueContract(VenueAdapterContract):
    @pytest.fixture
    async def harness(self) -> AsyncIterator[Harness]:
        venue = SimVenue(clock=LiveClock(), seed=3, step_interval_ns=0)
        await venue.connect()
        venue.step_market()  # the simulated market quotes both sides
        harness = Harness(
            adapter=venue,
            symbol="AAPL",
            quantity=Decimal(5),
            resting_buy_price=Decimal("100.00"),
            marketable_buy_price=Decimal("250.00"),
        )
        yield harness
        await venue.disconnect()
        await harness.reports.close()
