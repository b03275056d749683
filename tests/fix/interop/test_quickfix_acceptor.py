"""Our initiator against a QuickFIX acceptor that plays the exchange, FIX 4.2 and 4.4."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from ordergate.fix.message import FixMessage
from ordergate.fix.session import FixSession
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store import DurableMessageStore, open_message_store
from ordergate.fix.transport import Backoff, FixInitiator, url_stores
from tests.fix.interop.exchange import (
    cancel_order,
    new_order,
    replace_order,
)
from tests.fix.interop.quickfix_side import TIMEOUT, QuickFixSide
from tests.fix.transport.helpers import Recorder
from tests.fix.transport.test_sessions import unused_port

pytestmark = pytest.mark.integration


class Setup:
    """QuickFIX acceptor (exchange) + our initiator, both with durable stores in tmp_path."""

    def __init__(self, tmp_path: Path, begin: str) -> None:
        self.tmp_path = tmp_path
        self.begin = begin
        self.port = unused_port()
        self.config = SessionConfig(
            begin_string=begin, sender_comp_id="OGATE", target_comp_id="QFX", role=Role.INITIATOR
        )
        self.store_url = f"sqlite:///{tmp_path}/ours.db"
        self.quickfix = self.new_quickfix()
        self.application = Recorder()
        self.initiator = self.new_initiator()

    def new_quickfix(self) -> QuickFixSide:
        return QuickFixSide(
            self.tmp_path / "quickfix",
            role="acceptor",
            begin_string=self.begin,
            sender="QFX",
            target="OGATE",
            port=self.port,
            exchange=True,
        )

    def new_initiator(self) -> FixInitiator:
        return FixInitiator(
            self.config,
            url_stores(self.store_url),
            None,
            [("127.0.0.1", self.port)],
            self.application,
            backoff=Backoff(initial=0.05, maximum=0.2, rng=random.Random(1)),
        )

    async def logged_on(self) -> None:
        await self.initiator.wait_logged_on(TIMEOUT)
        await self.quickfix.wait_logon()


@pytest.fixture(params=["FIX.4.2", "FIX.4.4"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    s = Setup(tmp_path, request.param)
    await s.quickfix.start()
    await s.initiator.start()
    try:
        yield s
    finally:
        await s.initiator.stop()
        await s.quickfix.stop(force=True)


def kinds(reports: list[FixMessage]) -> list[tuple[str | None, str | None, Decimal | None]]:
    return [(r.get_str(150), r.get_str(39), r.get_decimal(14)) for r in reports]


async def test_order_round_trip_with_partial_fills_replace_cancel_and_logout(setup: Setup) -> None:
    await setup.logged_on()
    fill = "1" if setup.begin == "FIX.4.2" else "F"

    setup.initiator.send(new_order("ORD-1"))
    reports = [await setup.application.next_message() for _ in range(3)]
    setup.initiator.send(replace_order("ORD-1", "ORD-2", qty=150, price="190.25"))
    replaced = await setup.application.next_message()
    setup.initiator.send(cancel_order("ORD-2", "ORD-3"))
    canceled = await setup.application.next_message()
    at_quickfix = [await setup.quickfix.next_received() for _ in range(3)]
    await setup.initiator.stop()
    await setup.quickfix.wait_logout()
    await setup.application.next_logout()

    assert kinds(reports) == [("0", "0", 0), (fill, "1", 30), (fill, "1", 50)]
    assert [r.get_decimal(151) for r in reports] == [100, 70, 50]
    assert reports[1].get_decimal(31) == Decimal("189.5")
    assert replaced.get_str(150) == "5"
    assert replaced.get_str(41) == "ORD-1"
    assert replaced.get_decimal(151) == 100  # 150 - 50 filled
    assert replaced.get_decimal(44) == Decimal("190.25")
    assert (canceled.get_str(150), canceled.get_str(39)) == ("4", "4")
    assert canceled.get_decimal(151) == 0
    assert [m.msg_type for m in at_quickfix] == ["D", "G", "F"]
    assert at_quickfix[0].get_str(49) == "OGATE"
    assert not any(setup.application.poss_dups)


async def test_a_sequence_gap_on_either_side_is_answered_by_resend(setup: Setup) -> None:
    await setup.logged_on()
    await setup.initiator.stop()
    await setup.quickfix.wait_logout()
    # While we are away, each side sends a message the other never saw on the wire:
    # QuickFIX stores its report and holds it; we store an order and hold it.
    assert setup.quickfix.send_report("HELD-BY-QUICKFIX")
    store = await open_message_store(setup.store_url, setup.config.session_id)
    assert isinstance(store, DurableMessageStore)
    held_seq = FixSession(setup.config, store).send(new_order("HELD-BY-US"), 0)
    await store.close()

    setup.initiator = setup.new_initiator()
    await setup.initiator.start()
    await setup.logged_on()
    resent_to_quickfix = await setup.quickfix.next_received()
    ours = [await setup.application.next_message() for _ in range(4)]

    # QuickFIX saw our Logon above the gap, asked for the order and got it as a PossDup.
    assert resent_to_quickfix.get_str(11) == "HELD-BY-US"
    assert resent_to_quickfix.get_int(34) == held_seq
    assert resent_to_quickfix.get_bool(43)
    assert 122 in resent_to_quickfix
    # We saw QuickFIX's Logon above the gap, asked, and got its report resent; then the
    # exchange's three reports for the order it just received.
    held = [m for m in ours if m.get_str(58) == "HELD-BY-QUICKFIX"]
    assert len(held) == 1
    assert held[0].get_bool(43)
    assert setup.application.poss_dups[ours.index(held[0])]
    assert [m.get_str(11) for m in ours if m is not held[0]] == ["HELD-BY-US"] * 3


async def test_a_restart_of_either_side_keeps_sequence_numbers(setup: Setup) -> None:
    await setup.logged_on()
    setup.initiator.send(new_order("BEFORE"))
    for _ in range(3):
        await setup.application.next_message()
    await setup.quickfix.next_received()

    # Restart our side: a new initiator over the same store continues the numbers.
    sent_before = setup.initiator.store.next_sender_seq()
    await setup.initiator.stop()
    await setup.quickfix.wait_logout()
    await setup.application.next_logout()
    setup.quickfix.drain_admin()
    setup.initiator = setup.new_initiator()
    await setup.initiator.start()
    await setup.logged_on()
    logon = await setup.quickfix.next_admin("A")
    assert logon.get_int(34) == sent_before + 1  # after our Logout, no reset

    # Restart QuickFIX: its FileStore keeps its numbers; we reconnect by ourselves.
    received_before = setup.initiator.store.next_target_seq()
    await setup.quickfix.stop()
    await setup.application.next_logout()
    setup.quickfix = setup.new_quickfix()
    await setup.quickfix.start()
    await setup.logged_on()
    assert setup.initiator.store.next_target_seq() > received_before

    setup.initiator.send(new_order("AFTER"))
    after = [await setup.application.next_message() for _ in range(3)]
    assert [m.get_str(11) for m in after] == ["AFTER"] * 3
    assert not any(setup.application.poss_dups)
    # Both ends agree on both numbers. (Our reconnect attempts while QuickFIX shut down may
    # have sent Logons it never read: it asked for them and we filled the gap.)
    await setup.quickfix.agrees_with(setup.initiator.store)
