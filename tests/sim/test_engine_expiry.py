"""DAY and GTD orders expire through on_time; GTC orders do not."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import ExecKind
from ordergate.domain.values import OrderStatus, TimeInForce
from ordergate.sim.engine import MatchingEngine
from ordergate.sim.expiries import DAY_NS

from .helpers import AAPL, SECOND, T0, kinds, limit

HOUR = 3_600 * SECOND
# T0 is after 21:00Z, so a DAY order placed then lives until 21:00Z the next day.
NEXT_CLOSE = T0 - T0 % DAY_NS + DAY_NS + 21 * HOUR


def test_day_order_expires_at_the_session_close(engine: MatchingEngine) -> None:
    engine.submit(limit("b1", "BUY", "5", "190.00", tif=TimeInForce.DAY), T0)

    before = engine.on_time(NEXT_CLOSE - 1)
    at_close = engine.on_time(NEXT_CLOSE)

    assert before == []
    assert kinds(at_close) == [(ExecKind.EXPIRED, "b1")]
    assert at_close[0].ts_event == NEXT_CLOSE
    assert engine.top_of_book("AAPL").bid_price is None
    assert engine.open_orders() == []


def test_day_order_placed_before_the_close_expires_the_same_day() -> None:
    engine = MatchingEngine([AAPL], session_close_ns=23 * HOUR)
    engine.submit(limit("b1", "BUY", "5", "190.00", tif=TimeInForce.DAY), T0)

    reports = engine.on_time(T0 - T0 % DAY_NS + 23 * HOUR)

    assert kinds(reports) == [(ExecKind.EXPIRED, "b1")]


def test_gtd_order_expires_at_its_expire_time(engine: MatchingEngine) -> None:
    expire = T0 + 90 * SECOND
    engine.submit(limit("b1", "BUY", "5", "190.00", tif=TimeInForce.GTD, expire_time=expire), T0)

    assert engine.on_time(expire - 1) == []
    reports = engine.on_time(expire)

    assert kinds(reports) == [(ExecKind.EXPIRED, "b1")]
    status = engine.order_status("b1")
    assert status is not None
    assert status.status is OrderStatus.EXPIRED


def test_gtc_order_never_expires(engine: MatchingEngine) -> None:
    engine.submit(limit("b1", "BUY", "5", "190.00"), T0)

    assert engine.on_time(T0 + 30 * DAY_NS) == []
    assert [o.order_id for o in engine.open_orders()] == ["b1"]


def test_filled_or_canceled_orders_do_not_expire_later(engine: MatchingEngine) -> None:
    engine.submit(limit("b1", "BUY", "5", "190.00", tif=TimeInForce.DAY), T0)
    engine.submit(limit("b2", "BUY", "5", "189.00", tif=TimeInForce.DAY), T0)
    engine.submit(limit("s1", "SELL", "5", "190.00"), T0 + 1)
    engine.cancel("b2", T0 + 2)

    assert engine.on_time(NEXT_CLOSE) == []


def test_replacing_day_to_gtc_cancels_the_expiry(engine: MatchingEngine) -> None:
    from ordergate.venues.base import ReplaceRequest

    engine.submit(limit("b1", "BUY", "5", "190.00", tif=TimeInForce.DAY), T0)
    engine.replace(
        ReplaceRequest(
            order_id="b1", venue_order_id=None, symbol="AAPL", time_in_force=TimeInForce.GTC
        ),
        T0 + 1,
    )

    assert engine.on_time(NEXT_CLOSE) == []
    assert engine.top_of_book("AAPL").bid_size == Decimal(5)
