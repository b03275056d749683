"""A QuickFIX initiator against our acceptor, which plays the exchange, FIX 4.2 and 4.4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from ordergate.fix.message import FixMessage
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.store import DurableMessageStore
from ordergate.fix.transport import FixAcceptor, FixConnection, url_stores
from tests.fix.interop.exchange import (
    Fields,
    TinyExchange,
    cancel_order,
    new_order,
    replace_order,
    unsolicited_report,
)
from tests.fix.interop.quickfix_side import QuickFixSide
from tests.fix.transport.helpers import Recorder
from tests.fix.transport.test_sessions import unused_port

pytestmark = pytest.mark.integration


class Exchange(Recorder):
    """Our application: record, and answer orders like the tiny exchange."""

    def __init__(self, begin: str) -> None:
        super().__init__()
        self.exchange = TinyExchange(begin)

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        super().on_message(connection, message, poss_dup)
        for fields in self.exchange.on_message(message):
            connection.send(FixMessage.of("8", *fields))


def fields_of(message: FixMessage) -> Fields:
    return [(tag, value.decode()) for tag, value in message.body() if tag != 35]


class Setup:
    """Our acceptor (exchange) + a QuickFIX initiator, both with durable stores in tmp_path."""

    def __init__(self, tmp_path: Path, begin: str) -> None:
        self.tmp_path = tmp_path
        self.begin = begin
        self.port = unused_port()
        self.config = SessionConfig(
            begin_string=begin, sender_comp_id="OGATE", target_comp_id="QFX", role=Role.ACCEPTOR
        )
        self.stores = url_stores(f"sqlite:///{tmp_path}/ours.db")
        self.application = Exchange(begin)
        self.acceptor = self.new_acceptor()
        self.quickfix = self.new_quickfix()

    def new_acceptor(self) -> FixAcceptor:
        return FixAcceptor("127.0.0.1", self.port, [self.config], self.stores, self.application)

    def new_quickfix(self) -> QuickFixSide:
        return QuickFixSide(
            self.tmp_path / "quickfix",
            role="initiator",
            begin_string=self.begin,
            sender="QFX",
            target="OGATE",
            port=self.port,
            exchange=False,
        )

    def store(self) -> DurableMessageStore:
        store = self.acceptor.session(self.config.session_id).store
        assert isinstance(store, DurableMessageStore)
        return store

    async def logged_on(self) -> FixConnection:
        connection = await self.application.next_logon()
        await self.quickfix.wait_logon()
        return connection

    def send(self, message: FixMessage) -> None:
        assert self.quickfix.send(fields_of(message), message.msg_type)


@pytest.fixture(params=["FIX.4.2", "FIX.4.4"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    s = Setup(tmp_path, request.param)
    await s.acceptor.start()
    await s.quickfix.start()
    try:
        yield s
    finally:
        await s.quickfix.stop(force=True)
        await s.acceptor.stop()


async def test_order_round_trip_with_partial_fills_replace_cancel_and_logout(setup: Setup) -> None:
    await setup.logged_on()
    fill = "1" if setup.begin == "FIX.4.2" else "F"

    setup.send(new_order("ORD-1"))
    reports = [await setup.quickfix.next_received() for _ in range(3)]
    setup.send(replace_order("ORD-1", "ORD-2", qty=150, price="190.25"))
    replaced = await setup.quickfix.next_received()
    setup.send(cancel_order("ORD-2", "ORD-3"))
    canceled = await setup.quickfix.next_received()
    ours = [await setup.application.next_message() for _ in range(3)]
    await setup.quickfix.stop()
    await setup.application.next_logout()

    assert [(r.get_str(150), r.get_str(39), r.get_decimal(14)) for r in reports] == [
        ("0", "0", 0),
        (fill, "1", 30),
        (fill, "1", 50),
    ]
    assert [r.get_decimal(151) for r in reports] == [100, 70, 50]
    assert reports[2].get_decimal(32) == 20
    assert replaced.get_str(150) == "5"
    assert replaced.get_decimal(44) == Decimal("190.25")
    assert (canceled.get_str(150), canceled.get_str(39)) == ("4", "4")
    assert [m.msg_type for m in ours] == ["D", "G", "F"]
    assert reports[0].get_str(49) == "OGATE"
    assert not any(setup.application.poss_dups)
    session = setup.acceptor.session(setup.config.session_id)
    assert session.connection is None
    assert session.session.state == "disconnected"


async def test_a_sequence_gap_on_either_side_is_answered_by_resend(setup: Setup) -> None:
    await setup.logged_on()
    await setup.quickfix.stop()
    await setup.application.next_logout()
    # While QuickFIX is away, each side sends a message the other never saw on the wire.
    accepted = setup.acceptor.session(setup.config.session_id)
    held_seq = accepted.session.send(
        FixMessage.of("8", *unsolicited_report(setup.begin, "HELD-BY-US")), 0
    )
    await setup.store().flush()
    setup.quickfix = setup.new_quickfix()
    await setup.quickfix.start()
    assert setup.quickfix.session_id is not None
    assert setup.quickfix.send(fields_of(new_order("HELD-BY-QUICKFIX")), "D")  # held: not logged on

    await setup.logged_on()
    at_quickfix = [await setup.quickfix.next_received() for _ in range(4)]
    ours = await setup.application.next_message()

    # QuickFIX asked for our report and got it resent, then the reports for its order.
    held = [m for m in at_quickfix if m.get_str(58) == "HELD-BY-US"]
    assert len(held) == 1
    assert held[0].get_int(34) == held_seq
    assert held[0].get_bool(43)
    assert 122 in held[0]
    assert [m.get_str(11) for m in at_quickfix if m is not held[0]] == ["HELD-BY-QUICKFIX"] * 3
    # We asked for QuickFIX's order and got it as a PossDup.
    assert ours.get_str(11) == "HELD-BY-QUICKFIX"
    assert ours.get_bool(43)
    assert setup.application.poss_dups == [True]


async def test_a_restart_of_either_side_keeps_sequence_numbers(setup: Setup) -> None:
    await setup.logged_on()
    setup.send(new_order("BEFORE"))
    for _ in range(3):
        await setup.quickfix.next_received()
    await setup.application.next_message()

    # Restart our acceptor over the same store: QuickFIX reconnects by itself.
    before = (setup.store().next_sender_seq(), setup.store().next_target_seq())
    await setup.acceptor.stop()
    await setup.quickfix.wait_logout()
    await setup.application.next_logout()
    setup.acceptor = setup.new_acceptor()
    await setup.acceptor.start()
    await setup.logged_on()
    after = (setup.store().next_sender_seq(), setup.store().next_target_seq())
    assert after[0] > before[0]
    assert after[1] > before[1]

    # Restart QuickFIX over its FileStore.
    await setup.quickfix.stop()
    await setup.application.next_logout()
    setup.quickfix = setup.new_quickfix()
    await setup.quickfix.start()
    await setup.logged_on()

    setup.send(new_order("AFTER"))
    reports = [await setup.quickfix.next_received() for _ in range(3)]
    assert [m.get_str(11) for m in reports] == ["AFTER"] * 3
    assert (await setup.application.next_message()).get_str(11) == "AFTER"
    assert not any(setup.application.poss_dups)
    await setup.quickfix.agrees_with(setup.store())
