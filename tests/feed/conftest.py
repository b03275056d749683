from __future__ import annotations

from decimal import Decimal

from ordergate.domain.commands import SubmitOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from tests.oms.conftest import AAPL, oms, store, venue  # noqa: F401  (fixtures)

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
