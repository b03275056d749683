"""A scripted counterparty for driving one FixSession through the conformance scenarios.

:class:`ScriptedPeer` owns our :class:`FixSession` (the system under test), a fake clock and
the other end of an in-memory link. The peer writes exactly the bytes a test asks for
(correctly framed by default; any header value, BodyLength, CheckSum or field order can be
overridden or garbled), feeds them to the session, drains every event with ``next_event``
until ``NEED_DATA`` and parses whatever the session wants to send. Assertions take the
session's outbound messages one at a time, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ordergate.fix.codec import FrameParser, Garbled, checksum, parse
from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.message import FieldValue, FixMessage, encode_value
from ordergate.fix.session import FixSession
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.session.events import (
    NEED_DATA,
    AppMessage,
    Disconnect,
    FixEvent,
    LoggedOn,
    LoggedOut,
)
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store import MemoryStore
from ordergate.fix.tags import Tag

__all__ = [
    "BEGIN_STRINGS",
    "OUR_ID",
    "ROLES",
    "SECOND",
    "START_NS",
    "THEIR_ID",
    "UNSET",
    "ScriptedPeer",
    "Unset",
    "order_fields",
]

BEGIN_STRINGS = ("FIX.4.2", "FIX.4.4")
ROLES = (Role.INITIATOR, Role.ACCEPTOR)
OUR_ID = "OURS"
THEIR_ID = "THEIRS"
#: 2023-11-14 22:13:20 UTC: a fixed "now" so SendingTime checks are deterministic.
START_NS = 1_700_000_000_000_000_000
SECOND = 1_000_000_000


def order_fields(cl_ord_id: str = "ORD-1", *, now: int = START_NS) -> list[tuple[int, FieldValue]]:
    """Return the body of a NewOrderSingle(D) valid in FIX 4.2 and 4.4 (limit buy 100 IBM)."""
    return [
        (11, cl_ord_id),
        (21, "1"),
        (55, "IBM"),
        (54, "1"),
        (60, format_utc_timestamp(now)),
        (38, 100),
        (40, "2"),
        (44, "10.5"),
    ]


class Unset:
    """Marker: leave a header field out of a scripted message."""


UNSET = Unset()
_HeaderValue = FieldValue | Unset | None


@dataclass
class _Sent:
    raw: bytes
    message: FixMessage


class ScriptedPeer:
    """The counterparty of one session under test, with the clock and the link in hand.

    ``next_seq`` is the MsgSeqNum(34) the peer puts on its next message unless told otherwise.
    ``events`` holds every event the session produced; ``outbox`` the messages it sent that
    no ``expect_*`` call has consumed yet.
    """

    def __init__(
        self,
        begin_string: str = "FIX.4.4",
        role: Role = Role.ACCEPTOR,
        *,
        heartbeat_interval: int = 30,
        store: MemoryStore | None = None,
        **config: object,
    ) -> None:
        self.begin_string = begin_string
        self.role = role
        self.now = START_NS
        self.config = SessionConfig(
            begin_string=begin_string,
            sender_comp_id=OUR_ID,
            target_comp_id=THEIR_ID,
            role=role,
            heartbeat_interval=heartbeat_interval,
            **config,  # type: ignore[arg-type]
        )
        self.store = store if store is not None else MemoryStore(self.now)
        self.dictionary = load_dictionary(begin_string)
        self.session = FixSession(self.config, self.store, self.dictionary)
        self.next_seq = 1
        self.events: list[FixEvent] = []
        self.outbox: list[_Sent] = []
        self.all_sent: list[FixMessage] = []
        self._frames = FrameParser()

    # -- clock ---------------------------------------------------------------------------

    def advance(self, seconds: float) -> list[FixEvent]:
        """Move the clock forward, firing every timer that falls due on the way."""
        target = self.now + int(seconds * SECOND)
        produced: list[FixEvent] = []
        while True:
            deadline = self.session.get_timer()
            if deadline is None or deadline > target:
                break
            self.now = max(self.now, deadline)
            self.session.handle_timer(self.now)
            produced.extend(self.pump())
        self.now = target
        return produced

    # -- connection ----------------------------------------------------------------------

    def connect(self) -> list[FixEvent]:
        """Open the link: an initiator session sends its Logon(A) now."""
        self.session.connection_made(self.now)
        return self.pump()

    def lose_connection(self) -> list[FixEvent]:
        """Close the link under the session."""
        self.session.connection_lost(self.now)
        return self.pump()

    def establish(self, *, their_logon_seq: int | None = None, **logon_fields: object) -> None:
        """Connect and complete the Logon(A) exchange in the session's role, then clear outbox.

        ``their_logon_seq`` puts another MsgSeqNum(34) than ``next_seq`` on the peer's Logon.
        """
        self.connect()
        overrides: dict[str, object] = dict(logon_fields)
        if their_logon_seq is not None:
            overrides["seq"] = their_logon_seq
        if self.role is Role.INITIATOR:
            self.expect_sent("A")
            self.send_logon(**overrides)
        else:
            self.send_logon(**overrides)
            self.expect_sent("A")
        assert self.logged_on, f"not logged on: {self.events}"

    def send_logon(self, *extra: tuple[int, FieldValue], **overrides: object) -> list[FixEvent]:
        """Send the peer's Logon(A): EncryptMethod(98)=0, our HeartBtInt(108)."""
        return self.send(
            "A",
            (Tag.EncryptMethod, 0),
            (Tag.HeartBtInt, self.config.heartbeat_interval),
            *extra,
            **overrides,  # type: ignore[arg-type]
        )

    # -- building and sending the peer's messages -----------------------------------------

    def build(
        self,
        msg_type: str,
        *fields: tuple[int, FieldValue],
        seq: int | Unset | None = None,
        sending_time: _HeaderValue = None,
        sender: _HeaderValue = None,
        target: _HeaderValue = None,
        poss_dup: bool | None = None,
        poss_resend: bool | None = None,
        orig_sending_time: FieldValue | None = None,
        begin_string: str | None = None,
        extra_header: Sequence[tuple[int, FieldValue]] = (),
        body_length: int | None = None,
        check_sum: bytes | int | None = None,
        raw_fields: Sequence[tuple[int, FieldValue]] | None = None,
    ) -> bytes:
        """Return one framed message from the peer; every header part can be overridden.

        ``raw_fields`` replaces everything between BodyLength(9) and CheckSum(10) (MsgType
        included), in the given order. ``body_length``/``check_sum`` write those values
        instead of the computed ones. ``seq`` defaults to ``next_seq`` (which then advances).
        """
        if raw_fields is not None:
            body_fields = [(tag, encode_value(v)) for tag, v in raw_fields]
        else:
            header: list[tuple[int, FieldValue]] = [(Tag.MsgType, msg_type)]
            if seq is None:
                seq = self.next_seq
                self.next_seq += 1
            for tag, value, default in (
                (Tag.SenderCompID, sender, THEIR_ID),
                (Tag.TargetCompID, target, OUR_ID),
                (Tag.MsgSeqNum, seq, None),
                (Tag.SendingTime, sending_time, format_utc_timestamp(self.now)),
            ):
                chosen = default if value is None else value
                if chosen is not None and not isinstance(chosen, Unset):
                    header.append((tag, chosen))
            if poss_dup is not None:
                header.append((Tag.PossDupFlag, poss_dup))
            if poss_resend is not None:
                header.append((Tag.PossResend, poss_resend))
            if orig_sending_time is not None:
                header.append((Tag.OrigSendingTime, orig_sending_time))
            header.extend(extra_header)
            body_fields = [(tag, encode_value(v)) for tag, v in (*header, *fields)]
        body = b"".join(b"%d=%s\x01" % field for field in body_fields)
        begin = (begin_string or self.begin_string).encode()
        length = len(body) if body_length is None else body_length
        head = b"8=%s\x019=%d\x01" % (begin, length)
        if check_sum is None:
            trailer = b"10=%03d\x01" % checksum(head + body)
        elif isinstance(check_sum, int):
            trailer = b"10=%03d\x01" % check_sum
        else:
            trailer = b"10=%s\x01" % check_sum
        return head + body + trailer

    def send(
        self, msg_type: str, *fields: tuple[int, FieldValue], **overrides: object
    ) -> list[FixEvent]:
        """Build a message (see :meth:`build`), feed it to the session, return its events."""
        return self.send_raw(self.build(msg_type, *fields, **overrides))  # type: ignore[arg-type]

    def send_raw(self, data: bytes) -> list[FixEvent]:
        """Feed bytes to the session as they came off the socket; return the new events."""
        self.session.receive_data(data)
        return self.pump()

    def pump(self) -> list[FixEvent]:
        """Drain events until NEED_DATA, then collect and parse what the session sends."""
        produced: list[FixEvent] = []
        for _ in range(10_000):
            event = self.session.next_event(self.now)
            if event is NEED_DATA:
                break
            produced.append(event)  # type: ignore[arg-type]
        else:  # pragma: no cover - a session that never runs dry is a bug
            raise AssertionError("next_event never returned NEED_DATA")
        self.events.extend(produced)
        self._collect_outbound()
        return produced

    def _collect_outbound(self) -> None:
        data = self.session.data_to_send()
        if not data:
            return
        self._frames.append(data)
        while (frame := self._frames.next_frame()) is not None:
            assert not isinstance(frame, Garbled), f"session sent a garbled frame: {frame}"
            message = parse(frame)
            self.outbox.append(_Sent(frame, message))
            self.all_sent.append(message)
        assert self._frames.buffered() == 0, "session sent a partial frame"

    # -- what our session did -------------------------------------------------------------

    @property
    def logged_on(self) -> bool:
        """Return True once the session reported LoggedOn."""
        return any(isinstance(e, LoggedOn) for e in self.events)

    @property
    def disconnected(self) -> bool:
        """Return True once the session asked its shell to close the connection."""
        return any(isinstance(e, Disconnect | LoggedOut) for e in self.events)

    def app_messages(self) -> list[AppMessage]:
        """Return the application messages delivered so far."""
        return [e for e in self.events if isinstance(e, AppMessage)]

    def events_of(self, kind: type[object]) -> list[object]:
        """Return the events of one type produced so far."""
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def next_num_in(self) -> int:
        """Return the inbound MsgSeqNum(34) the session expects next."""
        return self.store.next_target_seq()

    @property
    def next_num_out(self) -> int:
        """Return the MsgSeqNum(34) the session puts on its next message."""
        return self.store.next_sender_seq()

    def expect_sent(
        self,
        msg_type: str,
        tags: dict[int, FieldValue] | None = None,
        *,
        text_contains: Iterable[str] = (),
        absent: Iterable[int] = (),
    ) -> FixMessage:
        """Take the session's next outbound message and check its type and fields.

        ``tags`` maps tag -> expected value (compared on the wire form); ``text_contains``
        lists substrings Text(58) must hold (case-insensitive); ``absent`` tags must be missing.
        """
        assert self.outbox, f"expected {msg_type!r} but nothing was sent; events {self.events}"
        sent = self.outbox.pop(0)
        message = sent.message
        assert message.msg_type == msg_type, f"expected {msg_type!r}, got {message!r}"
        assert message.get(Tag.BeginString) == self.begin_string.encode()
        assert message.get(Tag.SenderCompID) == OUR_ID.encode()
        assert message.get(Tag.TargetCompID) == THEIR_ID.encode()
        for tag, value in (tags or {}).items():
            assert message.get(tag) == encode_value(value), (
                f"tag {tag}: expected {value!r}, got {message.get(tag)!r} in {message!r}"
            )
        text = (message.get_str(Tag.Text) or "").lower()
        for part in text_contains:
            assert part.lower() in text, f"Text(58) {text!r} does not mention {part!r}"
        for tag in absent:
            assert tag not in message, f"tag {tag} unexpectedly in {message!r}"
        return message

    def expect_logout_and_disconnect(self, *text_parts: str) -> FixMessage:
        """Take the next outbound message as Logout(5) mentioning ``text_parts``, then check
        the session disconnects (at once, or when the Logout(5) answer does not come)."""
        message = self.expect_sent("5", text_contains=text_parts)
        if not self.disconnected:
            self.advance(self.config.logout_timeout + 1)
        self.expect_disconnect()
        return message

    def skip_optional(self, msg_type: str) -> FixMessage | None:
        """Take the next outbound message if it is of ``msg_type`` (an optional step)."""
        if self.outbox and self.outbox[0].message.msg_type == msg_type:
            return self.outbox.pop(0).message
        return None

    def expect_nothing_sent(self) -> None:
        """Check the session sent nothing that has not been consumed yet."""
        assert not self.outbox, f"unexpected outbound messages: {[s.message for s in self.outbox]}"

    def expect_disconnect(self) -> None:
        """Check the session asked its shell to close the connection."""
        assert self.disconnected, f"session did not disconnect; events {self.events}"

    def expect_connected(self) -> None:
        """Check the session did not ask to close the connection."""
        assert not self.disconnected, f"session disconnected; events {self.events}"

    def expect_reject(
        self, ref_seq_num: int, reason: int, ref_tag: int | None = None, **kwargs: object
    ) -> FixMessage:
        """Take the next outbound message as Reject(3) with RefSeqNum, reason and RefTagID."""
        tags: dict[int, FieldValue] = {Tag.RefSeqNum: ref_seq_num, Tag.SessionRejectReason: reason}
        if ref_tag is not None and self.begin_string >= "FIX.4.2":
            tags[Tag.RefTagID] = ref_tag
        return self.expect_sent("3", tags, **kwargs)  # type: ignore[arg-type]
