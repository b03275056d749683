"""The Alpaca venue adapter: orders over alpaca-py's REST client, reports from its stream.

Theory of operation
-------------------
Requests go out over REST (:class:`~ordergate.venues.alpaca.rest.AlpacaRest`); everything
that happens to an order afterwards (accepted, fills, canceled, replaced, expired) comes
back over the trade updates stream (:class:`~ordergate.venues.alpaca.updates.TradeUpdates`),
and only from there, so reports keep the order Alpaca produced them in and none is doubled.
REST answers produce reports only when Alpaca refuses a request: REJECTED,
CANCEL_REJECTED or REPLACE_REJECTED, never an exception.

Ordergate's order id is always sent as ``client_order_id``, and Alpaca keeps client order
ids unique, which makes recovery safe:

- 429 (RATE_LIMITED): Alpaca did nothing; wait Retry-After (capped) and send again.
- A timeout, a dropped connection or a 5xx (UNKNOWN_OUTCOME): the order may be there. Ask
  GET /v2/orders:by_client_order_id first; found means done (its reports are on the
  stream), not found means it never arrived and is sent again. A refusal of a resend is
  checked the same way, because it may be Alpaca refusing our own first copy's id.
- If the question cannot be answered either, :class:`~ordergate.gateway.errors.VenueError`
  (UNKNOWN_OUTCOME) is raised rather than guessing.

A replace is a new Alpaca order with a new id: it is sent with client order id
``<order id>~R<n>``, and its stream events map back onto the one ordergate order, whose
``venue_order_id`` changes with the REPLACED report.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import structlog

from ordergate.clock import Clock, LiveClock
from ordergate.domain.reports import (
    ExecKind,
    ExecutionReport,
    FillReport,
    OrderStatusReport,
    VenueOrder,
)
from ordergate.gateway.errors import VenueError, VenueErrorKind
from ordergate.venues.alpaca.capabilities import ALPACA_CAPABILITIES
from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.alpaca.parsing import (
    fill_report,
    format_time,
    our_order_id,
    parse_time_ns,
    replacement_client_order_id,
    status_report,
    trade_update_report,
)
from ordergate.venues.alpaca.rest import AlpacaRest
from ordergate.venues.alpaca.schemas import FillActivity, OrderRecord, TradeUpdateRecord, convert
from ordergate.venues.alpaca.updates import TradeUpdates
from ordergate.venues.alpaca.wire import order_body, refusal, replace_body
from ordergate.venues.base import ReplaceRequest, VenueAdapter

__all__ = ["AlpacaVenue"]

log = structlog.get_logger("ordergate.venues.alpaca")

_PAGE = 100
_MAX_OPEN = 500
_CANCELING = frozenset({"canceled", "pending_cancel"})
_RETRY_KINDS = frozenset({VenueErrorKind.RATE_LIMITED, VenueErrorKind.UNKNOWN_OUTCOME})


class AlpacaVenue(VenueAdapter):
    """One Alpaca trading account (paper, live or the simulator) as a venue.

    Parameters
    ----------
    config
        Keys, endpoints, symbols, timeouts and retry limits.
    clock
        Time of reports that carry none, and of replacement client order ids.
    """

    def __init__(self, config: AlpacaVenueConfig, *, clock: Clock | None = None) -> None:
        self.name = config.name
        self.capabilities = ALPACA_CAPABILITIES
        self.config = config
        self.clock: Clock = clock or LiveClock()
        self._rest: AlpacaRest | None = None
        self._updates: TradeUpdates | None = None
        self._reports: asyncio.Queue[ExecutionReport | None] = asyncio.Queue()
        self._venue_ids: dict[str, str] = {}  # our order id -> its newest Alpaca order id
        self._order_ids: dict[str, str] = {}  # Alpaca order id -> our order id
        self._last_replace = 0

    @property
    def connected(self) -> bool:
        """Return True between :meth:`connect` and :meth:`disconnect`."""
        return self._rest is not None

    async def connect(self) -> None:
        """Check the keys (GET /v2/account), then listen to trade updates.

        Raises
        ------
        VenueError
            AUTH when the keys are refused; UNKNOWN_OUTCOME when Alpaca cannot be reached
            or the stream does not start listening within ``connect_timeout_s``.
        """
        if self._rest is not None:
            return
        rest = AlpacaRest(self.config)
        updates = TradeUpdates(self.config, self._on_update)
        try:
            await rest.account()
            if not await updates.start(self.config.connect_timeout_s):
                raise VenueError(
                    VenueErrorKind.UNKNOWN_OUTCOME,
                    self.name,
                    "STREAM",
                    "the trade updates stream did not start listening",
                )
        except BaseException:
            await updates.stop()
            await rest.close()
            raise
        self._rest, self._updates = rest, updates

    async def disconnect(self) -> None:
        """Stop the stream, close the REST session and end the report stream."""
        if self._rest is None:
            return
        rest, updates = self._rest, self._updates
        self._rest = self._updates = None
        if updates is not None:
            await updates.stop()
        await rest.close()
        self._reports.put_nowait(None)

    async def submit(self, order: VenueOrder) -> None:
        """Send a new order (POST /v2/orders) with its order id as the client order id.

        Raises
        ------
        VenueError
            UNKNOWN_OUTCOME when neither the order nor the question whether it arrived got
            an answer within ``max_attempts``.
        """
        reason = refusal(order)
        if reason is not None or self._rest is None:
            self._refuse(
                ExecKind.REJECTED,
                order.order_id,
                None,
                reason or "not connected",
                None if reason else VenueErrorKind.RETRYABLE,
            )
            return
        rest = self._rest
        body = order_body(order, self.config)
        uncertain = False  # an earlier attempt may have placed it
        last: VenueError | None = None
        for attempt in range(self.config.max_attempts):
            try:
                self._learn(await rest.submit_order(body))
                return
            except VenueError as e:
                last = e
                uncertain |= e.kind is VenueErrorKind.UNKNOWN_OUTCOME
                if (
                    uncertain
                    and e.kind is not VenueErrorKind.RATE_LIMITED
                    and await self._find(rest, order.order_id) is not None
                ):
                    return  # it is there: its reports come over the stream
                if e.kind in _RETRY_KINDS:
                    await self._pause(e, attempt)
                    continue
                self._refuse(ExecKind.REJECTED, order.order_id, None, "", e)
                return
        self._refuse(ExecKind.REJECTED, order.order_id, None, "no answer from Alpaca", last)

    async def cancel(self, order_id: str, venue_order_id: str | None, symbol: str) -> None:
        """Ask to cancel an order (DELETE /v2/orders/{order_id}); CANCELED comes on the stream.

        Raises
        ------
        VenueError
            UNKNOWN_OUTCOME when Alpaca cannot say whether the order exists.
        """
        if self._rest is None:
            self._refuse(
                ExecKind.CANCEL_REJECTED,
                order_id,
                venue_order_id,
                "not connected",
                VenueErrorKind.RETRYABLE,
            )
            return
        rest = self._rest
        current = await self._current_id(rest, order_id, venue_order_id)
        if current is None:
            self._refuse(ExecKind.CANCEL_REJECTED, order_id, None, "Alpaca has no such order")
            return
        last: VenueError | None = None
        for attempt in range(self.config.max_attempts):
            try:
                await rest.cancel_order(current)
                return
            except VenueError as e:
                last = e
                if e.kind is VenueErrorKind.UNKNOWN_OUTCOME:
                    answer = await rest.order(current)
                    if answer is not None and convert(answer, OrderRecord).status in _CANCELING:
                        return
                if e.kind in _RETRY_KINDS:
                    await self._pause(e, attempt)
                    continue
                self._refuse(ExecKind.CANCEL_REJECTED, order_id, current, "", e)
                return
        self._refuse(ExecKind.CANCEL_REJECTED, order_id, current, "no answer from Alpaca", last)

    async def replace(self, request: ReplaceRequest) -> None:
        """Ask to change an order's terms (PATCH /v2/orders/{order_id}).

        Alpaca answers with a new order; the REPLACED report (with the new venue order id)
        comes on the stream.

        Raises
        ------
        VenueError
            UNKNOWN_OUTCOME when Alpaca cannot say whether the replace happened.
        """
        order_id = request.order_id
        if self._rest is None:
            self._refuse(
                ExecKind.REPLACE_REJECTED,
                order_id,
                request.venue_order_id,
                "not connected",
                VenueErrorKind.RETRYABLE,
            )
            return
        rest = self._rest
        current = await self._current_id(rest, order_id, request.venue_order_id)
        if current is None:
            self._refuse(ExecKind.REPLACE_REJECTED, order_id, None, "Alpaca has no such order")
            return
        self._last_replace = max(self.clock.now_ns(), self._last_replace + 1)
        client_order_id = replacement_client_order_id(order_id, self._last_replace)
        try:
            body = replace_body(request, client_order_id)
        except ValueError as e:
            self._refuse(ExecKind.REPLACE_REJECTED, order_id, current, str(e))
            return
        uncertain = False
        last: VenueError | None = None
        for attempt in range(self.config.max_attempts):
            try:
                self._learn(await rest.replace_order(current, body))
                return
            except VenueError as e:
                last = e
                uncertain |= e.kind is VenueErrorKind.UNKNOWN_OUTCOME
                if (
                    uncertain
                    and e.kind is not VenueErrorKind.RATE_LIMITED
                    and await self._find(rest, client_order_id) is not None
                ):
                    return  # replaced: the REPLACED report comes over the stream
                if e.kind in _RETRY_KINDS:
                    await self._pause(e, attempt)
                    continue
                self._refuse(ExecKind.REPLACE_REJECTED, order_id, current, "", e)
                return
        self._refuse(ExecKind.REPLACE_REJECTED, order_id, current, "no answer from Alpaca", last)

    async def open_orders(self) -> list[OrderStatusReport]:
        """Return every open order of the account (GET /v2/orders?status=open).

        Raises
        ------
        VenueError
            When Alpaca does not answer.
        """
        rest = self._require()
        params = {"status": "open", "limit": str(_MAX_OPEN), "direction": "asc"}
        reports = []
        for raw in await rest.orders(params):
            record = convert(raw, OrderRecord)
            self._learn_record(record)
            report = status_report(record, self.config)
            if report is not None:
                reports.append(report)
        return reports

    async def fills_since(self, ts_ns: int) -> list[FillReport]:
        """Return every fill at or after ``ts_ns`` (GET /v2/account/activities/FILL).

        Raises
        ------
        VenueError
            When Alpaca does not answer.
        """
        rest = self._require()
        # ``after`` is exclusive and in microseconds: ask from just before, keep exact.
        params = {
            "direction": "asc",
            "page_size": str(_PAGE),
            "after": format_time(ts_ns // 1_000 * 1_000 - 1_000),
        }
        fills: list[FillReport] = []
        while True:
            page = [convert(raw, FillActivity) for raw in await rest.fill_activities(params)]
            for activity in page:
                if parse_time_ns(activity.transaction_time) < ts_ns:
                    continue
                order_id = await self._order_id_of(rest, activity.order_id)
                fills.append(fill_report(activity, order_id, self.config))
            if len(page) < _PAGE:
                return fills
            params["page_token"] = page[-1].id

    async def execution_reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield execution reports in the order the stream delivered them until disconnect."""
        while (report := await self._reports.get()) is not None:
            yield report

    # -- internals ----------------------------------------------------------------------

    def _require(self) -> AlpacaRest:
        if self._rest is None:
            raise VenueError(VenueErrorKind.RETRYABLE, self.name, "DISCONNECTED", "not connected")
        return self._rest

    async def _on_update(self, message: Any) -> None:
        try:
            update = convert(message["data"], TradeUpdateRecord)
            report = trade_update_report(update, self.config, self.clock.now_ns())
        except (KeyError, TypeError, ValueError, msgspec.ValidationError) as e:
            log.warning("unreadable trade update dropped", venue=self.name, error=str(e))
            return
        # Reports of orders this process did not send (placed elsewhere, or before a
        # restart) are passed on too: the OMS knows which orders are its own.
        self._learn_record(update.order)
        if report is not None:
            self._reports.put_nowait(report)

    def _learn(self, answer: Any) -> None:
        try:
            self._learn_record(convert(answer, OrderRecord))
        except msgspec.ValidationError as e:
            log.warning("unreadable order answer", venue=self.name, error=str(e))

    def _learn_record(self, record: OrderRecord) -> None:
        order_id = our_order_id(record.client_order_id)
        self._order_ids[record.id] = order_id
        if record.replaced_by is None:  # a replaced record no longer speaks for the order
            self._venue_ids[order_id] = record.id

    async def _find(self, rest: AlpacaRest, client_order_id: str) -> OrderRecord | None:
        """Ask Alpaca for the order of ``client_order_id``, retrying what can be retried."""
        for attempt in range(self.config.max_attempts):
            try:
                answer = await rest.order_by_client_id(client_order_id)
            except VenueError as e:
                if e.kind not in _RETRY_KINDS:
                    raise
                await self._pause(e, attempt)
                continue
            if answer is None:
                return None
            record = convert(answer, OrderRecord)
            self._learn_record(record)
            return record
        raise VenueError(
            VenueErrorKind.UNKNOWN_OUTCOME,
            self.name,
            "UNRESOLVED",
            f"cannot tell whether {client_order_id!r} reached Alpaca",
        )

    async def _current_id(
        self, rest: AlpacaRest, order_id: str, venue_order_id: str | None
    ) -> str | None:
        known = self._venue_ids.get(order_id)
        if known is not None:
            return known
        if venue_order_id is not None:
            return venue_order_id
        record = await self._find(rest, order_id)
        while record is not None and record.replaced_by is not None:
            answer = await rest.order(record.replaced_by)
            record = None if answer is None else convert(answer, OrderRecord)
        return None if record is None else record.id

    async def _order_id_of(self, rest: AlpacaRest, venue_order_id: str) -> str:
        known = self._order_ids.get(venue_order_id)
        if known is not None:
            return known
        answer = await rest.order(venue_order_id)
        if answer is None:
            return venue_order_id  # Alpaca forgot it; the venue's id is all there is
        record = convert(answer, OrderRecord)
        self._learn_record(record)
        return our_order_id(record.client_order_id)

    async def _pause(self, error: VenueError, attempt: int) -> None:
        wait = error.retry_after
        if wait is None:
            wait = self.config.retry_backoff_s * 2**attempt
        await asyncio.sleep(min(wait, self.config.max_retry_after_s))

    def _refuse(
        self,
        kind: ExecKind,
        order_id: str,
        venue_order_id: str | None,
        reason: str,
        error: VenueError | VenueErrorKind | None = None,
    ) -> None:
        kind_of_error: VenueErrorKind | None
        if isinstance(error, VenueError):
            reason = f"{reason}: {_reason(error)}" if reason else _reason(error)
            kind_of_error = error.kind
        else:
            kind_of_error = error
        self._reports.put_nowait(
            ExecutionReport(
                kind=kind,
                venue=self.name,
                order_id=order_id,
                venue_order_id=venue_order_id,
                reason=reason,
                error_kind=kind_of_error,
                ts_event=self.clock.now_ns(),
            )
        )


def _reason(error: VenueError) -> str:
    return f"{error.kind.value} [{error.code}]: {error.message}"
