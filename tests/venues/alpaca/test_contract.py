"""The Alpaca adapter passes the venue adapter contract against the simulated Alpaca API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.venues.alpaca import AlpacaVenue
from tests.venues.contract import Harness, VenueAdapterContract


class TestAlpacaVenueContract(VenueAdapterContract):
    @pytest.fixture
    async def harness(self, venue: AlpacaVenue) -> AsyncIterator[Harness]:
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
