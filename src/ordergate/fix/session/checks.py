"""Header checks of an inbound message the session makes itself (pure).

The dictionary checks the message against its definition; these check what only the session
knows: whom the message is for, when it was sent, and whether a possible duplicate says when
it was first sent. A :class:`Problem` says which Reject(3) to send and whether the session
must then log out and disconnect (``fatal``).
"""

from __future__ import annotations

from operator import itemgetter

import msgspec

from ordergate.fix.dictionary.reasons import SessionRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.session.outbound import HEADER_TAGS
from ordergate.fix.session.timefmt import parse_utc_timestamp
from ordergate.fix.tags import MsgType, Tag

__all__ = [
    "Problem",
    "check_comp_ids",
    "check_header",
    "check_header_order",
    "check_logon",
    "check_poss_dup",
    "check_sending_time",
]


# The NoHops(627) group belongs to the header too.
_HEADER_OR_HOPS = HEADER_TAGS | {627, 628, 629, 630}
_tag_of_field = itemgetter(0)


class Problem(msgspec.Struct, frozen=True):
    """Refuse a message with Reject(3) ``reason``/``ref_tag``; ``fatal``: then Logout(5)."""

    reason: SessionRejectReason
    ref_tag: int
    text: str
    fatal: bool = False


def check_header(
    message: FixMessage, ours: bytes, theirs: bytes, now: int, tolerance_ns: int
) -> tuple[Problem, ...]:
    """Return the problems of :func:`check_comp_ids`, :func:`check_sending_time` and
    :func:`check_poss_dup`, in that order (empty when there is none).

    A message with the right CompIDs, a SendingTime(52) within ``tolerance_ns`` of ``now``
    and no PossDupFlag(43), the usual case, is proven clean with one timestamp parse.
    """
    index = message.first_values()
    sending_time = index.get(Tag.SendingTime)
    if (
        sending_time is not None
        and index.get(Tag.SenderCompID) == theirs
        and index.get(Tag.TargetCompID) == ours
        and Tag.PossDupFlag not in index
    ):
        parsed = parse_utc_timestamp(sending_time)
        if parsed is not None and abs(parsed - now) <= tolerance_ns:
            return ()
    found = (
        check_comp_ids(message, ours, theirs),
        check_sending_time(message, now, tolerance_ns),
        check_poss_dup(message),
    )
    return tuple(problem for problem in found if problem is not None)


def check_comp_ids(message: FixMessage, ours: bytes, theirs: bytes) -> Problem | None:
    """Check SenderCompID(49) is ``theirs`` and TargetCompID(56) is ``ours``."""
    for tag, wanted in ((Tag.SenderCompID, theirs), (Tag.TargetCompID, ours)):
        value = message.get(tag)
        if value is None:
            return Problem(SessionRejectReason.REQUIRED_TAG_MISSING, tag, f"tag {tag} missing")
        if value != wanted:
            text = f"CompID problem: {tag}={value.decode('latin-1')}, expected {wanted.decode()}"
            return Problem(SessionRejectReason.COMPID_PROBLEM, tag, text, fatal=True)
    return None


def check_sending_time(message: FixMessage, now: int, tolerance_ns: int) -> Problem | None:
    """Check SendingTime(52) is a UTCTimestamp within ``tolerance_ns`` of ``now``."""
    value = message.get(Tag.SendingTime)
    if value is None:
        return Problem(SessionRejectReason.REQUIRED_TAG_MISSING, Tag.SendingTime, "tag 52 missing")
    sending_time = parse_utc_timestamp(value)
    if sending_time is None:
        return Problem(
            SessionRejectReason.INCORRECT_DATA_FORMAT_FOR_VALUE,
            Tag.SendingTime,
            "SendingTime(52) is not a UTCTimestamp",
        )
    if abs(sending_time - now) > tolerance_ns:
        return Problem(
            SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM,
            Tag.SendingTime,
            "SendingTime accuracy problem",
            fatal=True,
        )
    return None


def check_poss_dup(message: FixMessage) -> Problem | None:
    """Check a PossDupFlag(43)=Y message has OrigSendingTime(122) <= SendingTime(52).

    SequenceReset(4) is exempt: many engines send gap fills without OrigSendingTime.
    """
    if not message.get_bool(Tag.PossDupFlag) or message.msg_type == MsgType.SequenceReset:
        return None
    value = message.get(Tag.OrigSendingTime)
    if value is None:
        return Problem(
            SessionRejectReason.REQUIRED_TAG_MISSING,
            Tag.OrigSendingTime,
            "OrigSendingTime(122) missing on a possible duplicate",
        )
    orig = parse_utc_timestamp(value)
    if orig is None:
        return Problem(
            SessionRejectReason.INCORRECT_DATA_FORMAT_FOR_VALUE,
            Tag.OrigSendingTime,
            "OrigSendingTime(122) is not a UTCTimestamp",
        )
    sending = parse_utc_timestamp(message.get(Tag.SendingTime) or b"")
    if sending is not None and orig > sending:
        return Problem(
            SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM,
            Tag.OrigSendingTime,
            "OrigSendingTime(122) is later than SendingTime(52)",
            fatal=True,
        )
    return None


def check_header_order(message: FixMessage) -> Problem | None:
    """Check no standard header field comes after the first body field."""
    fields = message.fields[3:-1]
    body = 0
    for tag, _ in fields:
        if tag not in _HEADER_OR_HOPS:
            break
        body += 1
    if _HEADER_OR_HOPS.isdisjoint(map(_tag_of_field, fields[body:])):
        return None  # the usual case, checked in one C-level pass
    in_body = False
    for tag, _ in fields:
        if tag in _HEADER_OR_HOPS:
            if in_body:
                return Problem(
                    SessionRejectReason.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER,
                    tag,
                    f"header tag {tag} after the body",
                )
        else:
            in_body = True
    return None


def check_logon(message: FixMessage, config: SessionConfig) -> str | None:
    """Check a Logon(A)'s HeartBtInt(108) and, for an acceptor, Username(553)/Password(554).

    Return why the Logon is refused, or None.
    """
    try:
        interval = message.get_int(Tag.HeartBtInt)
    except ValueError:
        interval = None
    if interval is None or interval < 0:
        return "invalid Logon(A): HeartBtInt(108) missing or negative"
    if config.role is Role.ACCEPTOR and (
        (config.username is not None and message.get_str(Tag.Username) != config.username)
        or (config.password is not None and message.get_str(Tag.Password) != config.password)
    ):
        return "invalid Logon(A): Username(553)/Password(554) refused"
    return None
