"""The ccxt adapter passes the contract through ccxt's binance class and the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.venues.ccxt import CcxtVenue
from tests.venues.contract import Harness, VenueAdapterContract


class TestCcxtBinanceContract(VenueAdapterContract):
    @pytest.fixture
    async def harness(self, venue: CcxtVenue) -> AsyncIterator[Harness]:
        harness = Harness(
            adapter=venue,
            symbol="BTC-USD",
            quantity=Decimal("0.001"),
            resting_buy_price=Decimal("60000.00"),
            marketable_buy_price=Decimal("70000.00"),
            unknown_symbol="NOPE-USD",
        )
        yield harness
        await harness.reports.close()
