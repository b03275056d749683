"""The pure parts: feed events, the order directory, filters and the cursor."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.events import OrderAccepted, OrderFilled, OrderPendingCancel, OrderSubmitted
from ordergate.domain.values import Liquidity, OrderType, Side, TimeInForce
from ordergate.feed import (
    Control,
    Cursor,
    FeedFilter,
    FilterError,
    LiveVerdict,
    OrderDirectory,
    feed_event,
    parse_filter,
)


def submitted(order_id: str = "O-1", account: str = "ACC1", **kw: object) -> OrderSubmitted:
    fields: dict[str, object] = {
        "event_id": f"{order_id}-1",
        "order_id": order_id,
        "version": 1,
        "ts_event": 10,
        "ts_init": 11,
        "client_order_id": "c1",
        "account": account,
        "portfolio": "P1",
        "strategy": "S1",
        "venue": "XNAS",
        "symbol": "AAPL",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("100"),
        "price": Decimal("190.10"),
        "stop_price": None,
        "time_in_force": TimeInForce.GTC,
        "expire_time": None,
        "request_digest": "d",
    }
    fields.update(kw)
    return OrderSubmitted(**fields)  # type: ignore[arg-type]


def filled(order_id: str = "O-1") -> OrderFilled:
    return OrderFilled(
        event_id=f"{order_id}-3",
        order_id=order_id,
        version=3,
        ts_event=30,
        ts_init=31,
        execution_id="E1",
        venue="XNAS",
        last_quantity=Decimal("100"),
        last_price=Decimal("190.10"),
        fee=Decimal("0.0100"),
        fee_currency="USD",
        liquidity=Liquidity.TAKER,
        filled_quantity=Decimal("100"),
        leaves_quantity=Decimal("0"),
        notional=Decimal("19010.00"),
    )


def pending_cancel(order_id: str = "O-1") -> OrderPendingCancel:
    return OrderPendingCancel(
        event_id=f"{order_id}-2", order_id=order_id, version=2, ts_event=20, ts_init=21
    )


# -- directory -----------------------------------------------------------------------------


def test_directory_learns_an_orders_tags_from_its_submission() -> None:
    directory = OrderDirectory()

    first = directory.apply(submitted())
    later = directory.apply(pending_cancel())

    assert first == later
    assert later is not None
    assert (later.account, later.portfolio, later.strategy, later.symbol, later.venue) == (
        "ACC1",
        "P1",
        "S1",
        "AAPL",
        "XNAS",
    )
    assert len(directory) == 1


def test_directory_does_not_know_an_order_whose_submission_it_has_not_seen() -> None:
    directory = OrderDirectory()

    assert directory.apply(pending_cancel("O-9")) is None
    assert directory.get("O-9") is None


def test_directory_keeps_orders_apart_and_is_idempotent() -> None:
    directory = OrderDirectory()
    directory.apply(submitted("O-1", account="A"))
    directory.apply(submitted("O-2", account="B"))
    directory.apply(submitted("O-1", account="A"))

    assert [directory.get(o).account for o in ("O-1", "O-2")] == ["A", "B"]  # type: ignore[union-attr]
    assert len(directory) == 2


# -- feed events ---------------------------------------------------------------------------


def test_feed_event_carries_position_tags_and_exact_decimal_strings() -> None:
    directory = OrderDirectory()
    directory.apply(submitted())
    event = filled()

    item = feed_event(42, event, directory.apply(event))

    assert item.position == 42
    assert item.type == "OrderFilled"
    assert (item.order_id, item.account, item.portfolio, item.strategy) == (
        "O-1",
        "ACC1",
        "P1",
        "S1",
    )
    assert (item.symbol, item.venue, item.ts_event) == ("AAPL", "XNAS", 30)
    assert item.body["fee"] == "0.0100"
    assert item.body["notional"] == "19010.00"
    assert item.body["liquidity"] == Liquidity.TAKER.value
    assert not any(isinstance(v, float) for v in item.body.values())
    assert item.to_json()["event"] is item.body


def test_feed_event_of_an_unknown_order_has_no_tags_but_its_own_venue() -> None:
    accepted = OrderAccepted(
        event_id="e", order_id="O-7", version=2, ts_event=1, ts_init=1, venue="XNYS",
        venue_order_id=None,
    )  # fmt: skip

    item = feed_event(3, accepted, None)

    assert (item.account, item.symbol, item.venue) == (None, None, "XNYS")


def test_control_message_json() -> None:
    assert Control(kind="catching_up", position=7).to_json() == {
        "type": "control",
        "control": "catching_up",
        "position": 7,
    }


# -- filters -------------------------------------------------------------------------------


def test_empty_filter_matches_everything() -> None:
    assert FeedFilter().matches(feed_event(1, pending_cancel("O-X"), None))


def test_filter_is_and_across_dimensions_and_or_within_one() -> None:
    directory = OrderDirectory()
    directory.apply(submitted("O-1", account="A"))
    directory.apply(submitted("O-2", account="B", strategy="S2"))
    a = feed_event(2, pending_cancel("O-1"), directory.get("O-1"))
    b = feed_event(3, pending_cancel("O-2"), directory.get("O-2"))

    assert parse_filter(accounts="A,B").matches(a)
    assert parse_filter(accounts=["A", "B"]).matches(b)
    assert not parse_filter(accounts="A", strategies="S2").matches(a)
    assert parse_filter(accounts="B", strategies="S2").matches(b)
    assert parse_filter(types="OrderPendingCancel", symbols="AAPL", venues="XNAS").matches(a)
    assert not parse_filter(types="OrderFilled").matches(a)
    assert parse_filter(portfolios="P1").matches(a)
    assert not parse_filter(portfolios="P2").matches(a)


def test_filter_on_a_tag_never_matches_an_event_without_that_tag() -> None:
    untagged = feed_event(1, pending_cancel("O-X"), None)

    assert not parse_filter(accounts="ACC1").matches(untagged)
    assert parse_filter(types="OrderPendingCancel").matches(untagged)


def test_parse_filter_trims_spaces_and_treats_none_as_all() -> None:
    chosen = parse_filter(accounts=" A , B ", types=None)

    assert chosen.accounts == frozenset({"A", "B"})
    assert chosen.types == frozenset()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"types": "OrderFilled,OrderExploded"}, "types"),
        ({"types": "orderfilled"}, "types"),
        ({"accounts": "A,,B"}, "account"),
        ({"symbols": ""}, "symbol"),
        ({"venues": ",".join(f"V{n}" for n in range(101))}, "venue"),
        ({"strategies": "x" * 129}, "strategy"),
        ({"portfolios": ["P1", " "]}, "portfolio"),
    ],
)
def test_bad_filter_input_is_refused_naming_its_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(FilterError) as refused:
        parse_filter(**kwargs)  # type: ignore[arg-type]

    assert refused.value.field == field
    assert refused.value.message


# -- cursor --------------------------------------------------------------------------------


def test_cursor_judges_live_positions() -> None:
    cursor = Cursor(5)

    assert cursor.judge(4) is LiveVerdict.DUPLICATE
    assert cursor.judge(5) is LiveVerdict.DUPLICATE
    assert cursor.judge(6) is LiveVerdict.DELIVER
    assert cursor.judge(8) is LiveVerdict.GAP


def test_cursor_only_moves_forward() -> None:
    cursor = Cursor()
    cursor.advance(1)
    cursor.advance(3)  # the log may skip positions it does not hold

    assert cursor.position == 3
    with pytest.raises(ValueError, match="not after"):
        cursor.advance(3)
    with pytest.raises(ValueError, match="non-negative"):
        Cursor(-1)
