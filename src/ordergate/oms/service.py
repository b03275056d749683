"""The Order Management Service: load -> decide -> append -> apply -> publish -> route.

The application layer around the pure domain. Each command is validated, turned into events
by the domain's ``decide_*`` functions, appended durably to the event store (group commit),
applied to the read models, published to live subscribers, and only then sent to the venue.
Execution reports from venues take the same path.

Invariants
----------
- A command returns only after its events are durable; a refused command writes nothing.
- Writes to one order are serialized (a striped lock), so each order's events are decided
  against its latest state and appended in version order.
- Resubmitting a client order id with the same body returns the existing order; with a
  different body it is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec
import structlog

from ordergate.clock import Clock
from ordergate.domain.commands import CancelAllOrders, CancelOrder, ModifyOrder, SubmitOrder
from ordergate.domain.decisions import decide_cancel, decide_modify, decide_report, decide_submit
from ordergate.domain.errors import ErrorCode, OrderError
from ordergate.domain.events import OrderEvent
from ordergate.domain.instrument import Instrument
from ordergate.domain.order import Order, evolve
from ordergate.domain.order_status import InvalidStateTransition
from ordergate.domain.reports import ExecKind, ExecutionReport, Quote, VenueOrder
from ordergate.domain.validation import validate_submit
from ordergate.domain.values import strip_zeros
from ordergate.eventstore import EventRecorder, StoredEvent, iter_all
from ordergate.oms.codec import decode_event, decode_snapshot, encode_event, encode_snapshot
from ordergate.oms.hub import OrderEventHub
from ordergate.oms.projections import Projections
from ordergate.venues.base import ReplaceRequest, VenueAdapter

__all__ = ["OrderManager", "SubmitResult"]

log = structlog.get_logger("ordergate.oms")

_LOCK_STRIPES = 256


class SubmitResult(msgspec.Struct, frozen=True):
    """The order a submit returns, and whether this call created it."""

    order: Order
    created: bool


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return format(strip_zeros(value), "f")
    return value


def request_digest(command: SubmitOrder) -> str:
    """Return a digest of a submit request's terms, equal for equal terms (100 == 100.0)."""
    fields = {f: _canonical(getattr(command, f)) for f in command.__struct_fields__}
    return hashlib.sha256(msgspec.json.encode(fields, order="sorted")).hexdigest()


