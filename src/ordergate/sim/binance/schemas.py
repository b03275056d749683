"""The JSON the simulated Binance spot API returns, as frozen msgspec structs.

Field names and shapes follow Binance's spot REST API and user data stream, because real
clients (ccxt's ``binance`` class) parse them. Prices and quantities are ``Decimal`` and
msgspec encodes them as JSON strings, as Binance does; times are integer milliseconds.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = [
    "AccountInfo",
    "Balance",
    "BookTicker",
    "Depth",
    "DepthUpdate",
    "ErrorBody",
    "ExchangeInfo",
    "ExecutionReportEvent",
    "Filter",
    "LotSizeFilter",
    "MarketLotSizeFilter",
    "NotionalFilter",
    "OrderAck",
    "OrderFill",
    "OrderFull",
    "OrderResult",
    "PriceFilter",
    "RateLimitInfo",
    "ServerTime",
    "SymbolInfo",
    "TradeEvent",
    "UserTrade",
]


class ErrorBody(msgspec.Struct, frozen=True):
    """Binance's error body: ``{"code": -1013, "msg": "..."}``."""

    code: int
    msg: str


class ServerTime(msgspec.Struct, frozen=True):
    """GET /api/v3/time."""

    serverTime: int  # Binance's field name


class PriceFilter(msgspec.Struct, frozen=True, tag_field="filterType", tag="PRICE_FILTER"):
    """Tick size and price range of a symbol."""

    minPrice: Decimal
    maxPrice: Decimal
    tickSize: Decimal


class LotSizeFilter(msgspec.Struct, frozen=True, tag_field="filterType", tag="LOT_SIZE"):
    """Step size and quantity range of a symbol."""

    minQty: Decimal
    maxQty: Decimal
    stepSize: Decimal


class MarketLotSizeFilter(
    msgspec.Struct, frozen=True, tag_field="filterType", tag="MARKET_LOT_SIZE"
):
    """Quantity range of a symbol's MARKET orders."""

    minQty: Decimal
    maxQty: Decimal
    stepSize: Decimal


class NotionalFilter(msgspec.Struct, frozen=True, tag_field="filterType", tag="NOTIONAL"):
    """Smallest (and largest) price x quantity of an order."""

    minNotional: Decimal
    applyMinToMarket: bool
    maxNotional: Decimal
    applyMaxToMarket: bool
    avgPriceMins: int


Filter = PriceFilter | LotSizeFilter | MarketLotSizeFilter | NotionalFilter


class SymbolInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of ``symbols`` in GET /api/v3/exchangeInfo."""

    symbol: str
    status: str
    baseAsset: str
    baseAssetPrecision: int
    quoteAsset: str
    quotePrecision: int
    quoteAssetPrecision: int
    baseCommissionPrecision: int
    quoteCommissionPrecision: int
    orderTypes: list[str]
    icebergAllowed: bool = False
    ocoAllowed: bool = False
    otoAllowed: bool = False
    quoteOrderQtyMarketAllowed: bool = False
    allowTrailingStop: bool = False
    cancelReplaceAllowed: bool = False
    amendAllowed: bool = False
    isSpotTradingAllowed: bool = True
    isMarginTradingAllowed: bool = False
    filters: list[Filter]
    permissions: list[str] = msgspec.field(default_factory=list)
    permissionSets: list[list[str]] = msgspec.field(default_factory=lambda: [["SPOT"]])
    defaultSelfTradePreventionMode: str = "NONE"
    allowedSelfTradePreventionModes: list[str] = msgspec.field(default_factory=lambda: ["NONE"])


class RateLimitInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of ``rateLimits`` in GET /api/v3/exchangeInfo."""

    rateLimitType: str
    interval: str
    intervalNum: int
    limit: int


class ExchangeInfo(msgspec.Struct, frozen=True, kw_only=True):
    """GET /api/v3/exchangeInfo."""

    timezone: str
    serverTime: int
    rateLimits: list[RateLimitInfo]
    exchangeFilters: list[str]
    symbols: list[SymbolInfo]


class Depth(msgspec.Struct, frozen=True, kw_only=True):
    """GET /api/v3/depth and the partial book streams ``<symbol>@depth<levels>``."""

    lastUpdateId: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class BookTicker(msgspec.Struct, frozen=True, kw_only=True):
    """GET /api/v3/ticker/bookTicker, and (with ``u``) the ``<symbol>@bookTicker`` stream."""

    symbol: str
    bidPrice: Decimal
    bidQty: Decimal
    askPrice: Decimal
    askQty: Decimal


class OrderAck(msgspec.Struct, frozen=True, kw_only=True):
    """POST /api/v3/order with ``newOrderRespType=ACK``."""

    symbol: str
    orderId: int
    orderListId: int
    clientOrderId: str
    transactTime: int


class OrderFill(msgspec.Struct, frozen=True, kw_only=True):
    """One fill in a FULL order response."""

    price: Decimal
    qty: Decimal
    commission: Decimal
    commissionAsset: str
    tradeId: int


