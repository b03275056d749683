"""The gap tracker and the resend planner, alone."""

from __future__ import annotations

from ordergate.fix.codec import encode_fields
from ordergate.fix.message import FixMessage
from ordergate.fix.session.resend import GapFill, Resend, plan_resend, resend_range
from ordergate.fix.session.sequencing import GapTracker, ResendPlan


def msg(seq: int) -> FixMessage:
    return FixMessage.of("D", (34, seq))


def test_first_early_message_plans_an_open_ended_request() -> None:
    gaps = GapTracker()

    assert gaps.too_high(2, 5, msg(5)) == ResendPlan(2, 0, 4)
    assert gaps.resend_outstanding
    assert gaps.too_high(2, 6, msg(6)) is None
    assert gaps.queued_count() == 2


def test_queue_releases_in_order_and_clears_the_request() -> None:
    gaps = GapTracker()
    gaps.too_high(2, 4, msg(4))

    assert gaps.advanced(3) is None
    assert gaps.pop(3) is None
    assert gaps.advanced(4) is None
    queued = gaps.pop(4)
    assert queued is not None
    assert queued.message == msg(4)
    assert not gaps.resend_outstanding


def test_chunks() -> None:
    gaps = GapTracker(chunk_size=3)

    assert gaps.too_high(1, 10, msg(10)) == ResendPlan(1, 3, 9)
    assert gaps.advanced(3) is None
    assert gaps.advanced(4) == ResendPlan(4, 6, 9)
    assert gaps.advanced(7) == ResendPlan(7, 9, 9)
    assert gaps.advanced(10) is None


def test_stale_queued_messages_are_dropped() -> None:
    gaps = GapTracker()
    gaps.too_high(1, 3, msg(3))
    gaps.too_high(1, 8, msg(8))

    # The open-ended request still covers 5..7; message 3 was skipped over and is dropped.
    assert gaps.advanced(5) is None
    assert gaps.queued_count() == 1
    assert gaps.advanced(8) is None
    assert gaps.pop(8) is not None


def test_clear_forgets_everything() -> None:
    gaps = GapTracker()
    gaps.too_high(1, 3, msg(3))

    gaps.clear()

    assert gaps.queued_count() == 0
    assert not gaps.resend_outstanding


def stored(seq: int, msg_type: str) -> tuple[int, bytes]:
    return seq, encode_fields(b"FIX.4.4", [(35, msg_type.encode()), (34, b"%d" % seq)])


def test_resend_range() -> None:
    assert resend_range(1, 0, 6) == (1, 5)
    assert resend_range(2, 3, 6) == (2, 3)
    assert resend_range(2, 99, 6) == (2, 5)
    assert resend_range(0, 0, 3) == (1, 2)
    assert resend_range(6, 0, 6) is None


def test_plan_replaces_admin_runs_by_one_gap_fill_each() -> None:
    kept = [stored(1, "A"), stored(2, "D"), stored(3, "0"), stored(5, "8"), (6, b"garbage")]

    plan = plan_resend(1, 7, kept)

    assert [type(p) for p in plan] == [GapFill, Resend, GapFill, Resend, GapFill]
    assert plan[0] == GapFill(1, 2)
    assert plan[2] == GapFill(3, 5)
    assert plan[4] == GapFill(6, 8)
    assert isinstance(plan[1], Resend)
    assert plan[1].seq == 2


def test_plan_of_nothing_stored_is_one_gap_fill() -> None:
    assert plan_resend(4, 9, []) == [GapFill(4, 10)]
