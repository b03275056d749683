"""One FIX 4.2/4.4 session as a sans-IO state machine (time passed in as ``now``, ns).

The shell feeds socket bytes to :meth:`FixSession.receive_data`, pulls events with
:meth:`FixSession.next_event` until ``NEED_DATA``, writes :meth:`FixSession.data_to_send`
to the socket, and arms a timer for :meth:`FixSession.get_timer` that calls
:meth:`FixSession.handle_timer` (whose events also come out of ``next_event``).

Invariants:

- The message store is the one source of sequence numbers: the session reads them from it
  and writes every change back at once.
- Every outbound message takes the next MsgSeqNum(34), is logged, and, when it is an
  application message, kept for resends (``save_sent``). Application messages are put on the
  wire only while logged on. One sent while disconnected (or before the acceptor's Logon
  reply) keeps its number and reaches the counterparty by its ResendRequest(2), as with
  QuickFIX; one sent by the initiator between its Logon(A) and the reply is held and
  written right after the reply arrives.
- Every inbound message is processed in MsgSeqNum order, once; early ones wait in the
  :class:`~ordergate.fix.session.sequencing.GapTracker`. A refused (rejected) message still
  consumes its number; a garbled frame does not.
- After a ``Disconnect`` or ``LoggedOut`` event the session is ``DISCONNECTED`` and ignores
  further bytes until the next :meth:`FixSession.connection_made`.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from ordergate.fix.codec import FixParseError, FrameParser, Garbled, parse
from ordergate.fix.dictionary.reasons import (
    BusinessRejectReason,
    SessionRejectReason,
    ValidationIssue,
)
from ordergate.fix.message import FixMessage
from ordergate.fix.session import admin
from ordergate.fix.session.checks import (
    Problem,
    check_comp_ids,
    check_header_order,
    check_logon,
    check_poss_dup,
    check_sending_time,
)
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.session.events import (
    NEED_DATA,
    AppMessage,
    Disconnect,
    FixEvent,
    GarbledIgnored,
    LoggedOn,
    LoggedOut,
    MessageRejected,
    NeedData,
    RejectReceived,
    SequenceGap,
)
from ordergate.fix.session.liveness import Liveness, LivenessAction
from ordergate.fix.session.outbound import frame, reframe_for_resend
from ordergate.fix.session.resend import GapFill, plan_resend, resend_range
from ordergate.fix.session.sequencing import GapTracker, ResendPlan
from ordergate.fix.session.state import SessionState, SessionStateMachine, Trigger
from ordergate.fix.session.status import SessionStatusSnapshot
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store.base import Direction, MessageStore
from ordergate.fix.tags import ADMIN_MSG_TYPES, MsgType, Tag

__all__ = ["FixSession", "MessageValidator"]

_NS = 1_000_000_000
# FIX 4.2 has no Username(553)/Password(554) in Logon(A).
_NO_CREDENTIALS = frozenset({"FIX.4.0", "FIX.4.1", "FIX.4.2"})


class MessageValidator(Protocol):
    """What the session needs of a data dictionary (``Dictionary`` provides it)."""

    def validate(self, message: FixMessage) -> ValidationIssue | None:
        """Return what is wrong with an inbound message, or None."""
        ...


class FixSession:
    """The session layer of one FIX connection: pure, driven by bytes and time.

    Args:
        config: both CompIDs, version, role, timers and reset options.
        store: sequence numbers, sent messages and the audit log (sync, in memory).
        dictionary: validates inbound messages when ``config.validate``; None skips that.
    """

    def __init__(
        self,
        config: SessionConfig,
        store: MessageStore,
        dictionary: MessageValidator | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.dictionary = dictionary
        self._fsm = SessionStateMachine()
        self._parser = FrameParser()
        self._out = bytearray()
        self._events: deque[FixEvent] = deque()
        self._gaps = GapTracker(config.resend_chunk_size)
        self._begin = config.begin_string.encode("ascii")
        self._ours = config.sender_comp_id.encode("latin-1")
        self._theirs = config.target_comp_id.encode("latin-1")
        self._tolerance_ns = config.sending_time_tolerance * _NS
        self.heartbeat_interval = config.heartbeat_interval
        self._liveness = Liveness()
        self._logon_deadline: int | None = None
        self._logout_deadline: int | None = None
        self._reset_sent = False
        self._held: list[bytes] = []

    # ------------------------------------------------------------------ public surface

    @property
    def state(self) -> SessionState:
        """Return the current :class:`SessionState`."""
        return self._fsm.state

    @property
    def logged_on(self) -> bool:
        """Return True while application messages flow (``ACTIVE``)."""
        return self._fsm.state is SessionState.ACTIVE

    def connection_made(self, now: int) -> None:
        """Start a connection: the initiator queues its Logon(A), the acceptor waits for one.

        Raises:
            InvalidStateTransition: the session is already connected.
        """
        initiator = self.config.role is Role.INITIATOR
        self._fsm.trigger(
            Trigger.CONNECT_AS_INITIATOR if initiator else Trigger.CONNECT_AS_ACCEPTOR
        )
        self._parser = FrameParser()
        self._out.clear()
        self._events.clear()
        self._gaps.clear()
        self.heartbeat_interval = self.config.heartbeat_interval
        self._liveness.start(now, 0)
        self._logout_deadline = None
        self._logon_deadline = now + self.config.logon_timeout * _NS
        self._reset_sent = False
        if initiator:
            if self.config.reset_on_logon:
                self.store.reset(now)
            self._send_logon(now, reset=self.config.reset_on_logon)

    def connection_lost(self, now: int) -> None:
        """Note that the socket closed (idempotent after a ``Disconnect`` event)."""
        if self._fsm.state is not SessionState.DISCONNECTED:
            self._fsm.trigger(Trigger.CONNECTION_LOST)
            self._enter_disconnected(now, after_logout=False)

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes read from the socket (ignored while disconnected)."""
        if self._fsm.state is not SessionState.DISCONNECTED:
            self._parser.append(data)

    def next_event(self, now: int) -> FixEvent | NeedData:
        """Process buffered frames until one yields an event; ``NEED_DATA`` when none is left.

        Admin replies (Heartbeat, ResendRequest, Reject, Logout...) are queued for
        :meth:`data_to_send` as a side effect.
        """
        while True:
            if self._events:
                return self._events.popleft()
            if self._fsm.state is SessionState.DISCONNECTED:
                return NEED_DATA
            raw = self._parser.next_frame()
            if raw is None:
                return NEED_DATA
            if isinstance(raw, Garbled):
                return GarbledIgnored(raw.reason)
            try:
                message = parse(raw)
            except FixParseError as e:
                return GarbledIgnored(str(e))
            fields = message.fields
            if len(fields) < 4 or fields[2][0] != Tag.MsgType:
                # 8, 9, 35 must lead: anything else is treated as garbled, as the standard says.
                return GarbledIgnored("MsgType(35) is not the third field")
            if message.get(Tag.CheckSum) is not fields[-1][1]:
                # get() returns the first CheckSum(10): it must be the very last field.
                return GarbledIgnored("CheckSum(10) is not the last field")
            self.store.log_message(Direction.IN, raw, now)
            self._liveness.received(now)
            self._on_message(message, now)

    def send(self, message: FixMessage, now: int) -> int:
        """Send an application message; return its MsgSeqNum(34).

        The session sets the header (BeginString, MsgSeqNum, CompIDs, SendingTime); MsgType(35)
        and the body come from ``message``, which is not modified. The message is kept for
        resends; it goes on the wire now when logged on, right after the Logon reply when the
        initiator's Logon is out, else when the counterparty asks for it (ResendRequest).

        Raises:
            ValueError: ``message`` has no MsgType(35) or is a session-level (admin) message.
        """
        msg_type = message.msg_type
        if not msg_type:
            raise ValueError("message has no MsgType(35)")
        if msg_type in ADMIN_MSG_TYPES:
            raise ValueError(f"MsgType {msg_type} is a session-level message: the session sends it")
        seq = self.store.next_sender_seq()
        raw = frame(self._begin, message, seq=seq, sender=self._ours, target=self._theirs, now=now)
        self.store.set_next_sender_seq(seq + 1)
        self.store.save_sent(seq, raw)
        self.store.log_message(Direction.OUT, raw, now)
        state = self._fsm.state
        if state is SessionState.ACTIVE:
            self._out += raw
            self._liveness.sent(now)
        elif state is SessionState.LOGON_SENT:
            self._held.append(raw)
        return seq

    def business_reject(
        self,
        ref_message: FixMessage,
        reason: BusinessRejectReason,
        text: str,
        now: int,
    ) -> int:
        """Refuse an inbound application message with BusinessMessageReject(j); return its seq."""
        return self.send(admin.business_reject(ref_message, reason, text), now)

    def logout(self, now: int, text: str = "") -> None:
        """Start the Logout(5) handshake; ``LoggedOut`` follows the reply or the timeout.

        Raises:
            InvalidStateTransition: not logged on (nor logging on as initiator).
        """
        self._fsm.trigger(Trigger.LOGOUT_REQUESTED)
        self._send_admin(admin.logout(text), now)
        self._logout_deadline = now + self.config.logout_timeout * _NS

    def data_to_send(self) -> bytes:
        """Return and forget the bytes waiting to be written to the socket."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def get_timer(self) -> int | None:
        """Return when :meth:`handle_timer` must next run (ns), or None."""
        state = self._fsm.state
        if state is SessionState.DISCONNECTED:
            return None
        if state is SessionState.LOGOUT_SENT:
            return self._logout_deadline
        if state is not SessionState.ACTIVE:
            return self._logon_deadline
        return self._liveness.deadline()

    def handle_timer(self, now: int) -> None:
        """Act on due deadlines: Heartbeat, TestRequest, and logon/logout/TestRequest timeouts.

        Events it causes (``Disconnect``, ``LoggedOut``) come out of :meth:`next_event`.
        """
        state = self._fsm.state
        if state is SessionState.LOGOUT_SENT:
            if self._logout_deadline is not None and now >= self._logout_deadline:
                self._fsm.trigger(Trigger.DISCONNECT)
                self._events.append(LoggedOut("Logout timeout"))
                self._enter_disconnected(now, after_logout=True)
            return
        if state in (SessionState.LOGON_SENT, SessionState.AWAIT_LOGON):
            if self._logon_deadline is not None and now >= self._logon_deadline:
                self._disconnect("Logon timeout", now)
            return
        if state is not SessionState.ACTIVE:
            return
        for action in self._liveness.due(now):
            if action is LivenessAction.DISCONNECT:
                self._disconnect("TestRequest(1) not answered", now)
                return
            if action is LivenessAction.SEND_TEST_REQUEST:
                test_req_id = self._liveness.new_test_request(now)
                self._send_admin(admin.test_request(test_req_id), now)
            else:
                self._send_admin(admin.heartbeat(), now)

    def status(self, now: int) -> SessionStatusSnapshot:
        """Return the state, sequence numbers, last traffic times and TestRequest latency."""
        return SessionStatusSnapshot(
            session_id=self.config.session_id,
            state=self._fsm.state,
            logged_on=self.logged_on,
            next_sender_seq=self.store.next_sender_seq(),
            next_target_seq=self.store.next_target_seq(),
            last_sent_ns=self._liveness.last_sent_ns,
            last_received_ns=self._liveness.last_received_ns,
            last_heartbeat_ns=self._liveness.last_heartbeat_ns,
            latency_ns=self._liveness.latency_ns,
            as_of_ns=now,
        )

    # ------------------------------------------------------------------ inbound

    def _on_message(self, message: FixMessage, now: int) -> None:
        state = self._fsm.state
        msg_type = message.msg_type
        if state is SessionState.AWAIT_LOGON and msg_type != MsgType.Logon:
            self._disconnect("first message not a Logon(A)", now)
            return
        if state is SessionState.LOGON_SENT and msg_type not in (MsgType.Logon, MsgType.Logout):
            self._disconnect("first message not a Logon(A)", now)
            return
        if message.get(Tag.BeginString) != self._begin:
            self._logout_and_disconnect("incorrect BeginString(8)", now)
            return
        try:
            seq = message.get_int(Tag.MsgSeqNum)
        except ValueError:
            seq = None
        if seq is None or seq < 1:
            self._logout_and_disconnect("MsgSeqNum(34) missing or not a number", now)
            return
        expected = self.store.next_target_seq()
        problem = self._fatal_header_problem(message, now)
        if problem is not None:
            if self.logged_on or state is SessionState.LOGOUT_SENT:
                self._reject(message, seq, problem.reason, problem.ref_tag, problem.text, now)
                if seq == expected:
                    self.store.set_next_target_seq(seq + 1)
            self._logout_and_disconnect(problem.text, now)
            return
        if msg_type == MsgType.Logon:
            self._on_logon(message, seq, now)
            return
        if msg_type == MsgType.SequenceReset and not message.get_bool(Tag.GapFillFlag):
            # Reset mode is processed whatever its own MsgSeqNum says.
            self._on_sequence_reset(message, seq, now)
            return
        if seq > expected:
            self._on_too_high(message, seq, expected, now)
        elif seq < expected:
            self._on_too_low(message, seq, expected, now)
        else:
            self._process_in_order(message, seq, now, handled=False)
            self._drain(now)

    def _fatal_header_problem(self, message: FixMessage, now: int) -> Problem | None:
        for problem in (
            check_comp_ids(message, self._ours, self._theirs),
            check_sending_time(message, now, self._tolerance_ns),
            check_poss_dup(message),
        ):
            if problem is not None and problem.fatal:
                return problem
        return None

    def _on_too_high(self, message: FixMessage, seq: int, expected: int, now: int) -> None:
        msg_type = message.msg_type
        if msg_type == MsgType.Logout:
            # A Logout is answered at once: asking for a resend first would only delay it.
            self._on_logout(message, now)
            return
        handled = msg_type == MsgType.ResendRequest
        if handled:
            # Answer at once: both sides may be waiting for each other's resend.
            self._on_resend_request(message, seq, now)
        plan = self._gaps.too_high(expected, seq, message, handled=handled)
        if plan is not None:
            self._request_resend(plan, now)

    def _on_too_low(self, message: FixMessage, seq: int, expected: int, now: int) -> None:
        if message.get_bool(Tag.PossDupFlag):
            problem = check_poss_dup(message)
            if problem is not None:
                self._reject(message, seq, problem.reason, problem.ref_tag, problem.text, now)
            # Otherwise a duplicate of what we already processed: ignore it silently.
            return
        self._logout_and_disconnect(
            f"MsgSeqNum too low, expecting {expected} but received {seq}", now
        )

    def _drain(self, now: int) -> None:
        while self._fsm.state is not SessionState.DISCONNECTED:
            expected = self.store.next_target_seq()
            plan = self._gaps.advanced(expected)
            if plan is not None:
                self._request_resend(plan, now)
            queued = self._gaps.pop(expected)
            if queued is None:
                return
            self._process_in_order(queued.message, expected, now, handled=queued.handled)

    def _process_in_order(self, message: FixMessage, seq: int, now: int, *, handled: bool) -> None:
        if handled:
            self.store.set_next_target_seq(seq + 1)
            return
        issue = self._session_problem(message, now)
        if issue is not None:
            self._reject(message, seq, issue.reason, issue.ref_tag, issue.text, now)
            self.store.set_next_target_seq(seq + 1)
            return
        msg_type = message.msg_type
        if msg_type == MsgType.SequenceReset:
            self._on_gap_fill(message, seq, now)
            return
        self.store.set_next_target_seq(seq + 1)
        if msg_type == MsgType.Heartbeat:
            self._liveness.heartbeat_received(message.get(Tag.TestReqID), now)
        elif msg_type == MsgType.TestRequest:
            self._send_admin(admin.heartbeat(message.get(Tag.TestReqID)), now)
        elif msg_type == MsgType.ResendRequest:
            self._on_resend_request(message, seq, now)
        elif msg_type == MsgType.Reject:
            self._events.append(RejectReceived(message))
        elif msg_type == MsgType.Logout:
            self._on_logout(message, now)
        else:
            self._events.append(AppMessage(message, message.get_bool(Tag.PossDupFlag)))

    def _session_problem(self, message: FixMessage, now: int) -> ValidationIssue | None:
        for problem in (
            check_comp_ids(message, self._ours, self._theirs),
            check_sending_time(message, now, self._tolerance_ns),
            check_poss_dup(message),
            check_header_order(message),
        ):
            if problem is not None:
                return ValidationIssue(problem.reason, problem.ref_tag, problem.text)
        if self.config.validate and self.dictionary is not None:
            return self.dictionary.validate(message)
        return None

    def _on_logon(self, message: FixMessage, seq: int, now: int) -> None:
        state = self._fsm.state
        reset = message.get_bool(Tag.ResetSeqNumFlag)
        in_session_reset = state is SessionState.ACTIVE and reset
        if not in_session_reset and state not in (
            SessionState.LOGON_SENT,
            SessionState.AWAIT_LOGON,
        ):
            self._logout_and_disconnect("unexpected Logon(A)", now)
            return
        problem = self._logon_problem(message, now)
        if problem is not None:
            self._logout_and_disconnect(problem, now)
            return
        acceptor = self.config.role is Role.ACCEPTOR
        if in_session_reset:
            # Both sides start again at 1 and stay logged on.
            self.store.reset(now)
            self._gaps.clear()
            self._send_logon(now, reset=True)
        else:
            if acceptor and (reset or self.config.reset_on_logon):
                self.store.reset(now)
            elif reset and not self._reset_sent:
                # The acceptor reset on its own: its numbering starts again at 1.
                self.store.set_next_target_seq(1)
        expected = self.store.next_target_seq()
        if seq < expected:
            self._logout_and_disconnect(
                f"MsgSeqNum too low, expecting {expected} but received {seq}", now
            )
            return
        if acceptor and state is SessionState.AWAIT_LOGON:
            self.heartbeat_interval = message.get_int(Tag.HeartBtInt) or 0
            self._send_logon(now, reset=reset)
        self._fsm.trigger(Trigger.LOGON_ACCEPTED)
        self._logon_deadline = None
        self._liveness.start(now, self.heartbeat_interval)
        # Application messages sent after our Logon(A) went out (initiator) follow it now.
        for raw in self._held:
            self._out += raw
        self._held.clear()
        self._events.append(LoggedOn(self.heartbeat_interval, reset))
        if seq == expected:
            self.store.set_next_target_seq(seq + 1)
        else:
            plan = self._gaps.too_high(expected, seq, message, handled=True)
            if plan is not None:
                self._request_resend(plan, now)
        self._drain(now)

    def _logon_problem(self, message: FixMessage, now: int) -> str | None:
        issue = self._session_problem(message, now)
        if issue is not None:
            return f"invalid Logon(A): {issue.text}"
        return check_logon(message, self.config)

    def _on_logout(self, message: FixMessage, now: int) -> None:
        if self._fsm.state is SessionState.ACTIVE:
            self._send_admin(admin.logout(), now)
        self._fsm.trigger(Trigger.LOGOUT_RECEIVED)
        self._events.append(LoggedOut(message.get_str(Tag.Text) or ""))
        self._enter_disconnected(now, after_logout=True)

    def _on_sequence_reset(self, message: FixMessage, seq: int, now: int) -> None:
        """Reset mode (no GapFillFlag(123)=Y): jump to NewSeqNo(36), never backwards."""
        expected = self.store.next_target_seq()
        issue = self._session_problem(message, now)
        new_seq = _int_or_none(message.get(Tag.NewSeqNo))
        if issue is None and new_seq is None:
            issue = ValidationIssue(
                SessionRejectReason.REQUIRED_TAG_MISSING, Tag.NewSeqNo, "NewSeqNo(36) missing"
            )
        if issue is not None:
            self._reject(message, seq, issue.reason, issue.ref_tag, issue.text, now)
            return
        assert new_seq is not None
        if new_seq < expected:
            self._reject(
                message,
                seq,
                SessionRejectReason.VALUE_IS_INCORRECT,
                Tag.NewSeqNo,
                f"attempt to lower sequence number: NewSeqNo(36) {new_seq} < expected {expected}",
                now,
            )
            return
        # NewSeqNo == expected changes nothing (a warning case of the standard).
        self.store.set_next_target_seq(new_seq)
        self._drain(now)

    def _on_gap_fill(self, message: FixMessage, seq: int, now: int) -> None:
        new_seq = _int_or_none(message.get(Tag.NewSeqNo))
        if new_seq is None:
            reason = SessionRejectReason.REQUIRED_TAG_MISSING
            text = "NewSeqNo(36) missing"
        elif new_seq <= seq:
            reason = SessionRejectReason.VALUE_IS_INCORRECT
            text = f"attempt to lower sequence number: NewSeqNo(36) {new_seq} <= MsgSeqNum {seq}"
        else:
            self.store.set_next_target_seq(new_seq)
            return
        self._reject(message, seq, reason, Tag.NewSeqNo, text, now)
        self.store.set_next_target_seq(seq + 1)

    def _on_resend_request(self, message: FixMessage, seq: int, now: int) -> None:
        begin = _int_or_none(message.get(Tag.BeginSeqNo))
        end = _int_or_none(message.get(Tag.EndSeqNo))
        if begin is None or end is None:
            tag = Tag.BeginSeqNo if begin is None else Tag.EndSeqNo
            self._reject(
                message,
                seq,
                SessionRejectReason.REQUIRED_TAG_MISSING,
                tag,
                f"tag {tag} missing or not a number",
                now,
            )
            return
        span = resend_range(begin, end, self.store.next_sender_seq())
        if span is not None:
            self._resend(span[0], span[1], now)

    # ------------------------------------------------------------------ outbound

    def _send_admin(self, message: FixMessage, now: int) -> int:
        seq = self.store.next_sender_seq()
        raw = frame(self._begin, message, seq=seq, sender=self._ours, target=self._theirs, now=now)
        self.store.set_next_sender_seq(seq + 1)
        self.store.log_message(Direction.OUT, raw, now)
        self._out += raw
        self._liveness.sent(now)
        return seq

    def _send_logon(self, now: int, *, reset: bool) -> None:
        config = self.config
        credentials = config.role is Role.INITIATOR and config.begin_string not in _NO_CREDENTIALS
        self._send_admin(
            admin.logon(
                self.heartbeat_interval,
                reset=reset,
                username=config.username if credentials else None,
                password=config.password if credentials else None,
            ),
            now,
        )
        self._reset_sent = reset

    def _reject(
        self,
        message: FixMessage,
        seq: int,
        reason: SessionRejectReason,
        ref_tag: int | None,
        text: str,
        now: int,
    ) -> None:
        msg_type = message.msg_type
        self._send_admin(
            admin.reject(seq, reason, text, ref_tag=ref_tag, ref_msg_type=msg_type), now
        )
        self._events.append(MessageRejected(seq, msg_type, int(reason), text))

    def _request_resend(self, plan: ResendPlan, now: int) -> None:
        self._send_admin(admin.resend_request(plan.begin, plan.end_seq_no), now)
        self._events.append(SequenceGap(plan.begin, plan.gap_end))

    def _resend(self, begin: int, end: int, now: int) -> None:
        stored = self.store.get_sent(begin, end)
        for item in plan_resend(begin, end, stored):
            if isinstance(item, GapFill):
                raw = frame(
                    self._begin,
                    admin.sequence_reset(item.new_seq_no, gap_fill=True),
                    seq=item.seq,
                    sender=self._ours,
                    target=self._theirs,
                    now=now,
                    orig_sending_time=format_utc_timestamp(now),
                )
            else:
                raw = reframe_for_resend(item.message, now)
            self.store.log_message(Direction.OUT, raw, now)
            self._out += raw
        self._liveness.sent(now)

    # ------------------------------------------------------------------ disconnecting

    def _disconnect(self, reason: str, now: int) -> None:
        self._fsm.trigger(Trigger.DISCONNECT)
        self._events.append(Disconnect(reason))
        self._enter_disconnected(now, after_logout=False)

    def _logout_and_disconnect(self, text: str, now: int) -> None:
        self._send_admin(admin.logout(text), now)
        self._disconnect(text, now)

    def _enter_disconnected(self, now: int, *, after_logout: bool) -> None:
        self._gaps.clear()
        self._held.clear()
        self._liveness.stop()
        self._logon_deadline = self._logout_deadline = None
        if self.config.reset_on_disconnect or (after_logout and self.config.reset_on_logout):
            self.store.reset(now)


def _int_or_none(value: bytes | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)
