"""Put the standard header on an outbound message and encode it.

Wire order: BeginString(8), BodyLength(9), MsgType(35), then the standard header fields in
ascending tag order (MsgSeqNum(34), PossDupFlag(43), SenderCompID(49), SendingTime(52),
TargetCompID(56), OrigSendingTime(122)... and any header field the application set, such as
SenderSubID(50) or OnBehalfOfCompID(115)), then the body in the order it was given.
"""

from __future__ import annotations

from operator import itemgetter

from ordergate.fix.codec import encode_fields
from ordergate.fix.message import FixMessage
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.tags import Tag

__all__ = ["HEADER_TAGS", "SESSION_HEADER_TAGS", "Framer", "frame", "reframe_for_resend"]

#: Standard header fields (FIX 4.2/4.4) other than 8, 9 and 35. The NoHops(627) group is
#: left in place: sorting would break its entries apart.
HEADER_TAGS: frozenset[int] = frozenset(
    {34, 43, 49, 50, 52, 56, 57, 90, 91, 97, 115, 116, 122, 128, 129, 142, 143, 144, 145}
    | {212, 213, 347, 369, 370}
)

#: Header fields the session owns: anything the application put there is replaced.
SESSION_HEADER_TAGS: frozenset[int] = frozenset({8, 9, 10, 34, 43, 49, 52, 56, 97, 122})


def frame(
    begin_string: bytes,
    message: FixMessage,
    *,
    seq: int,
    sender: bytes,
    target: bytes,
    now: int,
    orig_sending_time: bytes | None = None,
) -> bytes:
    """Encode ``message`` with our header: MsgSeqNum ``seq``, SendingTime ``now`` (ms).

    With ``orig_sending_time`` the message is a possible duplicate: PossDupFlag(43)=Y and
    OrigSendingTime(122) are added.
    """
    header: list[tuple[int, bytes]] = [
        (Tag.MsgSeqNum, b"%d" % seq),
        (Tag.SenderCompID, sender),
        (Tag.SendingTime, format_utc_timestamp(now)),
        (Tag.TargetCompID, target),
    ]
    if orig_sending_time is not None:
        header.append((Tag.PossDupFlag, b"Y"))
        header.append((Tag.OrigSendingTime, orig_sending_time))
    msg_type = b""
    body: list[tuple[int, bytes]] = []
    for tag, value in message.fields:
        if tag == Tag.MsgType:
            msg_type = value
        elif tag in SESSION_HEADER_TAGS:
            continue
        elif tag in HEADER_TAGS:
            header.append((tag, value))
        else:
            body.append((tag, value))
    header.sort(key=_tag_of)
    return encode_fields(begin_string, [(Tag.MsgType, msg_type), *header, *body])


# A message whose fields after MsgType(35) hold none of these needs no reordering.
_REORDERED: frozenset[int] = HEADER_TAGS | SESSION_HEADER_TAGS | {Tag.MsgType}
_tag_of_field = itemgetter(0)


class Framer:
    """Frame one session's outbound messages: the same bytes as :func:`frame`, faster.

    The CompID fields are built once. A message that is MsgType(35) followed by body fields
    only (what the session and most applications build) is encoded without sorting a header;
    anything else goes through :func:`frame`.
    """

    __slots__ = ("_begin", "_sender", "_sender_field", "_target", "_target_field")

    def __init__(self, begin_string: bytes, sender: bytes, target: bytes) -> None:
        self._begin = begin_string
        self._sender = sender
        self._target = target
        self._sender_field = (Tag.SenderCompID, sender)
        self._target_field = (Tag.TargetCompID, target)

    def frame(self, message: FixMessage, seq: int, now: int) -> bytes:
        """Encode ``message`` with MsgSeqNum ``seq`` and SendingTime ``now`` (ms)."""
        fields = message.fields
        body = fields[1:]
        if (
            fields
            and fields[0][0] == Tag.MsgType
            and _REORDERED.isdisjoint(map(_tag_of_field, body))
        ):
            return encode_fields(
                self._begin,
                [
                    fields[0],
                    (Tag.MsgSeqNum, b"%d" % seq),
                    self._sender_field,
                    (Tag.SendingTime, format_utc_timestamp(now)),
                    self._target_field,
                    *body,
                ],
            )
        return frame(
            self._begin, message, seq=seq, sender=self._sender, target=self._target, now=now
        )


def reframe_for_resend(stored: FixMessage, now: int) -> bytes:
    """Encode a stored message again as a resend: same MsgSeqNum, PossDupFlag(43)=Y,
    OrigSendingTime(122) = its original SendingTime(52), SendingTime(52) = ``now``."""
    begin = stored.get(Tag.BeginString) or b""
    original = stored.get(Tag.SendingTime) or format_utc_timestamp(now)
    seq = stored.get_int(Tag.MsgSeqNum) or 0
    sender = stored.get(Tag.SenderCompID) or b""
    target = stored.get(Tag.TargetCompID) or b""
    return frame(
        begin,
        stored,
        seq=seq,
        sender=sender,
        target=target,
        now=now,
        orig_sending_time=original,
    )


def _tag_of(field: tuple[int, bytes]) -> int:
    return field[0]
