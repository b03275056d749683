"""FixVenue: refusals without a session, PossDup fills, reconciliation, mass cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.clock import LiveClock
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.domain.values import OrderStatus, Side
from ordergate.fix.message import FixMessage
from ordergate.fix.venue import FixMappingError, FixVenue
from ordergate.sim.fix import SimFixExchange, acceptor_session
from ordergate.venues.base import ReplaceRequest
from tests.fix.venue.helpers import config, order
from tests.oms.conftest import AAPL


async def next_report(venue: FixVenue) -> ExecutionReport:
    async with asyncio.timeout(5):
        return await anext(venue.execution_reports())


@pytest.fixture
async def exchange() -> AsyncIterator[SimFixExchange]:
    exchange = SimFixExchange([AAPL], clock=LiveClock())
    await exchange.start(
        [
            acceptor_session("FIX.4.4", "EXCH", "CLIENT"),
            acceptor_session("FIX.4.2", "EXCH", "CLIENT"),
        ]
    )
    yield exchange
    await exchange.stop()


@pytest.fixture
async def venue(exchange: SimFixExchange) -> AsyncIterator[FixVenue]:
    venue = FixVenue(config(endpoints=[("127.0.0.1", exchange.port)], supports_mass_cancel=True))
    await venue.connect()
    yield venue
    await venue.disconnect()


async def test_requests_without_a_session_are_answered_with_rejects() -> None:
    venue = FixVenue(config())

    await venue.submit(order())
    await venue.cancel("O-1", None, "AAPL")
    await venue.replace(ReplaceRequest(order_id="O-1", venue_order_id=None, symbol="AAPL"))

    rejected, cancel, replace = [await next_report(venue) for _ in range(3)]
    assert (rejected.kind, rejected.reason) == (
        ExecKind.REJECTED,
        "FIXSIM: FIX session not logged on",
    )
    assert cancel.kind is ExecKind.CANCEL_REJECTED
    assert "not working on this session" in (cancel.reason or "")
    assert replace.kind is ExecKind.REPLACE_REJECTED
    assert len(venue.book) == 0


async def test_order_fix_cannot_express_is_rejected_at_once() -> None:
    from ordergate.domain.values import TimeInForce

    venue = FixVenue(config())
    await venue.submit(order(time_in_force=TimeInForce.GTD))
    report = await next_report(venue)
    assert report.kind is ExecKind.REJECTED
    assert "ExpireTime" in (report.reason or "")


async def test_duplicate_order_id_is_rejected(venue: FixVenue) -> None:
    await venue.submit(order())
    first = await next_report(venue)
    await venue.submit(order())
    second = await next_report(venue)
    assert first.kind is ExecKind.ACCEPTED
    assert (second.kind, second.reason) == (ExecKind.REJECTED, "order 'O-1' was already sent")


def fill_message(exec_id: str = "E1") -> FixMessage:
    return FixMessage.of(
        "8",
        (37, "EX-1"),
        (11, "O-1"),
        (17, exec_id),
        (150, "F"),
        (39, "1"),
        (55, "AAPL"),
        (54, "1"),
        (32, "10"),
        (31, "190"),
        (151, "90"),
        (14, "10"),
        (6, "190"),
        (60, "20231114-22:13:20.123"),
    )


async def test_poss_dup_resend_of_a_fill_is_counted_once() -> None:
    venue = FixVenue(config())
    await venue.submit(order())  # not logged on: rejected, but that is not the point here
    await next_report(venue)

    venue.on_message(None, fill_message(), False)  # type: ignore[arg-type]
    venue.on_message(None, fill_message(), True)  # type: ignore[arg-type]  (PossDupFlag=Y)
    venue.on_message(None, fill_message("E2"), True)  # type: ignore[arg-type]

    first, second = await next_report(venue), await next_report(venue)
    assert (first.execution_id, second.execution_id) == ("E1", "E2")
    assert venue.duplicates == 1
    fills = await venue.fills_since(0)
    assert [f.execution_id for f in fills] == ["E1", "E2"]
    assert fills[0].side is Side.BUY
    assert await venue.fills_since(1_800_000_000_000_000_000) == []


async def test_messages_that_cannot_be_applied_are_kept_and_not_forwarded() -> None:
    venue = FixVenue(config())
    bust = FixMessage.of("8", (11, "O-1"), (17, "E1"), (150, "H"), (39, "2"))
    venue.on_message(None, bust, False)  # type: ignore[arg-type]
    venue.on_message(None, FixMessage.of("8", (11, "O-1"), (150, "6")), False)  # type: ignore[arg-type]
    assert len(venue.refused) == 1
    assert venue._reports.empty()


async def test_open_orders_asks_the_exchange_and_forgets_unknown_orders(
    venue: FixVenue, exchange: SimFixExchange
) -> None:
    await venue.submit(order(order_id="O-1", side=Side.SELL))
    await venue.submit(order(order_id="O-2", side=Side.SELL, price=Decimal("191")))
    for _ in range(2):
        assert (await next_report(venue)).kind is ExecKind.ACCEPTED
    exchange.lose_order("O-2", "FIX.4.4:EXCH->CLIENT")
    # After a restart the OMS knows an order this process never sent; ask about it too.
    venue.order_source = lambda: [order(order_id="O-3")]

    reports = await venue.open_orders()

    assert [(r.order_id, r.status) for r in reports] == [("O-1", OrderStatus.NEW)]
    assert reports[0].venue_order_id.startswith("FIXSIM-")
    assert "O-2" not in venue.book
    assert "O-3" not in venue.book


async def test_open_orders_needs_a_session() -> None:
    with pytest.raises(ConnectionError, match="not logged on"):
        await FixVenue(config()).open_orders()


async def test_mass_cancel_cancels_every_open_order(venue: FixVenue) -> None:
    await venue.submit(order(order_id="O-1"))
    await venue.submit(order(order_id="O-2", price=Decimal("189")))
    for _ in range(2):
        await next_report(venue)

    venue.mass_cancel()

    canceled = {(await next_report(venue)).order_id for _ in range(2)}
    assert canceled == {"O-1", "O-2"}
    assert len(venue.book) == 0


async def test_mass_cancel_refused_where_not_supported(exchange: SimFixExchange) -> None:
    venue = FixVenue(config("FIX.4.2", endpoints=[("127.0.0.1", exchange.port)]))
    with pytest.raises(ConnectionError):
        venue.mass_cancel()
    await venue.connect()
    try:
        with pytest.raises(FixMappingError, match="does not take"):
            venue.mass_cancel()
    finally:
        await venue.disconnect()


async def test_connect_fails_clearly_when_nobody_answers(unused_tcp_port: int) -> None:
    venue = FixVenue(config(endpoints=[("127.0.0.1", unused_tcp_port)], logon_timeout=0.3))
    with pytest.raises(ConnectionError, match=r"no FIX logon within 0\.3 s"):
        await venue.connect()
    await venue.disconnect()
