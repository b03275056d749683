"""The drop copy against QuickFIX (an independent engine, with its data dictionary), 4.2 and 4.4."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ordergate.domain.commands import CancelOrder, ModifyOrder
from ordergate.domain.reports import ExecKind, ExecutionReport
from ordergate.feed import Feed
from ordergate.feed.dropcopy import Counterparty, DropCopyConfig, start_drop_copy
from ordergate.fix.message import FixMessage
from ordergate.oms.service import OrderManager
from tests.feed.test_dropcopy_server import expected_exec_ids, place, started, trade
from tests.fix.interop.quickfix_side import QuickFixSide
from tests.oms.scripted_venue import ScriptedVenue

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.4"])
async def test_quickfix_validates_and_receives_the_entitled_reports_and_resumes(
    oms: OrderManager, venue: ScriptedVenue, tmp_path: Path, begin: str
) -> None:
    feed = Feed(oms.store, oms.hub)
    config = DropCopyConfig(
        comp_id="OGATE",
        counterparties=(Counterparty(comp_id="QFX", accounts=frozenset({"ACC1"})),),
        store_url=f"sqlite:///{tmp_path / 'fix.db'}",
    )
    server = await start_drop_copy(feed, config)

    def quickfix() -> QuickFixSide:
        return QuickFixSide(
            tmp_path / "quickfix",
            role="initiator",
            begin_string=begin,
            sender="QFX",
            target="OGATE",
            port=server.port,
            exchange=False,
        )

    side = quickfix()
    received: list[FixMessage] = []
    try:
        await side.start()
        await side.wait_logon()
        await started(server, f"{begin}:OGATE->QFX")
        first = await place(oms, venue, "a")
        await place(oms, venue, "noise", "ACC2")
        await trade(oms, venue, first, "40")
        received += [await side.next_received() for _ in range(3)]
        await side.stop()
        # Away: the rest of the fill, a refused replace and a cancel request; then a logon.
        await trade(oms, venue, first, "60")
        second = await place(oms, venue, "b")
        await oms.modify(ModifyOrder(order_id=second, quantity=Decimal(150)))
        await oms.handle_report(
            ExecutionReport(
                kind=ExecKind.REPLACE_REJECTED, venue=venue.name, order_id=second, reason="no"
            )
        )
        await oms.cancel(CancelOrder(order_id=second))
        side = quickfix()
        await side.start()
        received += [await side.next_received() for _ in range(6)]
    finally:
        await side.stop(force=True)
        await server.stop()

    assert side.uses_dictionary  # QuickFIX validated every report against its own dictionary
    assert [m.get_str(17) for m in received] == await expected_exec_ids(feed, "ACC1")
    trade_type = ("1", "2") if begin == "FIX.4.2" else ("F", "F")
    assert [(m.get_str(150), m.get_str(39)) for m in received] == [
        ("A", "A"), ("0", "0"), (trade_type[0], "1"), (trade_type[1], "2"), ("A", "A"),
        ("0", "0"), ("E", "E"), ("D", "0"), ("6", "6"),
    ]  # fmt: skip
    assert not any(m.get_bool(43) for m in received)
    assert {m.get_str(1) for m in received} == {"ACC1"}
