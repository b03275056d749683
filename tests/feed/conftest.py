from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import nats
import pytest
from nats.aio.client import Client as NATS

from ordergate.domain.commands import SubmitOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from tests.fixtures import throwaway_server
from tests.oms.conftest import AAPL, oms, store, venue  # noqa: F401  (fixtures)
from tests.servers import NatsServer, NatsUnavailableError, start_nats

__all__ = ["AAPL", "order"]


def order(
    client_order_id: str,
    account: str = "ACC1",
    *,
    portfolio: str | None = None,
    strategy: str | None = None,
    quantity: str = "100",
    price: str = "190.00",
) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=client_order_id,
        account=account,
        portfolio=portfolio,
        strategy=strategy,
        symbol="AAPL",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(quantity),
        price=Decimal(price),
        time_in_force=TimeInForce.GTC,
    )


@pytest.fixture
def nats_server() -> Iterator[NatsServer]:
    """Run a throwaway nats-server with JetStream for one test."""
    yield from throwaway_server(start_nats, NatsUnavailableError, "nats-server")


@pytest.fixture
async def nats_connection(nats_server: NatsServer) -> AsyncIterator[NATS]:
    """Return a connection to the test's nats-server, drained at the end."""
    connection = await nats.connect(nats_server.url(), allow_reconnect=False)
    yield connection
    await connection.drain()
