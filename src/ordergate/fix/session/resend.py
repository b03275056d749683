"""Answer a ResendRequest(2): which stored messages go again and which numbers a GapFill skips.

Application messages are resent as they were (the session marks them PossDupFlag(43)=Y with
OrigSendingTime(122)); admin messages, and numbers with nothing stored (admin messages are not
kept, and a reset drops everything), are covered by SequenceReset(4)-GapFill, one per run.
"""

from __future__ import annotations

import msgspec

from ordergate.fix.codec import FixParseError, parse
from ordergate.fix.message import FixMessage
from ordergate.fix.tags import ADMIN_MSG_TYPES

__all__ = ["GapFill", "Resend", "plan_resend", "resend_range"]


class Resend(msgspec.Struct, frozen=True):
    """Send stored ``message`` (MsgSeqNum ``seq``) again."""

    seq: int
    message: FixMessage


class GapFill(msgspec.Struct, frozen=True):
    """Send SequenceReset-GapFill numbered ``seq`` with NewSeqNo(36) ``new_seq_no``."""

    seq: int
    new_seq_no: int


def resend_range(begin: int, end: int, next_sender_seq: int) -> tuple[int, int] | None:
    """Return the numbers to answer for BeginSeqNo ``begin``, EndSeqNo ``end`` (0: all sent).

    None when nothing asked for has been sent yet.
    """
    last = next_sender_seq - 1
    if end == 0 or end > last:
        end = last
    begin = max(begin, 1)
    if begin > end:
        return None
    return begin, end


def plan_resend(begin: int, end: int, stored: list[tuple[int, bytes]]) -> list[Resend | GapFill]:
    """Return what to send for ``begin..end`` given the stored ``(seq, raw)`` messages."""
    kept: dict[int, FixMessage] = {}
    for seq, raw in stored:
        try:
            message = parse(raw)
        except FixParseError:
            continue
        if message.msg_type not in ADMIN_MSG_TYPES:
            kept[seq] = message
    plan: list[Resend | GapFill] = []
    gap_start: int | None = None
    for seq in range(begin, end + 1):
        found = kept.get(seq)
        if found is None:
            if gap_start is None:
                gap_start = seq
            continue
        if gap_start is not None:
            plan.append(GapFill(gap_start, seq))
            gap_start = None
        plan.append(Resend(seq, found))
    if gap_start is not None:
        plan.append(GapFill(gap_start, end + 1))
    return plan
