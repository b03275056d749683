"""The simulated Alpaca broker: Alpaca's order model on top of the pure matching engine.

Theory of operation
-------------------
:class:`AlpacaBroker` is pure and deterministic like the engine it wraps: every call takes
the time as integer nanoseconds, there is no I/O inside, and what happened comes out of
:meth:`AlpacaBroker.take_events` as Alpaca ``trade_updates`` messages, in order. The HTTP
and WebSocket shell only decodes requests, calls it and sends what it returns.

It adds to the engine what Alpaca has and the engine does not: Alpaca's order ids and
statuses, unique client order ids, a replace that creates a new order id (the engine keeps
one order under its *engine key*; the broker maps that key to the newest record), a
buying-power check, an account with cash and positions, and the FILL activities that
reconciliation reads.

Invariants: a refused request (:class:`~ordergate.sim.alpaca.checks.AlpacaApiError`)
changes nothing; each client order id names at most one order, ever; every engine TRADE
report becomes exactly one fill activity and one ``fill``/``partial_fill`` event; the
account's positions are the sum of its fills.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import ExecKind, ExecutionReport, VenueOrder
from ordergate.domain.values import ZERO, AssetClass, Side, TimeInForce, strip_zeros
from ordergate.sim.alpaca.checks import (
    CODE_FORBIDDEN,
    CODE_INVALID,
    CODE_NOT_FOUND,
    CODE_WRONG_STATE,
    ORDER_TYPES,
    SIDES,
    TIMES_IN_FORCE,
    AlpacaApiError,
    check_new_order,
    check_replace,
)
from ordergate.sim.alpaca.ledger import Ledger
from ordergate.sim.alpaca.records import AlpacaOrder, make_id, rfc3339
from ordergate.sim.alpaca.schemas import (
    ActivityJson,
    OrderBody,
    ReplaceBody,
    TradeUpdateJson,
)
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.market import MarketConfig, SimulatedMarket
from ordergate.venues.base import ReplaceRequest

__all__ = ["ACCOUNT_ID", "AlpacaBroker"]

ACCOUNT_ID = make_id("account", 1)
_VENUE = "ALPACA"
_EXTERNAL = "EXTERNAL"  # account of orders other participants send in tests


class AlpacaBroker:
    """One simulated Alpaca account trading equities on a simulated market.

    Parameters
    ----------
    instruments
        Equities the broker trades (other asset classes are ignored).
    start_prices
        Where each instrument's simulated market starts; instruments without one have no
        market maker (orders then trade only against each other).
    cash
        Cash the account starts with.
    seed
        Seed of the simulated market.
    market_config
        Behaviour of the simulated market.
    session_close_ns
        Time of day (nanoseconds after UTC midnight) at which DAY orders expire.
    """

    def __init__(
        self,
        instruments: Iterable[Instrument],
        start_prices: Mapping[str, Decimal],
        *,
        cash: Decimal = Decimal(100_000),
        seed: int = 0,
        market_config: MarketConfig | None = None,
        session_close_ns: int = 21 * 3_600 * 1_000_000_000,
    ) -> None:
        equities = [i for i in instruments if i.asset_class is AssetClass.EQUITY]
        self.instruments = {i.symbol: i for i in equities}
        self.symbols = frozenset(self.instruments)
        # Alpaca equities are commission free.
        self.engine = MatchingEngine(
            equities,
            venue=_VENUE,
            maker_fee_rate=ZERO,
            taker_fee_rate=ZERO,
            session_close_ns=session_close_ns,
        )
        self.market = SimulatedMarket(
            self.engine,
            [i for i in equities if i.symbol in start_prices],
            start_prices,
            seed=seed,
            config=market_config,
        )
        self.ledger = Ledger(cash)
        self._orders: dict[str, AlpacaOrder] = {}
        self._by_client: dict[str, str] = {}
        self._live: dict[str, str] = {}  # engine key -> id of the newest record
        self._activities: list[ActivityJson] = []
        self._events: list[TradeUpdateJson] = []
        self._order_seq = 0
        self._fill_seq = 0
        self._external_seq = 0

    # -- orders -------------------------------------------------------------------------

    def submit(self, body: OrderBody, now: int) -> AlpacaOrder:
        """Place a new order (POST /v2/orders) and return its record.

        Raises
        ------
        AlpacaApiError
            422 40010001 when the order is invalid or its client order id was used before;
            403 40310000 when the account cannot pay for it.
        """
        check_new_order(body, self.symbols)
        assert body.qty is not None  # checked above
        qty = strip_zeros(body.qty)  # whole shares: 3.0 from a float client is 3
        if body.client_order_id is not None and body.client_order_id in self._by_client:
            raise AlpacaApiError(422, CODE_INVALID, "client_order_id must be unique")
        if body.side == "buy":
            self._check_buying_power(body.symbol, qty, body.limit_price, ZERO)
        order_id = make_id("order", self._order_seq + 1)
        reports = self.engine.submit(
            VenueOrder(
                order_id=order_id,
                account=ACCOUNT_ID,
                symbol=body.symbol,
                side=SIDES[body.side],
                order_type=ORDER_TYPES[body.type],
                quantity=qty,
                price=body.limit_price,
                stop_price=body.stop_price,
                time_in_force=TIMES_IN_FORCE[body.time_in_force],
            ),
            now,
        )
        first = reports[0]
        if first.kind is ExecKind.REJECTED:
            raise AlpacaApiError(422, CODE_INVALID, first.reason or "order rejected")
        self._order_seq += 1
        order = AlpacaOrder(
            order_id=order_id,
            client_order_id=body.client_order_id or make_id("client-order", self._order_seq),
            engine_key=order_id,
            symbol=body.symbol,
            side=body.side,
            order_type=body.type,
            time_in_force=body.time_in_force,
            qty=qty,
            limit_price=body.limit_price,
            stop_price=body.stop_price,
            now=now,
        )
        self._orders[order_id] = order
        self._by_client[order.client_order_id] = order_id
        self._live[order_id] = order_id
        self._emit("new", order, now)
        self._apply(reports[1:], now)
        return order

    def replace(self, order_id: str, body: ReplaceBody, now: int) -> AlpacaOrder:
        """Replace an open order (PATCH /v2/orders/{order_id}); return the new order.

        The old record becomes ``replaced`` (``replaced_by`` names the new one); the new
        record ``replaces`` it and carries a new client order id (the one sent, or a fresh
        one). Streams ``replaced`` for the old order, then ``new`` for the new one.

        Raises
        ------
        AlpacaApiError
            404 when there is no such order, 422 42210000 when it is no longer open, 422
            40010001 when the new terms are invalid, 403 when the account cannot pay.
        """
        old = self.order(order_id)
        if not old.is_open:
            raise AlpacaApiError(422, CODE_WRONG_STATE, f'order is already in "{old.status}" state')
        check_replace(body, old.order_type)
        new_qty = None if body.qty is None else strip_zeros(body.qty)
        if body.client_order_id is not None and body.client_order_id in self._by_client:
            raise AlpacaApiError(422, CODE_INVALID, "client_order_id must be unique")
        if old.side == "buy":
            held = old.leaves_qty * (old.limit_price or self._reference_price(old.symbol))
            qty = old.qty if new_qty is None else new_qty
            price = old.limit_price if body.limit_price is None else body.limit_price
            self._check_buying_power(old.symbol, qty - old.filled_qty, price, held)
        tif = None if body.time_in_force is None else TIMES_IN_FORCE[body.time_in_force]
        reports = self.engine.replace(
            ReplaceRequest(
                order_id=old.engine_key,
                venue_order_id=None,
                symbol=old.symbol,
                quantity=qty,
                price=body.limit_price,
                stop_price=body.stop_price,
                time_in_force=tif,
            ),
            now,
        )
        first = reports[0]
        if first.kind is ExecKind.REPLACE_REJECTED:
            raise AlpacaApiError(422, CODE_INVALID, first.reason or "replace rejected")
        self._order_seq += 1
        new_id = make_id("order", self._order_seq)
        new = AlpacaOrder(
            order_id=new_id,
            client_order_id=body.client_order_id or make_id("client-order", self._order_seq),
            engine_key=old.engine_key,
            symbol=old.symbol,
            side=old.side,
            order_type=old.order_type,
            time_in_force=old.time_in_force if body.time_in_force is None else body.time_in_force,
            qty=old.qty if new_qty is None else new_qty,
            limit_price=old.limit_price if body.limit_price is None else body.limit_price,
            stop_price=old.stop_price if body.stop_price is None else body.stop_price,
            now=now,
        )
        # The engine counts fills across the replace; so does the new record.
        new.filled_qty, new.filled_notional = old.filled_qty, old.filled_notional
        if new.filled_qty > 0:
            new.status = "partially_filled"
        new.replaces = old.id
        old.status, old.replaced_by, old.replaced_at, old.updated_at = "replaced", new_id, now, now
        self._orders[new_id] = new
        self._by_client[new.client_order_id] = new_id
        self._live[old.engine_key] = new_id
        self._emit("replaced", old, now)
        self._emit("new", new, now)
        self._apply(reports[1:], now)
        return new

    def cancel(self, order_id: str, now: int) -> None:
        """Cancel an open order (DELETE /v2/orders/{order_id}).

        Raises
        ------
        AlpacaApiError
            404 when there is no such order, 422 42210000 when it is no longer open.
        """
        order = self.order(order_id)
        if not order.is_open:
            raise AlpacaApiError(
                422, CODE_WRONG_STATE, f'order is already in "{order.status}" state'
            )
        self._apply(self.engine.cancel(order.engine_key, now), now)

    def cancel_all(self, now: int) -> list[AlpacaOrder]:
        """Cancel every open order (DELETE /v2/orders); return the orders canceled."""
        canceled = [o for o in self._orders.values() if o.is_open]
        for order in canceled:
            self._apply(self.engine.cancel(order.engine_key, now), now)
        return canceled

    def order(self, order_id: str) -> AlpacaOrder:
        """Return the order ``order_id`` (GET /v2/orders/{order_id}).

        Raises
        ------
        AlpacaApiError
            404 40410000 when there is none.
        """
        order = self._orders.get(order_id)
        if order is None:
            raise AlpacaApiError(404, CODE_NOT_FOUND, "order not found")
        return order

    def order_by_client_id(self, client_order_id: str) -> AlpacaOrder:
        """Return the order of ``client_order_id`` (GET /v2/orders:by_client_order_id).

        Raises
        ------
        AlpacaApiError
            404 40410000 when no order has it.
        """
        order_id = self._by_client.get(client_order_id)
        if order_id is None:
            raise AlpacaApiError(404, CODE_NOT_FOUND, "order not found")
        return self._orders[order_id]

    def orders(self) -> list[AlpacaOrder]:
        """Return every order, oldest first."""
        return list(self._orders.values())

    def activities(self) -> list[ActivityJson]:
        """Return every FILL activity, oldest first."""
        return list(self._activities)

    # -- the market ---------------------------------------------------------------------

    def step_market(self, now: int) -> None:
        """Step the simulated market once; fills it causes become events."""
        self._apply(self.market.step(now), now)

    def external_order(
        self, symbol: str, side: Side, qty: Decimal, price: Decimal | None, now: int
    ) -> None:
        """Send another participant's order (IOC limit, or market when ``price`` is None).

        Tests use it to trade against a resting order by exactly as much as they want.
        """
        self._external_seq += 1
        order = VenueOrder(
            order_id=f"{_EXTERNAL}-{self._external_seq}",
            account=_EXTERNAL,
            symbol=symbol,
            side=side,
            order_type=ORDER_TYPES["market" if price is None else "limit"],
            quantity=qty,
            price=price,
            time_in_force=TimeInForce.IOC,
        )
        self._apply(self.engine.submit(order, now, internal=True), now)

    def reference_price(self, symbol: str) -> Decimal:
        """Return the price positions are valued at: last trade, else mid, else zero."""
        return self._reference_price(symbol)

    def take_events(self) -> list[TradeUpdateJson]:
        """Return the trade updates since the last call, oldest first, and forget them."""
        events, self._events = self._events, []
        return events

    def unknown_fill_event(self, now: int) -> TradeUpdateJson:
        """Return a ``fill`` event of an order this broker never had (a fault for tests)."""
        self._fill_seq += 1
        ghost = AlpacaOrder(
            order_id=make_id("ghost-order", self._fill_seq),
            client_order_id=make_id("ghost-client-order", self._fill_seq),
            engine_key="",
            symbol=min(self.symbols),
            side="buy",
            order_type="market",
            time_in_force="day",
            qty=Decimal(1),
            limit_price=None,
            stop_price=None,
            now=now,
        )
        ghost.status, ghost.filled_qty, ghost.filled_notional = "filled", Decimal(1), Decimal(1)
        return TradeUpdateJson(
            event="fill",
            order=ghost.to_json(),
            timestamp=rfc3339(now),
            execution_id=make_id("ghost-fill", self._fill_seq),
            price=Decimal(1),
            qty=Decimal(1),
            position_qty=Decimal(1),
        )

    # -- internals ----------------------------------------------------------------------

    def _apply(self, reports: list[ExecutionReport], now: int) -> None:
        for report in reports:
            order_id = self._live.get(report.order_id)
            if order_id is None:
                continue  # the simulated market's own orders are nobody's business
            order = self._orders[order_id]
            order.updated_at = now
            if report.kind is ExecKind.TRADE:
                self._fill(order, report, now)
            elif report.kind is ExecKind.CANCELED:
                order.status, order.canceled_at = "canceled", now
                self._emit("canceled", order, now)
            elif report.kind is ExecKind.EXPIRED:
                order.status, order.expired_at = "expired", now
                self._emit("expired", order, now)

    def _fill(self, order: AlpacaOrder, report: ExecutionReport, now: int) -> None:
        qty, price = report.last_quantity, report.last_price
        assert qty is not None  # a TRADE report always has both
        assert price is not None
        order.filled_qty += qty
        order.filled_notional += qty * price
        done = order.filled_qty == order.qty
        order.status = "filled" if done else "partially_filled"
        if done:
            order.filled_at = now
        position_qty = self.ledger.apply_fill(order.symbol, order.side, qty, price)
        self._fill_seq += 1
        execution_id = make_id("fill", self._fill_seq)
        event = "fill" if done else "partial_fill"
        self._activities.append(
            ActivityJson(
                id=f"{now // 1_000_000:017d}::{execution_id}",
                account_id=ACCOUNT_ID,
                activity_type="FILL",
                transaction_time=rfc3339(now),
                type=event,
                price=price,
                qty=qty,
                side=order.side,
                symbol=order.symbol,
                leaves_qty=order.qty - order.filled_qty,
                order_id=order.id,
                cum_qty=order.filled_qty,
                order_status=order.status,
            )
        )
        self._events.append(
            TradeUpdateJson(
                event=event,
                order=order.to_json(),
                timestamp=rfc3339(now),
                execution_id=execution_id,
                price=price,
                qty=qty,
                position_qty=position_qty,
            )
        )

    def _emit(self, event: str, order: AlpacaOrder, now: int) -> None:
        self._events.append(
            TradeUpdateJson(event=event, order=order.to_json(), timestamp=rfc3339(now))
        )

    def _check_buying_power(
        self, symbol: str, qty: Decimal, limit_price: Decimal | None, released: Decimal
    ) -> None:
        price = limit_price if limit_price is not None else self._ask_or_reference(symbol)
        if qty * price > self.buying_power() + released:
            raise AlpacaApiError(403, CODE_FORBIDDEN, "insufficient buying power")

    def buying_power(self) -> Decimal:
        """Return the cash not held for open buy orders (a cash account: no margin)."""
        held = sum(
            (
                o.leaves_qty * (o.limit_price or self._reference_price(o.symbol))
                for o in self._orders.values()
                if o.is_open and o.side == "buy"
            ),
            ZERO,
        )
        return self.ledger.cash - held

    def _ask_or_reference(self, symbol: str) -> Decimal:
        ask = self.engine.top_of_book(symbol).ask_price
        return ask if ask is not None else self._reference_price(symbol)

    def _reference_price(self, symbol: str) -> Decimal:
        last = self.engine.last_price(symbol)
        if last is not None:
            return last
        quote = self.engine.top_of_book(symbol)
        if quote.bid_price is not None and quote.ask_price is not None:
            return (quote.bid_price + quote.ask_price) / 2
        return quote.bid_price or quote.ask_price or ZERO
