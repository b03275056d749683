"""The simulated exchange as a FIX acceptor, driven by a raw FIX client over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from ordergate.clock import LiveClock
from ordergate.domain.instrument import Instrument
from ordergate.domain.values import AssetClass
from ordergate.fix.message import FixMessage
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport import FixConnection, FixInitiator, memory_stores
from ordergate.sim.fix import SimFixExchange, acceptor_session

AAPL = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.EQUITY,
    quote_currency="USD",
    tick_size=Decimal("0.01"),
    lot_size=Decimal(1),
    min_quantity=Decimal(1),
)
NOW = "20231114-22:13:20.123"


class Client:
    """A FIX application that keeps what it receives."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[FixMessage] = asyncio.Queue()

    def on_logon(self, connection: FixConnection) -> None:
        pass

    def on_logout(self, connection: FixConnection) -> None:
        pass

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        self.inbox.put_nowait(message)

    async def next(self) -> FixMessage:
        async with asyncio.timeout(5):
            return await self.inbox.get()


class Session:
    def __init__(self, initiator: FixInitiator, client: Client) -> None:
        self.initiator = initiator
        self.client = client

    def send(self, msg_type: str, *fields: tuple[int, str]) -> int:
        return self.initiator.send(FixMessage.of(msg_type, *fields))

    async def next(self) -> dict[int, str]:
        message = await self.client.next()
        fields = {tag: value.decode() for tag, value in message.fields}
        fields[35] = message.msg_type
        return fields


@pytest.fixture(params=["FIX.4.2", "FIX.4.4"])
def begin_string(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def exchange(begin_string: str) -> AsyncIterator[SimFixExchange]:
    exchange = SimFixExchange([AAPL], clock=LiveClock())
    await exchange.start([acceptor_session(begin_string, "EXCH", "C1")])
    yield exchange
    await exchange.stop()


@pytest.fixture
async def session(exchange: SimFixExchange, begin_string: str) -> AsyncIterator[Session]:
    client = Client()
    initiator = FixInitiator(
        SessionConfig(
            begin_string=begin_string,
            sender_comp_id="C1",
            target_comp_id="EXCH",
            role=Role.INITIATOR,
        ),
        memory_stores(),
        None,
        [("127.0.0.1", exchange.port)],
        client,
    )
    await initiator.start()
    await initiator.wait_logged_on(5)
    yield Session(initiator, client)
    await initiator.stop()


def new_order(
    cl_ord_id: str, side: str, quantity: str, price: str, begin: str
) -> list[tuple[int, str]]:
    fields = [(11, cl_ord_id), (1, "ACC")]
    if begin == "FIX.4.2":
        fields.append((21, "1"))
    fields += [
        (55, "AAPL"),
        (54, side),
        (60, NOW),
        (38, quantity),
        (40, "2"),
        (44, price),
        (59, "1"),
    ]
    return fields


async def test_new_order_is_acknowledged(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))

    ack = await session.next()

    assert (ack[35], ack[11], ack[39], ack[151], ack[14]) == ("8", "A", "0", "10", "0")
    assert ack[150] == "0"
    assert ack[37].startswith("FIXSIM-")
    assert (ack.get(20) == "0") is (begin_string == "FIX.4.2")