class OrderManager:
    """Owns every order's lifecycle for the accounts this instance serves."""

    def __init__(
        self,
        *,
        store: EventRecorder,
        instruments: Iterable[Instrument],
        venues: Mapping[str, VenueAdapter],
        clock: Clock,
        snapshot_every: int = 100,
    ) -> None:
        self.store = store
        self.instruments = {i.symbol: i for i in instruments}
        self.venues = dict(venues)
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.projections = Projections()
        self.hub = OrderEventHub()
        self.marks: dict[str, Decimal] = {}
        self._locks = [asyncio.Lock() for _ in range(_LOCK_STRIPES)]
        self._in_flight: dict[tuple[str, str], asyncio.Event] = {}
        self._seq = itertools.count(1)
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the read models from the log, connect the venues, start the report pumps."""
        async for record in iter_all(self.store):
            self.projections.apply(decode_event(record), record.position)
        for venue in self.venues.values():
            await venue.connect()
            self._tasks.append(asyncio.create_task(self._pump_reports(venue)))
            self._tasks.append(asyncio.create_task(self._pump_market_data(venue)))
            await self.reconcile(venue)
        self.ready = True
        log.info("oms started", orders=len(self.projections.orders), venues=list(self.venues))

    async def stop(self) -> None:
        """Disconnect the venues and stop the pumps."""
        self.ready = False
        for venue in self.venues.values():
            await venue.disconnect()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # -- queries ---------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        """Return an order by id.

        Raises
        ------
        OrderError
            ORDER_NOT_FOUND.
        """
        order = self.projections.orders.get(order_id)
        if order is None:
            raise OrderError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id!r}", "id")
        return order

    async def load(self, order_id: str) -> Order:
        """Load an order from the event store (latest snapshot + the events after it)."""
        order: Order | None = None
        snapshot = await self.store.load_snapshot(order_id)
        if snapshot is not None:
            order = decode_snapshot(snapshot)
        from_version = 1 if order is None else order.version + 1
        for record in await self.store.read_stream(order_id, from_version):
            order = evolve(order, decode_event(record))
        if order is None:
            raise OrderError(ErrorCode.ORDER_NOT_FOUND, f"no order {order_id!r}", "id")
        return order

    async def order_events(self, order_id: str) -> list[tuple[StoredEvent, OrderEvent]]:
        """Return an order's audit trail: every stored event with its decoded form."""
        self.get(order_id)
        records = await self.store.read_stream(order_id)
        return [(record, decode_event(record)) for record in records]

    # -- commands --------------------------------------------------------------------------

    async def submit(self, command: SubmitOrder) -> SubmitResult:
        """Accept a new order durably, then send it to its venue.

        Raises
        ------
        OrderError
            Validation failures, UNKNOWN_VENUE, UNSUPPORTED_BY_VENUE, or
            DUPLICATE_CLIENT_ORDER_ID when the client order id was used with other terms.
        """
        now = self.clock.now_ns()
        key = (command.account, command.client_order_id)
        digest = request_digest(command)
        existing = self.projections.order_by_client_id(*key)
        if existing is not None or key in self._in_flight:
            return await self._resubmitted(key, digest)
        instrument = self.instruments.get(command.symbol)
        validate_submit(command, instrument, now)
        venue = self._route(command)
        order_id = f"O-{now // 1_000_000:x}-{next(self._seq):x}{secrets.token_hex(2)}"
        event = decide_submit(command, order_id, venue.name, digest, now, now)
        written = self._in_flight[key] = asyncio.Event()
        try:
            # No order lock: the id is new, and no report can name it before it is sent.
            order = await self._commit([event])
        finally:
            del self._in_flight[key]
            written.set()
        assert instrument is not None
        await self._send(
            venue,
            VenueOrder(
                order_id=order.id,
                account=order.account,
                symbol=instrument.venue_symbol(venue.name),
                side=order.side,
                order_type=order.order_type,
                quantity=order.quantity,
                price=order.price,
                stop_price=order.stop_price,
                time_in_force=order.time_in_force,
                expire_time=order.expire_time,
            ),
        )
        return SubmitResult(self.get(order.id), created=True)

    async def _resubmitted(self, key: tuple[str, str], digest: str) -> SubmitResult:
        in_flight = self._in_flight.get(key)
        if in_flight is not None:  # a concurrent submit of the same id is being written
            await in_flight.wait()
        existing = self.projections.order_by_client_id(*key)
        if existing is None:  # the concurrent submit failed; nothing to return
            raise OrderError(
                ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
                f"client_order_id {key[1]!r} is being submitted concurrently",
                "client_order_id",
            )
        if existing.request_digest != digest:
            raise OrderError(
                ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
                f"client_order_id {key[1]!r} was already used for a different order",
                "client_order_id",
            )
        return SubmitResult(existing, created=False)

    def _route(self, command: SubmitOrder) -> VenueAdapter:
        if command.venue in ("smart", ""):
            candidates = list(self.venues.values())
        elif command.venue in self.venues:
            candidates = [self.venues[command.venue]]
        else:
            raise OrderError(ErrorCode.UNKNOWN_VENUE, f"unknown venue {command.venue!r}", "venue")
        asset_class = self.instruments[command.symbol].asset_class
        for venue in candidates:
            caps = venue.capabilities
            if (
                command.order_type in caps.order_types
                and command.time_in_force in caps.time_in_force
                and asset_class in caps.asset_classes
            ):
                return venue
        raise OrderError(
            ErrorCode.UNSUPPORTED_BY_VENUE,
            f"no venue takes a {command.order_type} {command.time_in_force} order "
            f"in {command.symbol}",
            "venue",
        )

    async def modify(self, command: ModifyOrder) -> Order:
        """Change a working order's terms (sent as a cancel/replace).

        Raises
        ------
        OrderError
            ORDER_NOT_FOUND, ORDER_NOT_OPEN, ORDER_PENDING, NOTHING_TO_MODIFY,
            MODIFY_BELOW_FILLED, or a validation failure of the new terms.
        """
        async with self._lock(command.order_id):
            order = self.get(command.order_id)
            instrument = self.instruments[order.symbol]
            event = decide_modify(order, command, instrument, self.clock.now_ns())
            order = await self._commit([event])
        venue = self.venues[order.venue]
        request = ReplaceRequest(
            order_id=order.id,
            venue_order_id=order.venue_order_id,
            symbol=instrument.venue_symbol(venue.name),
            quantity=event.quantity,
            price=event.price,
            stop_price=event.stop_price,
            time_in_force=event.time_in_force,
        )
        await self._send(venue, request)
        return self.get(order.id)

    async def cancel(self, command: CancelOrder) -> Order:
        """Ask the venue to cancel a working order.

        Raises
        ------
        OrderError
            ORDER_NOT_FOUND, ORDER_NOT_OPEN or ORDER_PENDING.
        """
        async with self._lock(command.order_id):
            order = self.get(command.order_id)
            order = await self._commit([decide_cancel(order, self.clock.now_ns())])
        venue = self.venues[order.venue]
        symbol = self.instruments[order.symbol].venue_symbol(venue.name)
        try:
            await venue.cancel(order.id, order.venue_order_id, symbol)
        except Exception as e:  # the venue is unreachable: the cancel did not go out
            log.error("cancel not sent", order_id=order.id, error=str(e))
            await self.handle_report(
                ExecutionReport(
                    kind=ExecKind.CANCEL_REJECTED,
                    venue=venue.name,
                    order_id=order.id,
                    reason=f"cancel not sent: {e}",
                    ts_event=self.clock.now_ns(),
                )
            )
        return self.get(order.id)

    async def cancel_all(self, command: CancelAllOrders) -> list[Order]:
        """Cancel every open order matching the filters; return the orders asked to cancel."""
        matches = [
            order
            for order in self.projections.orders.values()
            if order.status.is_open
            and (command.account is None or order.account == command.account)
            and (command.symbol is None or order.symbol == command.symbol)
            and (command.side is None or order.side is command.side)
            and (command.venue is None or order.venue == command.venue)
            and (command.strategy is None or order.strategy == command.strategy)
            and (command.statuses is None or order.status in command.statuses)
        ]
        canceled = []
        for order in matches:
            try:
                canceled.append(await self.cancel(CancelOrder(order_id=order.id)))
            except OrderError:
                continue  # finished or pending meanwhile: nothing to cancel
        return canceled

    # -- execution reports -----------------------------------------------------------------

    async def handle_report(self, report: ExecutionReport) -> Order | None:
        """Apply one execution report; return the order after it (None if unknown)."""
        await self.handle_reports([report])
        return self.projections.orders.get(report.order_id)

    async def handle_reports(self, reports: list[ExecutionReport]) -> int:
        """Apply execution reports in order, appending all their events in one batch.

        Reports for unknown orders, and reports the order's state does not allow, are
        logged and change nothing. Returns the number of events appended.
        """
        stripes = sorted({self._stripe(report.order_id) for report in reports})
        async with contextlib.AsyncExitStack() as held:
            for stripe in stripes:
                await held.enter_async_context(self._locks[stripe])
            now = self.clock.now_ns()
            latest: dict[str, Order] = {}
            events: list[OrderEvent] = []
            for report in reports:
                order = latest.get(report.order_id) or self.projections.orders.get(report.order_id)
                if order is None:
                    log.warning("report for unknown order", order_id=report.order_id)
                    continue
                try:
                    decided = decide_report(order, report, now)
                except (InvalidStateTransition, ValueError) as e:
                    log.warning("report refused", order_id=order.id, kind=report.kind, error=str(e))
                    continue
                for event in decided:
                    order = evolve(order, event)
                latest[order.id] = order
                events.extend(decided)
            if events:
                await self._commit(events)
            return len(events)

    async def reconcile(self, venue: VenueAdapter) -> int:
        """Bring open orders in line with the venue after a (re)connect; return the changes.

        Fills the venue reports that the log lacks are applied (duplicates are ignored by
        execution id); orders the log holds open but the venue does not know are canceled,
        since the venue will never report on them again.
        """
        changes = 0
        for fill in await venue.fills_since(0):
            if fill.order_id in self.projections.orders:
                before = self.projections.orders[fill.order_id].version
                order = await self.handle_report(
                    ExecutionReport(
                        kind=ExecKind.TRADE,
                        venue=venue.name,
                        order_id=fill.order_id,
                        venue_order_id=fill.venue_order_id,
                        execution_id=fill.execution_id,
                        last_quantity=fill.quantity,
                        last_price=fill.price,
                        fee=fill.fee,
                        fee_currency=fill.fee_currency,
                        liquidity=fill.liquidity,
                        ts_event=fill.ts_event,
                    )
                )
                changes += order is not None and order.version != before
        at_venue = {report.order_id for report in await venue.open_orders()}
        for order in list(self.projections.orders.values()):
            if order.venue == venue.name and order.status.is_open and order.id not in at_venue:
                await self.handle_report(
                    ExecutionReport(
                        kind=ExecKind.CANCELED,
                        venue=venue.name,
                        order_id=order.id,
                        reason="not open at the venue on reconnect",
                        ts_event=self.clock.now_ns(),
                    )
                )
                changes += 1
        if changes:
            log.warning("reconciled with venue", venue=venue.name, changes=changes)
        return changes

    # -- internals -------------------------------------------------------------------------

    def _stripe(self, order_id: str) -> int:
        return hash(order_id) % _LOCK_STRIPES

    def _lock(self, order_id: str) -> asyncio.Lock:
        return self._locks[self._stripe(order_id)]

    async def _commit(self, events: list[OrderEvent]) -> Order:
        positions = await self.store.append([encode_event(e) for e in events])
        order: Order | None = None
        for event, position in zip(events, positions, strict=True):
            order = self.projections.apply(event, position)
            self.hub.publish(position, event)
            if order.version % self.snapshot_every == 0:
                await self.store.save_snapshot(encode_snapshot(order))
        assert order is not None
        return order

    async def _send(self, venue: VenueAdapter, request: VenueOrder | ReplaceRequest) -> None:
        try:
            if isinstance(request, VenueOrder):
                await venue.submit(request)
            else:
                await venue.replace(request)
        except Exception as e:  # unreachable venue: the order never got there
            log.error("request not sent", venue=venue.name, order_id=request.order_id, error=str(e))
            kind = (
                ExecKind.REJECTED if isinstance(request, VenueOrder) else ExecKind.REPLACE_REJECTED
            )
            await self.handle_report(
                ExecutionReport(
                    kind=kind,
                    venue=venue.name,
                    order_id=request.order_id,
                    reason=f"not sent to {venue.name}: {e}",
                    ts_event=self.clock.now_ns(),
                )
            )

    async def _pump_reports(self, venue: VenueAdapter, batch_limit: int = 256) -> None:
        # Reports are read as they come and applied in batches: whatever arrived while the
        # previous batch was being made durable goes into the next append (group commit).
        inbox: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()

        async def read() -> None:
            try:
                async for report in venue.execution_reports():
                    inbox.put_nowait(report)
            finally:
                inbox.put_nowait(None)

        reader = asyncio.create_task(read())
        try:
            while (first := await inbox.get()) is not None:
                batch = [first]
                ended = False
                while not inbox.empty() and len(batch) < batch_limit:
                    item = inbox.get_nowait()
                    if item is None:
                        ended = True
                        break
                    batch.append(item)
                try:
                    await self.handle_reports(batch)
                except Exception:  # one bad batch must not stop the stream
                    log.exception("report handling failed", venue=venue.name)
                if ended:
                    break
        finally:
            reader.cancel()

    async def _pump_market_data(self, venue: VenueAdapter) -> None:
        async for tick in venue.market_data():
            if isinstance(tick, Quote):
                if tick.bid_price is not None and tick.ask_price is not None:
                    self.marks[tick.symbol] = (tick.bid_price + tick.ask_price) / 2
            else:
                self.marks[tick.symbol] = tick.price
