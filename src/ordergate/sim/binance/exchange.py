"""The simulated Binance spot exchange's state: one account, its orders, trades and balances.

Theory of operation
-------------------
:class:`SpotExchange` is pure: every call takes the time as integer nanoseconds and returns
what Binance would answer plus the user data stream events the call caused; it never reads
a clock or touches a socket. Matching is the shared
:class:`~ordergate.sim.engine.MatchingEngine` (orders keyed by their ``clientOrderId``), kept
liquid by a seeded :class:`~ordergate.sim.market.SimulatedMarket`; this class only
translates between Binance's vocabulary and the engine's reports:

- a new order is checked (:func:`~ordergate.sim.binance.orders.parse_new_order`, then the
  account's free balance), given the next numeric ``orderId`` and submitted;
- every engine report becomes an ``executionReport`` event: ACCEPTED -> NEW, TRADE -> TRADE
  (balances move, a ``myTrades`` entry is kept), CANCELED -> CANCELED when the client asked
  for it and EXPIRED otherwise (Binance's word for an IOC/FOK/MARKET remainder), EXPIRED ->
  EXPIRED.

Invariants: a ``clientOrderId`` names at most one order ever (a reuse is -2010
"Duplicate order sent." and changes nothing); a refused request changes nothing; free
balances never go negative through an order the account could not cover.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal

from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import Liquidity, OrderType, Side
from ordergate.sim.binance.errors import ApiError, ErrorCode, mandatory
from ordergate.sim.binance.orders import NewOrder, OrderRecord, SpotSymbol, parse_new_order
from ordergate.sim.binance.schemas import (
    AccountInfo,
    Balance,
    BookTicker,
    Depth,
    ExecutionReportEvent,
    OrderAck,
    OrderFill,
    OrderFull,
    OrderResult,
    UserTrade,
)
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.market import MarketConfig, SimulatedMarket

__all__ = ["SpotExchange"]

_NS_PER_MS = 1_000_000
_ZERO = Decimal(0)
_ACCOUNT = "BINANCE-SPOT"


def default_balances() -> dict[str, Decimal]:
    """Return the simulated account's starting balances."""
    return {"USDT": Decimal(1_000_000), "BTC": Decimal(10), "ETH": Decimal(100)}