async def test_fills_follow_the_version_rules(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    await session.next()
    session.send("D", *new_order("B", "1", "10", "191", begin_string))
    await session.next()  # B's ack

    maker, taker = await session.next(), await session.next()

    assert {maker[11], taker[11]} == {"A", "B"}
    for fill in (maker, taker):
        assert (fill[32], fill[31], fill[39], fill[151], fill[14], fill[6]) == (
            "10",
            "190",
            "2",
            "0",
            "10",
            "190",
        )
        if begin_string == "FIX.4.2":
            assert (fill[150], fill[20], fill[15]) == ("2", "0", "USD")
        else:
            assert (fill[150], fill[479]) == ("F", "USD")
    assert begin_string == "FIX.4.2" or (maker[851], taker[851]) == ("1", "2")


async def test_partial_fill_in_fix42_is_exec_type_1(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    await session.next()
    session.send("D", *new_order("B", "1", "4", "191", begin_string))
    await session.next()

    maker = await session.next()

    assert (maker[11], maker[39], maker[151], maker[14]) == ("A", "1", "6", "4")
    assert maker[150] == ("1" if begin_string == "FIX.4.2" else "F")


async def test_replace_then_cancel_move_the_cl_ord_id(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    await session.next()
    replace = [(41, "A"), *new_order("A.1", "2", "8", "190.5", begin_string)]

    session.send("G", *replace)
    replaced = await session.next()
    session.send("F", (41, "A.1"), (11, "A.2"), (55, "AAPL"), (54, "2"), (60, NOW), (38, "8"))
    canceled = await session.next()

    assert (replaced[150], replaced[11], replaced[41], replaced[38], replaced[44]) == (
        "5",
        "A.1",
        "A",
        "8",
        "190.5",
    )
    assert replaced[151] == "8"
    assert (canceled[150], canceled[39], canceled[11], canceled[41], canceled[151]) == (
        "4",
        "4",
        "A.2",
        "A.1",
        "0",
    )


async def test_cancel_of_unknown_order_is_rejected(session: Session) -> None:
    session.send("F", (41, "nope"), (11, "X.1"), (55, "AAPL"), (54, "1"), (60, NOW), (38, "1"))

    reject = await session.next()

    assert (reject[35], reject[434], reject[102], reject[39], reject[37]) == (
        "9",
        "1",
        "1",
        "8",
        "NONE",
    )
    assert reject[58] == "unknown order 'nope'"


async def test_cancel_of_a_filled_order_is_too_late(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "1", "190", begin_string))
    session.send("D", *new_order("B", "1", "1", "190", begin_string))
    for _ in range(4):
        await session.next()
    session.send("F", (41, "A"), (11, "A.1"), (55, "AAPL"), (54, "2"), (60, NOW), (38, "1"))

    reject = await session.next()

    assert (reject[35], reject[434], reject[102], reject[39]) == ("9", "1", "0", "2")


async def test_replace_changing_the_side_is_rejected(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    await session.next()
    session.send("G", (41, "A"), *new_order("A.1", "1", "10", "190", begin_string))

    reject = await session.next()

    assert (reject[35], reject[434], reject[11], reject[41]) == ("9", "2", "A.1", "A")


async def test_duplicate_cl_ord_id_and_unknown_symbol_are_rejected(
    session: Session, begin_string: str
) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    await session.next()
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    duplicate = await session.next()
    unknown = [
        (55, "TSLA") if tag == 55 else (tag, v)
        for tag, v in new_order("B", "1", "1", "1", begin_string)
    ]
    session.send("D", *unknown)
    no_symbol = await session.next()

    assert (duplicate[150], duplicate[39], duplicate[103]) == ("8", "8", "6")
    assert (no_symbol[150], no_symbol[103], no_symbol[55]) == ("8", "1", "TSLA")


async def test_engine_refusal_is_a_rejected_report(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190.001", begin_string))  # off the tick

    reject = await session.next()

    assert (reject[150], reject[39], reject[103]) == ("8", "8", "0")
    assert "tick" in reject[58]


async def test_status_request(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    await session.next()
    request = [(11, "A"), (55, "AAPL"), (54, "2")]
    if begin_string == "FIX.4.4":
        request.append((790, "S1"))

    session.send("H", *request)
    known = await session.next()
    session.send("H", (11, "Z"), (55, "AAPL"), (54, "1"))
    unknown = await session.next()

    if begin_string == "FIX.4.2":
        assert (known[20], known[150], known[39]) == ("3", "0", "0")
        assert (unknown[20], unknown[39], unknown[103]) == ("3", "8", "5")
    else:
        assert (known[150], known[39], known[790]) == ("I", "0", "S1")
        assert (unknown[150], unknown[39], unknown[103]) == ("I", "8", "5")


async def test_unsupported_message_gets_a_business_reject(
    session: Session, begin_string: str
) -> None:
    seq = session.send("R", (131, "Q1"), (146, "1"), (55, "AAPL"))  # QuoteRequest

    reject = await session.next()

    assert (reject[35], reject[372], reject[380], reject[45]) == ("j", "R", "3", str(seq))


# OrderMassCancelRequest(q) is FIX 4.3+: this overrides the fixture's 4.2/4.4 parameters.
@pytest.mark.parametrize("begin_string", ["FIX.4.4"])
async def test_mass_cancel(session: Session, begin_string: str) -> None:
    session.send("D", *new_order("A", "2", "10", "190", begin_string))
    session.send("D", *new_order("B", "2", "10", "191", begin_string))
    await session.next()
    await session.next()

    session.send("q", (11, "MC1"), (530, "7"), (60, NOW))
    report = await session.next()
    canceled = {(await session.next())[11] for _ in range(2)}
    session.send("q", (11, "MC2"), (530, "5"), (60, NOW))
    refused = await session.next()

    assert (report[35], report[530], report[531], report[533]) == ("r", "7", "7", "2")
    assert canceled == {"A", "B"}
    assert (refused[531], refused[532]) == ("0", "0")


async def test_reports_made_while_logged_out_are_sent_after_logon(
    exchange: SimFixExchange, begin_string: str
) -> None:
    client = Client()
    config = SessionConfig(
        begin_string=begin_string, sender_comp_id="C1", target_comp_id="EXCH", role=Role.INITIATOR
    )
    initiator = FixInitiator(config, memory_stores(), None, [("127.0.0.1", exchange.port)], client)
    await initiator.start()
    connection = await initiator.wait_logged_on(5)
    try:
        initiator.send(FixMessage.of("D", *new_order("A", "2", "5", "190", begin_string)))
        await client.next()
        exchange.on_logout(connection)
        # A market step fills the resting order while the session is away (no market here,
        # so the engine is driven directly, as the market would).
        from ordergate.domain.reports import VenueOrder
        from ordergate.domain.values import OrderType, Side

        now = LiveClock().now_ns()
        crossing = VenueOrder(
            order_id="m1",
            account="MM",
            symbol="AAPL",
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            quantity=Decimal(5),
            price=Decimal(190),
        )
        exchange._publish(exchange.engine.submit(crossing, now, internal=True), now)
        assert client.inbox.empty()
        exchange.on_logon(connection)
        fill = await client.next()
        assert fill.get(11) == b"A"
        assert fill.get(39) == b"2"
    finally:
        await initiator.stop()