class OrderResult(msgspec.Struct, frozen=True, kw_only=True):
    """An order as GET/DELETE /api/v3/order and the RESULT order response show it."""

    symbol: str
    orderId: int
    orderListId: int
    clientOrderId: str
    price: Decimal
    origQty: Decimal
    executedQty: Decimal
    cummulativeQuoteQty: Decimal  # Binance's spelling
    status: str
    timeInForce: str
    type: str
    side: str
    stopPrice: Decimal
    icebergQty: Decimal
    time: int
    updateTime: int
    isWorking: bool
    workingTime: int
    origQuoteOrderQty: Decimal
    selfTradePreventionMode: str
    transactTime: int | None = None
    origClientOrderId: str | None = None  # on cancel responses only


class OrderFull(OrderResult, frozen=True, kw_only=True):
    """POST /api/v3/order with ``newOrderRespType=FULL``: the result plus its fills."""

    fills: list[OrderFill]


class UserTrade(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of GET /api/v3/myTrades."""

    symbol: str
    id: int
    orderId: int
    orderListId: int
    price: Decimal
    qty: Decimal
    quoteQty: Decimal
    commission: Decimal
    commissionAsset: str
    time: int
    isBuyer: bool
    isMaker: bool
    isBestMatch: bool


class Balance(msgspec.Struct, frozen=True):
    """One asset of GET /api/v3/account."""

    asset: str
    free: Decimal
    locked: Decimal


class AccountInfo(msgspec.Struct, frozen=True, kw_only=True):
    """GET /api/v3/account."""

    makerCommission: int
    takerCommission: int
    buyerCommission: int
    sellerCommission: int
    canTrade: bool
    canWithdraw: bool
    canDeposit: bool
    brokered: bool
    requireSelfTradePrevention: bool
    preventSor: bool
    updateTime: int
    accountType: str
    balances: list[Balance]
    permissions: list[str]
    uid: int


class ExecutionReportEvent(msgspec.Struct, frozen=True, kw_only=True):
    """The user data stream's ``executionReport`` event (one per order change)."""

    e: str = msgspec.field(default="executionReport", name="e")
    event_time: int = msgspec.field(name="E")
    symbol: str = msgspec.field(name="s")
    client_order_id: str = msgspec.field(name="c")
    side: str = msgspec.field(name="S")
    order_type: str = msgspec.field(name="o")
    time_in_force: str = msgspec.field(name="f")
    quantity: Decimal = msgspec.field(name="q")
    price: Decimal = msgspec.field(name="p")
    stop_price: Decimal = msgspec.field(name="P")
    iceberg_quantity: Decimal = msgspec.field(default=Decimal(0), name="F")
    order_list_id: int = msgspec.field(default=-1, name="g")
    original_client_order_id: str = msgspec.field(default="", name="C")
    execution_type: str = msgspec.field(name="x")
    status: str = msgspec.field(name="X")
    reject_reason: str = msgspec.field(default="NONE", name="r")
    order_id: int = msgspec.field(name="i")
    last_quantity: Decimal = msgspec.field(name="l")
    cumulative_quantity: Decimal = msgspec.field(name="z")
    last_price: Decimal = msgspec.field(name="L")
    commission: Decimal = msgspec.field(name="n")
    commission_asset: str | None = msgspec.field(name="N")
    transaction_time: int = msgspec.field(name="T")
    trade_id: int = msgspec.field(name="t")
    ignore_id: int = msgspec.field(default=0, name="I")
    is_working: bool = msgspec.field(name="w")
    is_maker: bool = msgspec.field(name="m")
    ignore_flag: bool = msgspec.field(default=False, name="M")
    created_time: int = msgspec.field(name="O")
    cumulative_quote: Decimal = msgspec.field(name="Z")
    last_quote: Decimal = msgspec.field(name="Y")
    quote_order_quantity: Decimal = msgspec.field(default=Decimal(0), name="Q")
    working_time: int = msgspec.field(name="W")
    self_trade_prevention: str = msgspec.field(default="NONE", name="V")


class TradeEvent(msgspec.Struct, frozen=True, kw_only=True):
    """The ``<symbol>@trade`` market stream event."""

    e: str = msgspec.field(default="trade", name="e")
    event_time: int = msgspec.field(name="E")
    symbol: str = msgspec.field(name="s")
    trade_id: int = msgspec.field(name="t")
    price: Decimal = msgspec.field(name="p")
    quantity: Decimal = msgspec.field(name="q")
    trade_time: int = msgspec.field(name="T")
    buyer_is_maker: bool = msgspec.field(name="m")
    ignore: bool = msgspec.field(default=True, name="M")


class DepthUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """The ``<symbol>@depth`` diff stream event: levels that changed (quantity 0: gone)."""

    e: str = msgspec.field(default="depthUpdate", name="e")
    event_time: int = msgspec.field(name="E")
    symbol: str = msgspec.field(name="s")
    first_update_id: int = msgspec.field(name="U")
    final_update_id: int = msgspec.field(name="u")
    bids: list[tuple[Decimal, Decimal]] = msgspec.field(name="b")
    asks: list[tuple[Decimal, Decimal]] = msgspec.field(name="a")
