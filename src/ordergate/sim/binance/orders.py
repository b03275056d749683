"""Spot symbols, order records and the checks of POST /api/v3/order's parameters.

Pure. :func:`parse_new_order` turns the request's parameters into a :class:`NewOrder` or
raises the :class:`~ordergate.sim.binance.errors.ApiError` Binance would answer with, in
Binance's order: mandatory parameters (-1102), enum values (-1116 type, -1117 side,
-1115 timeInForce), number syntax (-1100, which is also what a negative number gets), the
symbol (-1121), then the symbol's filters (-1013 PRICE_FILTER / LOT_SIZE / NOTIONAL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import msgspec

from ordergate.domain.instrument import Instrument
from ordergate.domain.values import AssetClass, OrderType, Side, TimeInForce, is_multiple
from ordergate.sim.binance.errors import (
    ApiError,
    ErrorCode,
    filter_failure,
    illegal_chars,
    mandatory,
)
from ordergate.sim.binance.schemas import (
    LotSizeFilter,
    MarketLotSizeFilter,
    NotionalFilter,
    OrderFill,
    OrderResult,
    PriceFilter,
    SymbolInfo,
)

__all__ = [
    "NewOrder",
    "OrderRecord",
    "SpotSymbol",
    "default_symbols",
    "parse_decimal",
    "parse_new_order",
]

_NUMBER = re.compile(r"^[0-9]{1,20}(\.[0-9]{1,20})?$")
_CLIENT_ORDER_ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")
_ORDER_TYPES: dict[str, OrderType] = {
    "LIMIT": OrderType.LIMIT,
    "MARKET": OrderType.MARKET,
    "STOP_LOSS": OrderType.STOP,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
}
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
_TIFS = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
_RESP_TYPES = frozenset({"ACK", "RESULT", "FULL"})
_MAX = Decimal("9000000")


class SpotSymbol(msgspec.Struct, frozen=True, kw_only=True):
    """A spot pair the simulator lists, with its filters and where its market starts."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal = _MAX
    min_notional: Decimal
    start_price: Decimal

    def instrument(self) -> Instrument:
        """Return the matching engine's instrument for this pair."""
        return Instrument(
            symbol=self.symbol,
            asset_class=AssetClass.CRYPTO_SPOT,
            quote_currency=self.quote,
            base_currency=self.base,
            tick_size=self.tick_size,
            lot_size=self.step_size,
            min_quantity=self.min_qty,
            min_notional=self.min_notional,
        )

    def info(self) -> SymbolInfo:
        """Return the pair's entry in GET /api/v3/exchangeInfo."""
        return SymbolInfo(
            symbol=self.symbol,
            status="TRADING",
            baseAsset=self.base,
            baseAssetPrecision=8,
            quoteAsset=self.quote,
            quotePrecision=8,
            quoteAssetPrecision=8,
            baseCommissionPrecision=8,
            quoteCommissionPrecision=8,
            orderTypes=list(_ORDER_TYPES),
            filters=[
                PriceFilter(minPrice=self.tick_size, maxPrice=_MAX * 100, tickSize=self.tick_size),
                LotSizeFilter(minQty=self.min_qty, maxQty=self.max_qty, stepSize=self.step_size),
                MarketLotSizeFilter(minQty=Decimal(0), maxQty=self.max_qty, stepSize=Decimal(0)),
                NotionalFilter(
                    minNotional=self.min_notional,
                    applyMinToMarket=False,
                    maxNotional=_MAX * 1_000,
                    applyMaxToMarket=False,
                    avgPriceMins=5,
                ),
            ],
            permissions=[],
        )


def default_symbols() -> list[SpotSymbol]:
    """Return BTCUSDT and ETHUSDT with Binance-like filters."""
    return [
        SpotSymbol(
            symbol="BTCUSDT",
            base="BTC",
            quote="USDT",
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.00001"),
            min_qty=Decimal("0.00001"),
            min_notional=Decimal(5),
            start_price=Decimal("65000.00"),
        ),
        SpotSymbol(
            symbol="ETHUSDT",
            base="ETH",
            quote="USDT",
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.0001"),
            min_notional=Decimal(5),
            start_price=Decimal("3000.00"),
        ),
    ]


class NewOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A POST /api/v3/order that passed every check."""

    symbol: SpotSymbol
    client_order_id: str | None
    side: Side
    binance_type: str
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    response_type: str


class OrderRecord:
    """The simulator's record of one accepted order, in Binance's terms (mutable)."""

    __slots__ = (
        "cancel_requested",
        "client_order_id",
        "cumulative_quote",
        "executed",
        "fills",
        "order",
        "order_id",
        "status",
        "time_ms",
        "update_ms",
    )

    def __init__(self, order_id: int, client_order_id: str, order: NewOrder, now_ms: int) -> None:
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.order = order
        self.executed = Decimal(0)
        self.cumulative_quote = Decimal(0)
        self.status = "NEW"
        self.time_ms = now_ms
        self.update_ms = now_ms
        self.cancel_requested = False
        self.fills: list[OrderFill] = []  # of the request that placed it, for FULL responses

    @property
    def symbol(self) -> str:
        """Return the order's symbol."""
        return self.order.symbol.symbol

    @property
    def is_open(self) -> bool:
        """Return True while the order may still trade."""
        return self.status in ("NEW", "PARTIALLY_FILLED")

    @property
    def leaves(self) -> Decimal:
        """Return the quantity still open."""
        return self.order.quantity - self.executed if self.is_open else Decimal(0)

    def result(self, *, transact_ms: int | None = None, original: str | None = None) -> OrderResult:
        """Return the order as GET /api/v3/order shows it."""
        order = self.order
        tif = "GTC" if order.order_type is OrderType.STOP else order.time_in_force.value
        return OrderResult(
            symbol=self.symbol,
            orderId=self.order_id,
            orderListId=-1,
            clientOrderId=self.client_order_id,
            price=order.price or Decimal(0),
            origQty=order.quantity,
            executedQty=self.executed,
            cummulativeQuoteQty=self.cumulative_quote,
            status=self.status,
            timeInForce=tif,
            type=order.binance_type,
            side=order.side.value,
            stopPrice=order.stop_price or Decimal(0),
            icebergQty=Decimal(0),
            time=self.time_ms,
            updateTime=self.update_ms,
            isWorking=order.order_type not in (OrderType.STOP, OrderType.STOP_LIMIT),
            workingTime=self.time_ms,
            origQuoteOrderQty=Decimal(0),
            selfTradePreventionMode="NONE",
            transactTime=transact_ms,
            origClientOrderId=original,
        )


def parse_decimal(params: Mapping[str, str], name: str) -> Decimal | None:
    """Return parameter ``name`` as a Decimal, None when absent.

    Raises
    ------
    ApiError
        -1102 when it is empty, -1100 when it is not a plain non-negative decimal.
    """
    raw = params.get(name)
    if raw is None:
        return None
    if raw == "":
        raise mandatory(name)
    if not _NUMBER.match(raw):
        raise illegal_chars(name)
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise illegal_chars(name) from None


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise mandatory(name)
    return value


def parse_new_order(params: Mapping[str, str], symbols: Mapping[str, SpotSymbol]) -> NewOrder:
    """Check POST /api/v3/order's parameters; return the order they describe.

    Raises
    ------
    ApiError
        With Binance's code for the first problem found (see the module docstring).
    """
    symbol_name = _required(params, "symbol")
    side_name = _required(params, "side")
    type_name = _required(params, "type")
    order_type = _ORDER_TYPES.get(type_name)
    if order_type is None:
        raise ApiError(ErrorCode.INVALID_ORDER_TYPE, "Invalid orderType.")
    side = _SIDES.get(side_name)
    if side is None:
        raise ApiError(ErrorCode.INVALID_SIDE, "Invalid side.")
    priced = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    stopped = order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    if priced:
        _required(params, "timeInForce")
    quantity = parse_decimal(params, "quantity")
    if quantity is None:
        raise mandatory("quantity")
    price = parse_decimal(params, "price")
    if priced and price is None:
        raise mandatory("price")
    if not priced and price is not None:
        raise ApiError(ErrorCode.PARAM_NOT_REQUIRED, "Parameter 'price' sent when not required.")
    stop_price = parse_decimal(params, "stopPrice")
    if stopped and stop_price is None:
        raise mandatory("stopPrice")
    if not stopped and stop_price is not None:
        raise ApiError(
            ErrorCode.PARAM_NOT_REQUIRED, "Parameter 'stopPrice' sent when not required."
        )
    tif = TimeInForce.GTC if order_type is OrderType.STOP else TimeInForce.IOC
    if priced:
        tif_value = _TIFS.get(params["timeInForce"])
        if tif_value is None:
            raise ApiError(ErrorCode.INVALID_TIF, "Invalid timeInForce.")
        tif = tif_value
    client_order_id = params.get("newClientOrderId")
    if client_order_id is not None and not _CLIENT_ORDER_ID.match(client_order_id):
        raise illegal_chars("newClientOrderId")
    response_type = params.get("newOrderRespType", "FULL")
    if response_type not in _RESP_TYPES:
        raise ApiError(ErrorCode.INVALID_RESPONSE_TYPE, "Invalid newOrderRespType.")
    symbol = symbols.get(symbol_name)
    if symbol is None:
        raise ApiError(ErrorCode.BAD_SYMBOL, "Invalid symbol.")
    _check_filters(symbol, quantity, price, stop_price)
    return NewOrder(
        symbol=symbol,
        client_order_id=client_order_id,
        side=side,
        binance_type=type_name,
        order_type=order_type,
        time_in_force=tif,
        quantity=quantity,
        price=price,
        stop_price=stop_price,
        response_type=response_type,
    )


def _check_filters(
    symbol: SpotSymbol, quantity: Decimal, price: Decimal | None, stop_price: Decimal | None
) -> None:
    for value in (price, stop_price):
        if value is not None and (value <= 0 or not is_multiple(value, symbol.tick_size)):
            raise filter_failure("PRICE_FILTER")
    if (
        quantity < symbol.min_qty
        or quantity > symbol.max_qty
        or not is_multiple(quantity, symbol.step_size)
    ):
        raise filter_failure("LOT_SIZE")
    if price is not None and price * quantity < symbol.min_notional:
        raise filter_failure("NOTIONAL")
