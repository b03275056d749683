"""A :class:`~ordergate.venues.base.VenueAdapter` over any ccxt exchange (``ccxt.pro``).

Theory of operation
-------------------
- Orders go out with ccxt's ``create_order``; our order id always travels as the client
  order id (the config names the parameter: ``newClientOrderId`` for Binance), never one
  ccxt makes up. Amounts and prices are sent as decimal strings, and the exchange's
  ``number`` is ``str``, so nothing passes through a float either way.
- Execution reports come from the websocket streams ``watch_orders`` (acceptance, cancels,
  expiries) and ``watch_my_trades`` (fills), and from the REST answers to our own requests;
  :class:`~ordergate.venues.ccxt.reporting.OrderReporter` lets each report out once.
  An exchange without ``watchOrders`` is polled over REST instead.
- Errors are classified by ccxt exception class (:mod:`ordergate.venues.ccxt.errors`). A
  refusal becomes a REJECTED / CANCEL_REJECTED report, never an exception. A 429/418 is
  retried after Retry-After (at most ``rate_limit_retries`` times), then reported REJECTED
  with a ``RATE_LIMITED`` reason.
- An ambiguous submit (timeout, dropped connection, 5xx) is never sent again blindly. The
  adapter asks the venue for the order by client order id: found -> its state is reported;
  not found -> asked again until ``settle_ms`` after the request was sent (Binance refuses a
  request older than its recvWindow, so an order absent by then can never appear), then
  reported REJECTED. It is not resent: a resend would race the lost original and the OMS,
  which owns the order, can send a new one under a new id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import ccxt
import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    Quote,
    TradeTick,
    VenueOrder,
)
from ordergate.domain.values import OrderStatus, OrderType, strip_zeros
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.venues.base import ReplaceRequest, VenueAdapter, VenueCapabilities
from ordergate.venues.ccxt.capabilities import capabilities_of
from ordergate.venues.ccxt.config import CcxtVenueConfig
from ordergate.venues.ccxt.data import has_market_data, market_data
from ordergate.venues.ccxt.errors import classify
from ordergate.venues.ccxt.factories import create_exchange
from ordergate.venues.ccxt.parsing import (
    ParseError,
    fill_report,
    order_status,
    status_report,
    to_ccxt_time_in_force,
)
from ordergate.venues.ccxt.queries import find_order
from ordergate.venues.ccxt.reporting import OrderReporter
from ordergate.venues.ccxt.tracking import OrderTracker

__all__ = ["CcxtVenue"]

T = TypeVar("T")
log = structlog.get_logger(__name__)

_NS_PER_MS = 1_000_000
_STREAM_RETRY_S = 0.5
_RESOLVE_POLL_S = 0.1
_RETRY_WITHOUT_HINT_S = 1.0


class CcxtVenue(VenueAdapter):
    """One account at one exchange, through ccxt.

    Parameters
    ----------
    config
        Which exchange and how (see :class:`CcxtVenueConfig` and its presets).
    clock
        Time for ``ts_event`` where the venue gives none, and for the settle deadline.
    exchange
        A ccxt exchange object to use instead of one built from ``config``.
    """

    def __init__(
        self, config: CcxtVenueConfig, *, clock: Clock | None = None, exchange: Any = None
    ) -> None:
        self.config = config
        self.name = config.venue
        self.clock = clock or LiveClock()
        self.exchange: Any = exchange if exchange is not None else create_exchange(config)
        self.capabilities = VenueCapabilities(
            order_types=frozenset({OrderType.LIMIT, OrderType.MARKET}),
            time_in_force=frozenset(),
            asset_classes=frozenset(),
            supports_replace=False,
            rate_limits=config.rate_limits,  # known before connecting: limiters are built first
        )
        self._tracker = OrderTracker()
        self._reports: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()
        self._reporter = OrderReporter(
            self.name, config, self.exchange, self.clock, self._tracker, self._reports
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._our_symbols = {v: k for k, v in config.symbol_map.items()}
        self._connected = False
        self._polled_since_ms = 0

    # ---- lifecycle -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Load the markets, subscribe to the account's order and trade streams."""
        if self._connected:
            return
        exchange = self.exchange
        await exchange.load_markets()
        self.capabilities = capabilities_of(
            dict(exchange.has),
            getattr(exchange, "features", {}),
            dict(exchange.markets),
            float(exchange.rateLimit),
            self.config,
        )
        self._connected = True
        streams = exchange.has.get("watchOrders") and exchange.has.get("watchMyTrades")
        if streams and self.config.use_websocket:
            authenticate = getattr(exchange, "authenticate", None)
            if authenticate is not None:
                await authenticate()  # the stream is live before the first order goes out
            self._spawn(self._stream("orders", exchange.watch_orders, self._reporter.on_order))
            self._spawn(self._stream("trades", exchange.watch_my_trades, self._reporter.on_trade))
        else:
            self._polled_since_ms = self.clock.now_ns() // _NS_PER_MS
            self._spawn(self._poll())

    async def disconnect(self) -> None:
        """Stop the streams, close ccxt's sessions and end the report stream."""
        if not self._connected:
            return
        self._connected = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.exchange.close()
        self._reports.put_nowait(None)

    async def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield execution reports in the order they were learnt, until disconnect."""
        while (report := await self._reports.get()) is not None:
            yield report

    def market_data(self) -> AsyncIterator[Quote | TradeTick]:
        """Yield quotes and trades of the mapped symbols from the exchange's streams."""
        if not has_market_data(self.exchange.has):
            return super().market_data()
        symbols = {self._ccxt_symbol(s): s for s in self.config.symbol_map}
        markets = self.exchange.markets or {}
        symbols = {c: s for c, s in symbols.items() if c in markets}
        return market_data(self.exchange, self.name, symbols, self.clock.now_ns)

    # ---- requests ------------------------------------------------------------------------

    async def submit(self, order: VenueOrder) -> None:
        """Send a new order; its outcome arrives as execution reports."""
        symbol = self._ccxt_symbol(order.symbol)
        self._tracker.track(order.order_id, symbol)
        sent_ns = self.clock.now_ns()
        try:
            response = await self._with_retries(lambda: self._create(order, symbol))
        except VenueError as e:
            if e.kind is VenueErrorKind.UNKNOWN_OUTCOME:
                log.warning(
                    "submit outcome unknown; resolving", order_id=order.order_id, error=e.message
                )
                await self._resolve_lost_submit(order.order_id, symbol, sent_ns)
            else:
                self._reporter.reject(order.order_id, f"{e.kind.value}: {e.message}", e.kind)
            return
        await self._reporter.handle_answer(response, placing=True)

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        """Ask the venue to cancel an order; CANCELED or CANCEL_REJECTED follows."""
        ccxt_symbol = self._ccxt_symbol(symbol)
        tracked = self._tracker.get(order_id)
        venue_order_id = venue_order_id or (tracked.venue_order_id if tracked else None)
        param = self.config.cancel_client_order_id_param
        if venue_order_id is None and param is None:
            self._reporter.put(ExecKind.CANCEL_REJECTED, order_id, reason="venue order id unknown")
            return
        params = {} if param is None else {param: order_id}
        try:
            response = await self._with_retries(
                lambda: self.exchange.cancel_order(
                    venue_order_id if param is None else None, ccxt_symbol, params
                )
            )
        except VenueError as e:
            if e.kind is VenueErrorKind.UNKNOWN_OUTCOME:
                found = await self._find_order(order_id, ccxt_symbol)
                if found is not None and order_status(found) is OrderStatus.CANCELED:
                    await self._reporter.on_order(found)
                    return
            self._reporter.put(
                ExecKind.CANCEL_REJECTED,
                order_id,
                venue_order_id=venue_order_id,
                reason=f"{e.kind.value}: {e.message}",
                error_kind=e.kind,
            )
            return
        await self._reporter.handle_answer(response)

    async def replace(self, request: ReplaceRequest) -> None:
        """Refuse: ccxt's editOrder is cancel-and-new on spot venues (see capabilities)."""
        self._reporter.put(
            ExecKind.REPLACE_REJECTED,
            request.order_id,
            venue_order_id=request.venue_order_id,
            reason=f"{self.name} does not replace orders in place",
        )

    async def ping(self) -> int:
        """Ask the exchange for its time (the lightest request): the liveness probe.

        Raises
        ------
        VenueError
            When the exchange does not answer or refuses.
        """
        try:
            return int(await self.exchange.fetch_time())
        except ccxt.BaseError as e:
            raise classify(e, self.name) from e

    async def open_orders(self) -> list[OrderStatusReport]:
        """Return every order the venue holds open for this account.

        Raises
        ------
        VenueError
            When the venue cannot be asked (reconciliation must not guess).
        """
        try:
            orders = await self._with_retries(lambda: self.exchange.fetch_open_orders())
        except VenueError as e:
            if e.code != "ArgumentsRequired":
                raise
            orders = []
            for symbol in self._known_symbols():
                orders += await self._with_retries(
                    lambda s=symbol: self.exchange.fetch_open_orders(s)  # type: ignore[misc]
                )
        now = self.clock.now_ns()
        reports: list[OrderStatusReport] = []
        for order in orders:
            order_id = self._reporter.order_id_of(order)
            reports.append(
                status_report(self.name, order_id, self._our_symbol(order["symbol"]), order, now)
            )
        return reports

    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return every fill of this account at or after ``ts_ns`` in the known symbols.

        The known symbols are the symbol map's and those the adapter sent orders in.

        Raises
        ------
        VenueError
            When the venue cannot be asked.
        """
        since_ms = ts_ns // _NS_PER_MS
        fills: list[FillReport] = []
        now = self.clock.now_ns()
        for symbol in sorted(self._known_symbols()):
            trades = await self._with_retries(
                lambda s=symbol: self.exchange.fetch_my_trades(s, since_ms or None)  # type: ignore[misc]
            )
            for trade in trades:
                order_id = await self._reporter.order_id_of_trade(trade, symbol)
                fill = fill_report(self.name, order_id, self._our_symbol(symbol), trade, now)
                if fill.ts_event >= ts_ns:
                    fills.append(fill)
        return sorted(fills, key=lambda f: f.ts_event)

    # ---- the venue's news ----------------------------------------------------------------

    async def _stream(
        self,
        name: str,
        watch: Callable[[], Awaitable[list[dict[str, Any]]]],
        handle: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        while True:
            try:
                items = await watch()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the stream reconnects; anything else is logged
                log.warning(
                    "stream failed; resubscribing", venue=self.name, stream=name, error=str(e)
                )
                await asyncio.sleep(_STREAM_RETRY_S)
                # Events sent while the stream was down are gone; ask for what they said.
                self._spawn(self._catch_up())
                continue
            for item in items:
                try:
                    await handle(item)
                except (ParseError, ccxt.BaseError) as e:
                    log.error("unusable stream item", venue=self.name, stream=name, error=str(e))

    async def _catch_up(self) -> None:
        """Query every order not known to be finished and report what changed."""
        await asyncio.sleep(_STREAM_RETRY_S)  # let the stream resubscribe first
        for order_id in self._tracker.unfinished():
            tracked = self._tracker.get(order_id)
            if tracked is None or tracked.symbol is None:
                continue
            found = await self._find_order(order_id, tracked.symbol)
            if found is None:
                continue
            try:
                await self._reporter.on_order(found, fetch_missing=True)
            except (ParseError, ccxt.BaseError) as e:
                log.warning("catch-up failed", venue=self.name, order_id=order_id, error=str(e))

    async def _poll(self) -> None:
        """Report from REST where the exchange has no order streams."""
        while True:
            await asyncio.sleep(self.config.poll_interval_s)
            try:
                for symbol in sorted(self._known_symbols()):
                    since = self._polled_since_ms
                    for trade in await self.exchange.fetch_my_trades(symbol, since):
                        order_id = await self._reporter.order_id_of_trade(trade, symbol)
                        self._reporter.report_trade(order_id, trade)
                        if isinstance(trade.get("timestamp"), int):
                            self._polled_since_ms = max(self._polled_since_ms, trade["timestamp"])
                for order in await self.exchange.fetch_open_orders():
                    await self._reporter.on_order(order)
                for tracked_id in self._tracker.unfinished():
                    tracked = self._tracker.get(tracked_id)
                    if tracked is not None and tracked.symbol is not None:
                        found = await self._find_order(tracked_id, tracked.symbol)
                        if found is not None:
                            await self._reporter.on_order(found, fetch_missing=True)
            except asyncio.CancelledError:
                raise
            except (ccxt.BaseError, ParseError) as e:
                log.warning("poll failed", venue=self.name, error=str(e))

    # ---- ambiguity -----------------------------------------------------------------------

    async def _resolve_lost_submit(self, order_id: str, symbol: str, sent_ns: int) -> None:
        deadline = sent_ns + self.config.settle_ms * _NS_PER_MS
        while True:
            found = await self._find_order(order_id, symbol)
            if found is not None:
                await self._reporter.on_order(found)
                return
            if self.clock.now_ns() >= deadline:
                if self._tracker.reject(order_id):
                    self._reporter.put(
                        ExecKind.REJECTED,
                        order_id,
                        reason="UNKNOWN_OUTCOME resolved: the venue never received the order",
                    )
                return
            await asyncio.sleep(_RESOLVE_POLL_S)

    async def _find_order(self, order_id: str, symbol: str) -> dict[str, Any] | None:
        param = self.config.query_client_order_id_param
        return await find_order(self.exchange, param, order_id, symbol)

    # ---- helpers -------------------------------------------------------------------------

    async def _create(self, order: VenueOrder, symbol: str) -> dict[str, Any]:
        params: dict[str, Any] = {self.config.client_order_id_param: order.order_id}
        ccxt_type = "market"
        price: str | None = None
        if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            ccxt_type = "limit"
            assert order.price is not None
            price = _wire(order.price)
            params["timeInForce"] = to_ccxt_time_in_force(order.time_in_force.value)
        elif order.time_in_force.value in ("IOC", "FOK"):
            params["timeInForce"] = order.time_in_force.value
        if order.stop_price is not None:
            params["triggerPrice"] = _wire(order.stop_price)
        self._check_precision(symbol, order)
        result: dict[str, Any] = await self.exchange.create_order(
            symbol, ccxt_type, order.side.value.lower(), _wire(order.quantity), price, params
        )
        return result

    def _check_precision(self, symbol: str, order: VenueOrder) -> None:
        """Refuse terms off the market's tick or lot, which ccxt would silently round.

        Raises
        ------
        ccxt.InvalidOrder
            If the quantity, price or stop price is not a multiple of its increment.
        """
        exchange = self.exchange
        checks = [("quantity", order.quantity, exchange.amount_to_precision)]
        for name, value in (("price", order.price), ("stop price", order.stop_price)):
            if value is not None:
                checks.append((name, value, exchange.price_to_precision))
        for name, value, to_precision in checks:
            if Decimal(to_precision(symbol, _wire(value))) != value:
                raise ccxt.InvalidOrder(f"{name} {value} is off the {symbol} increment")

    async def _with_retries(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call``; retry it after Retry-After while rate limited or told to retry.

        Raises
        ------
        VenueError
            The classified error when it is not retryable or retries ran out.
        """
        attempt = 0
        while True:
            try:
                return await call()
            except ccxt.BaseError as e:
                error = classify(e, self.name)
                retryable = error.kind in (VenueErrorKind.RATE_LIMITED, VenueErrorKind.RETRYABLE)
                wait = self._retry_after()
                if not retryable or attempt >= self.config.rate_limit_retries:
                    raise error from e
                if wait > self.config.max_retry_after_s:
                    raise error from e
                attempt += 1
                log.info("venue asks to wait; retrying", venue=self.name, wait_s=wait, error=str(e))
                await asyncio.sleep(wait)

    def _retry_after(self) -> float:
        headers = getattr(self.exchange, "last_response_headers", None) or {}
        raw = headers.get("Retry-After") or headers.get("retry-after")
        try:
            return float(raw) if raw is not None else _RETRY_WITHOUT_HINT_S
        except ValueError:
            return _RETRY_WITHOUT_HINT_S

    def _spawn(self, work: Awaitable[None]) -> None:
        self._tasks.append(asyncio.ensure_future(work))

    def _ccxt_symbol(self, symbol: str) -> str:
        return self.config.symbol_map.get(symbol, symbol)

    def _our_symbol(self, ccxt_symbol: str) -> str:
        return self._our_symbols.get(ccxt_symbol, ccxt_symbol)

    def _known_symbols(self) -> set[str]:
        markets = self.exchange.markets or {}
        symbols = set(self.config.symbol_map.values()) | self._tracker.symbols()
        return {s for s in symbols if s in markets}


def _wire(value: Decimal) -> str:
    return str(strip_zeros(value))
