"""Fills: one execution of part of an order at a venue."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ordergate.domain.events import OrderFilled, OrderPartiallyFilled
from ordergate.domain.values import Liquidity, Side

__all__ = ["Fill"]


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    """An execution: ``execution_id`` is the venue's ExecID(17), unique per venue."""

    execution_id: str
    order_id: str
    account: str
    symbol: str
    side: Side
    venue: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str | None
    liquidity: Liquidity | None
    ts_event: int

    @classmethod
    def from_event(
        cls, event: OrderPartiallyFilled | OrderFilled, account: str, symbol: str, side: Side
    ) -> Fill:
        """Build the fill an order fill event records."""
        return cls(
            execution_id=event.execution_id,
            order_id=event.order_id,
            account=account,
            symbol=symbol,
            side=side,
            venue=event.venue,
            quantity=event.last_quantity,
            price=event.last_price,
            fee=event.fee,
            fee_currency=event.fee_currency,
            liquidity=event.liquidity,
            ts_event=event.ts_event,
        )