class SpotExchange:
    """One spot account at a simulated Binance.

    Parameters
    ----------
    symbols
        The pairs listed.
    balances
        Starting balance by asset.
    seed
        Seed of the simulated market.
    maker_fee_rate, taker_fee_rate
        Fees as a fraction of notional, charged in the quote asset.
    market_config
        Behaviour of the simulated market.
    """

    def __init__(
        self,
        symbols: Iterable[SpotSymbol],
        balances: Mapping[str, Decimal] | None = None,
        *,
        seed: int = 0,
        maker_fee_rate: Decimal = Decimal("0.001"),
        taker_fee_rate: Decimal = Decimal("0.001"),
        market_config: MarketConfig | None = None,
    ) -> None:
        self.symbols = {s.symbol: s for s in symbols}
        instruments = [s.instrument() for s in self.symbols.values()]
        self.maker_fee_rate = maker_fee_rate
        self.taker_fee_rate = taker_fee_rate
        self.engine = MatchingEngine(
            instruments,
            venue="BINANCE",
            maker_fee_rate=maker_fee_rate,
            taker_fee_rate=taker_fee_rate,
        )
        self.market = SimulatedMarket(
            self.engine,
            instruments,
            {s.symbol: s.start_price for s in self.symbols.values()},
            seed=seed,
            config=market_config,
        )
        self._balances = dict(default_balances() if balances is None else balances)
        self._records: dict[str, OrderRecord] = {}
        self._by_id: dict[int, OrderRecord] = {}
        self._trades: list[UserTrade] = []
        self._order_ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self._generated_ids = itertools.count(1)
        self._update_id = 0

    # ---- orders ------------------------------------------------------------------------

    def new_order(
        self, params: Mapping[str, str], now_ns: int
    ) -> tuple[OrderAck | OrderResult, list[ExecutionReportEvent]]:
        """Place an order (POST /api/v3/order); return the response and the stream events.

        Raises
        ------
        ApiError
            When Binance would refuse it; nothing has changed then.
        """
        order = parse_new_order(params, self.symbols)
        client_order_id = order.client_order_id or f"sim{next(self._generated_ids):019d}"
        if client_order_id in self._records:
            raise ApiError(ErrorCode.NEW_ORDER_REJECTED, "Duplicate order sent.")
        self._check_funds(order)
        now_ms = now_ns // _NS_PER_MS
        record = OrderRecord(next(self._order_ids), client_order_id, order, now_ms)
        venue_order = VenueOrder(
            order_id=client_order_id,
            account=_ACCOUNT,
            symbol=order.symbol.symbol,
            side=order.side,
            order_type=order.order_type,
            quantity=order.quantity,
            price=order.price,
            stop_price=order.stop_price,
            time_in_force=order.time_in_force,
        )
        reports = self.engine.submit(venue_order, now_ns)
        if reports and reports[0].kind is ExecKind.REJECTED:
            raise ApiError(ErrorCode.NEW_ORDER_REJECTED, reports[0].reason or "Order rejected.")
        self._records[client_order_id] = record
        self._by_id[record.order_id] = record
        events = self._apply(reports, now_ms)
        return self._order_response(record, now_ms), events

    def cancel_order(
        self, params: Mapping[str, str], now_ns: int
    ) -> tuple[OrderResult, list[ExecutionReportEvent]]:
        """Cancel an open order (DELETE /api/v3/order) by ``orderId`` or ``origClientOrderId``.

        Raises
        ------
        ApiError
            -1121 for an unknown symbol, -2011 "Unknown order sent." when no such order is
            open.
        """
        record = self._find(params, ErrorCode.CANCEL_REJECTED, "Unknown order sent.")
        if not record.is_open:
            raise ApiError(ErrorCode.CANCEL_REJECTED, "Unknown order sent.")
        now_ms = now_ns // _NS_PER_MS
        record.cancel_requested = True
        events = self._apply(self.engine.cancel(record.client_order_id, now_ns), now_ms)
        original = record.client_order_id
        return record.result(transact_ms=now_ms, original=original), events

    def cancel_open_orders(
        self, params: Mapping[str, str], now_ns: int
    ) -> tuple[list[OrderResult], list[ExecutionReportEvent]]:
        """Cancel every open order of a symbol (DELETE /api/v3/openOrders).

        Raises
        ------
        ApiError
            -1102 without ``symbol``, -1121 for an unknown one, -2011 when none is open.
        """
        symbol = self._required_symbol(params)
        records = [r for r in self._records.values() if r.is_open and r.symbol == symbol]
        if not records:
            raise ApiError(ErrorCode.CANCEL_REJECTED, "Unknown order sent.")
        results: list[OrderResult] = []
        events: list[ExecutionReportEvent] = []
        for record in records:
            result, caused = self.cancel_order(
                {"symbol": symbol, "origClientOrderId": record.client_order_id}, now_ns
            )
            results.append(result)
            events += caused
        return results, events

    def query_order(self, params: Mapping[str, str]) -> OrderResult:
        """Return one order (GET /api/v3/order) by ``orderId`` or ``origClientOrderId``.

        Raises
        ------
        ApiError
            -1121 for an unknown symbol, -2013 "Order does not exist." for an unknown order.
        """
        return self._find(params, ErrorCode.NO_SUCH_ORDER, "Order does not exist.").result()

    def open_orders(self, params: Mapping[str, str]) -> list[OrderResult]:
        """Return the open orders, of one symbol or all (GET /api/v3/openOrders)."""
        symbol = self._symbol(params, required=False)
        return [
            r.result()
            for r in self._records.values()
            if r.is_open and (symbol is None or r.symbol == symbol)
        ]

    def all_orders(self, params: Mapping[str, str]) -> list[OrderResult]:
        """Return the account's orders in a symbol, open or not (GET /api/v3/allOrders).

        ``orderId`` (from that id on), ``startTime``, ``endTime`` and ``limit`` (default
        500, at most 1000) narrow the list as on Binance.
        """
        symbol = self._required_symbol(params)
        from_id = _int_param(params, "orderId")
        start = _int_param(params, "startTime")
        end = _int_param(params, "endTime")
        limit = min(_int_param(params, "limit") or 500, 1_000)
        records = [
            r
            for r in self._records.values()
            if r.symbol == symbol
            and (from_id is None or r.order_id >= from_id)
            and (start is None or r.time_ms >= start)
            and (end is None or r.time_ms <= end)
        ]
        return [r.result() for r in records[:limit]]

    def my_trades(self, params: Mapping[str, str]) -> list[UserTrade]:
        """Return the account's trades in a symbol (GET /api/v3/myTrades), oldest first.

        ``orderId``, ``startTime``, ``endTime``, ``fromId`` and ``limit`` (default 500, at
        most 1000) narrow the list as on Binance.
        """
        symbol = self._required_symbol(params)
        order_id = _int_param(params, "orderId")
        start = _int_param(params, "startTime")
        end = _int_param(params, "endTime")
        from_id = _int_param(params, "fromId")
        limit = min(_int_param(params, "limit") or 500, 1_000)
        trades = [
            t
            for t in self._trades
            if t.symbol == symbol
            and (order_id is None or t.orderId == order_id)
            and (start is None or t.time >= start)
            and (end is None or t.time <= end)
            and (from_id is None or t.id >= from_id)
        ]
        return trades[:limit]

    # ---- account and market ------------------------------------------------------------

    def account(self, now_ns: int) -> AccountInfo:
        """Return the account and its balances (GET /api/v3/account)."""
        locked = self._locked()
        balances = [
            Balance(asset, total - locked.get(asset, _ZERO), locked.get(asset, _ZERO))
            for asset, total in sorted(self._balances.items())
        ]
        return AccountInfo(
            makerCommission=int(self.maker_fee_rate * 10_000),
            takerCommission=int(self.taker_fee_rate * 10_000),
            buyerCommission=0,
            sellerCommission=0,
            canTrade=True,
            canWithdraw=False,
            canDeposit=False,
            brokered=False,
            requireSelfTradePrevention=False,
            preventSor=False,
            updateTime=now_ns // _NS_PER_MS,
            accountType="SPOT",
            balances=balances,
            permissions=["SPOT"],
            uid=1,
        )

    def step_market(self, now_ns: int) -> list[ExecutionReportEvent]:
        """Step the simulated market once; return the events its trades with our orders caused."""
        return self._apply(self.market.step(now_ns), now_ns // _NS_PER_MS)

    def depth(self, symbol: str, limit: int) -> Depth:
        """Return the top ``limit`` levels of each side of ``symbol`` (GET /api/v3/depth)."""
        book = self.engine.book(symbol)
        return Depth(
            lastUpdateId=self.update_id,
            bids=book.depth(Side.BUY, limit),
            asks=book.depth(Side.SELL, limit),
        )

    def book_ticker(self, symbol: str) -> BookTicker:
        """Return the best bid and offer of ``symbol`` (GET /api/v3/ticker/bookTicker)."""
        quote = self.engine.top_of_book(symbol)
        return BookTicker(
            symbol=symbol,
            bidPrice=quote.bid_price or _ZERO,
            bidQty=quote.bid_size,
            askPrice=quote.ask_price or _ZERO,
            askQty=quote.ask_size,
        )

    @property
    def update_id(self) -> int:
        """Return the book update id: it grows with every call that can change a book."""
        return self._update_id

    def touch(self) -> int:
        """Advance and return the book update id (after anything that may move the books)."""
        self._update_id += 1
        return self._update_id

    def record_of(self, client_order_id: str) -> OrderRecord | None:
        """Return the record of an order by its client order id, for tests and tools."""
        return self._records.get(client_order_id)

    @property
    def orders_placed(self) -> int:
        """Return how many orders the account ever placed (accepted by the venue)."""
        return len(self._records)

    def unknown_fill_event(
        self, client_order_id: str, symbol: str, now_ns: int
    ) -> ExecutionReportEvent:
        """Return a TRADE event for an order the exchange never had (fault injection)."""
        now_ms = now_ns // _NS_PER_MS
        pair = self.symbols[symbol]
        price = pair.start_price
        quantity = pair.min_qty * 10
        return ExecutionReportEvent(
            event_time=now_ms,
            symbol=symbol,
            client_order_id=client_order_id,
            side="BUY",
            order_type="LIMIT",
            time_in_force="GTC",
            quantity=quantity,
            price=price,
            stop_price=_ZERO,
            execution_type="TRADE",
            status="FILLED",
            order_id=10_000_000 + next(self._order_ids),
            last_quantity=quantity,
            cumulative_quantity=quantity,
            last_price=price,
            commission=_ZERO,
            commission_asset=pair.quote,
            transaction_time=now_ms,
            trade_id=10_000_000 + next(self._trade_ids),
            is_working=True,
            is_maker=False,
            created_time=now_ms,
            cumulative_quote=price * quantity,
            last_quote=price * quantity,
            working_time=now_ms,
        )

    # ---- internals ---------------------------------------------------------------------

    def _symbol(self, params: Mapping[str, str], *, required: bool) -> str | None:
        symbol = params.get("symbol")
        if not symbol:
            if required:
                raise mandatory("symbol")
            return None
        if symbol not in self.symbols:
            raise ApiError(ErrorCode.BAD_SYMBOL, "Invalid symbol.")
        return symbol

    def _required_symbol(self, params: Mapping[str, str]) -> str:
        symbol = self._symbol(params, required=True)
        assert symbol is not None  # _symbol raised otherwise
        return symbol

    def _find(self, params: Mapping[str, str], code: ErrorCode, text: str) -> OrderRecord:
        symbol = self._required_symbol(params)
        order_id = _int_param(params, "orderId")
        client_order_id = params.get("origClientOrderId")
        if order_id is None and not client_order_id:
            raise ApiError(
                ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        record = (
            self._by_id.get(order_id)
            if order_id is not None
            else self._records.get(client_order_id or "")
        )
        if record is None or record.symbol != symbol:
            raise ApiError(code, text)
        if client_order_id and record.client_order_id != client_order_id:
            raise ApiError(code, text)
        return record

    def _check_funds(self, order: NewOrder) -> None:
        free = self._free()
        pair = order.symbol
        if order.side is Side.SELL:
            needed, asset = order.quantity, pair.base
        else:
            price = order.price
            if price is None:  # a market (or stop market) buy: at the best offer, if any
                price = self.engine.top_of_book(pair.symbol).ask_price or pair.start_price
            needed, asset = order.quantity * price, pair.quote
        if needed > free.get(asset, _ZERO):
            raise ApiError(
                ErrorCode.NEW_ORDER_REJECTED,
                "Account has insufficient balance for requested action.",
            )

    def _locked(self) -> dict[str, Decimal]:
        locked: dict[str, Decimal] = {}
        for record in self._records.values():
            if not record.is_open:
                continue
            order, pair = record.order, record.order.symbol
            if order.side is Side.SELL:
                locked[pair.base] = locked.get(pair.base, _ZERO) + record.leaves
            elif order.price is not None:
                locked[pair.quote] = locked.get(pair.quote, _ZERO) + record.leaves * order.price
        return locked

    def _free(self) -> dict[str, Decimal]:
        locked = self._locked()
        return {asset: total - locked.get(asset, _ZERO) for asset, total in self._balances.items()}

    def _apply(self, reports: list[ExecutionReport], now_ms: int) -> list[ExecutionReportEvent]:
        events: list[ExecutionReportEvent] = []
        for report in reports:
            record = self._records.get(report.order_id)
            if record is None:  # pragma: no cover - the engine reports only our orders
                continue
            record.update_ms = now_ms
            match report.kind:
                case ExecKind.ACCEPTED:
                    events.append(_event(record, "NEW", now_ms))
                case ExecKind.TRADE:
                    events.append(self._trade(record, report, now_ms))
                case ExecKind.CANCELED:
                    status = "CANCELED" if record.cancel_requested else "EXPIRED"
                    record.status = status
                    events.append(_event(record, status, now_ms))
                case ExecKind.EXPIRED:
                    record.status = "EXPIRED"
                    events.append(_event(record, "EXPIRED", now_ms))
                case _:  # pragma: no cover - rejects are raised before a record exists
                    continue
        self.touch()  # every call that gets here may have moved a book
        return events

    def _trade(
        self, record: OrderRecord, report: ExecutionReport, now_ms: int
    ) -> ExecutionReportEvent:
        quantity = report.last_quantity or _ZERO
        price = report.last_price or _ZERO
        fee = report.fee
        pair = record.order.symbol
        quote_quantity = quantity * price
        record.executed += quantity
        record.cumulative_quote += quote_quantity
        record.status = "FILLED" if record.executed >= record.order.quantity else "PARTIALLY_FILLED"
        sign = 1 if record.order.side is Side.BUY else -1
        balances = self._balances
        balances[pair.base] = balances.get(pair.base, _ZERO) + sign * quantity
        balances[pair.quote] = balances.get(pair.quote, _ZERO) - sign * quote_quantity - fee
        trade_id = next(self._trade_ids)
        maker = report.liquidity is Liquidity.MAKER
        self._trades.append(
            UserTrade(
                symbol=pair.symbol,
                id=trade_id,
                orderId=record.order_id,
                orderListId=-1,
                price=price,
                qty=quantity,
                quoteQty=quote_quantity,
                commission=fee,
                commissionAsset=pair.quote,
                time=now_ms,
                isBuyer=record.order.side is Side.BUY,
                isMaker=maker,
                isBestMatch=True,
            )
        )
        record.fills.append(
            OrderFill(
                price=price,
                qty=quantity,
                commission=fee,
                commissionAsset=pair.quote,
                tradeId=trade_id,
            )
        )
        return _event(
            record,
            "TRADE",
            now_ms,
            last_quantity=quantity,
            last_price=price,
            commission=fee,
            trade_id=trade_id,
            maker=maker,
        )

    def _order_response(self, record: OrderRecord, now_ms: int) -> OrderAck | OrderResult:
        kind = record.order.response_type
        if kind == "ACK":
            return OrderAck(
                symbol=record.symbol,
                orderId=record.order_id,
                orderListId=-1,
                clientOrderId=record.client_order_id,
                transactTime=now_ms,
            )
        result = record.result(transact_ms=now_ms)
        fills, record.fills = record.fills, []
        if kind == "RESULT":
            return result
        return OrderFull(**{f: getattr(result, f) for f in result.__struct_fields__}, fills=fills)


def _event(
    record: OrderRecord,
    execution_type: str,
    now_ms: int,
    *,
    last_quantity: Decimal = _ZERO,
    last_price: Decimal = _ZERO,
    commission: Decimal = _ZERO,
    trade_id: int = -1,
    maker: bool = False,
) -> ExecutionReportEvent:
    order = record.order
    tif = "GTC" if order.order_type is OrderType.STOP else order.time_in_force.value
    return ExecutionReportEvent(
        event_time=now_ms,
        symbol=record.symbol,
        client_order_id=record.client_order_id,
        side=order.side.value,
        order_type=order.binance_type,
        time_in_force=tif,
        quantity=order.quantity,
        price=order.price or _ZERO,
        stop_price=order.stop_price or _ZERO,
        execution_type=execution_type,
        status=record.status,
        order_id=record.order_id,
        last_quantity=last_quantity,
        cumulative_quantity=record.executed,
        last_price=last_price,
        commission=commission,
        commission_asset=order.symbol.quote if trade_id >= 0 else None,
        transaction_time=now_ms,
        trade_id=trade_id,
        is_working=record.is_open,
        is_maker=maker,
        created_time=record.time_ms,
        cumulative_quote=record.cumulative_quote,
        last_quote=last_quantity * last_price,
        working_time=record.time_ms,
    )


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise mandatory(name)
    return int(raw)
