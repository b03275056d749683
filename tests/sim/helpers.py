"""Builders and small report helpers shared by the simulated venue's tests."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import AssetClass, OrderType, Side, TimeInForce

T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z, after that day's 21:00Z session close
SECOND = 1_000_000_000

AAPL = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.EQUITY,
    quote_currency="USD",
    tick_size=Decimal("0.01"),
    lot_size=Decimal(1),
    min_quantity=Decimal(1),
)
BTC = Instrument(
    symbol="BTC-USD",
    asset_class=AssetClass.CRYPTO_SPOT,
    quote_currency="USD",
    base_currency="BTC",
    tick_size=Decimal("0.01"),
    lot_size=Decimal("0.00001"),
    min_quantity=Decimal("0.00001"),
    min_notional=Decimal(1),
)


def order(
    order_id: str,
    side: str,
    quantity: str,
    order_type: OrderType = OrderType.LIMIT,
    price: str | None = None,
    *,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    symbol: str = "AAPL",
    expire_time: int | None = None,
) -> VenueOrder:
    """Build a VenueOrder from short string arguments."""
    return VenueOrder(
        order_id=order_id,
        account="ACC-1",
        symbol=symbol,
        side=Side(side),
        order_type=order_type,
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
        stop_price=None if stop is None else Decimal(stop),
        time_in_force=tif,
        expire_time=expire_time,
    )


def limit(
    order_id: str,
    side: str,
    quantity: str,
    price: str,
    *,
    tif: TimeInForce = TimeInForce.GTC,
    symbol: str = "AAPL",
    expire_time: int | None = None,
) -> VenueOrder:
    """Build a LIMIT order."""
    return order(
        order_id,
        side,
        quantity,
        OrderType.LIMIT,
        price,
        tif=tif,
        symbol=symbol,
        expire_time=expire_time,
    )


def market(
    order_id: str,
    side: str,
    quantity: str,
    *,
    tif: TimeInForce = TimeInForce.IOC,
    symbol: str = "AAPL",
) -> VenueOrder:
    """Build a MARKET order."""
    return order(order_id, side, quantity, OrderType.MARKET, tif=tif, symbol=symbol)


def kinds(reports: list[ExecutionReport]) -> list[tuple[ExecKind, str]]:
    """Return (kind, order id) of each report: the shape most assertions need."""
    return [(r.kind, r.order_id) for r in reports]


def fills(
    reports: list[ExecutionReport], order_id: str
) -> list[tuple[Decimal | None, Decimal | None]]:
    """Return (last quantity, last price) of each TRADE report of ``order_id``."""
    return [
        (r.last_quantity, r.last_price)
        for r in reports
        if r.kind is ExecKind.TRADE and r.order_id == order_id
    ]


def only(reports: list[ExecutionReport], kind: ExecKind) -> list[ExecutionReport]:
    """Return the reports of one kind."""
    return [r for r in reports if r.kind is kind]
