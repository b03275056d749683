"""Inbound message handling of a session: header checks, sequencing, and admin messages.

:class:`InboundHandling` takes one parsed, well-framed message at a time (the framing
checks are in :meth:`~ordergate.fix.session.FixSession.next_event`) and:

- disconnects on what the standard calls fatal: wrong BeginString(8), no MsgSeqNum(34),
  wrong CompIDs, SendingTime(52) out of tolerance, a non-Logon first message;
- handles Logon(A), Logout(5) and SequenceReset(4) reset mode whatever their number;
- queues a message numbered too high and asks for the gap (ResendRequest(2)), refuses one
  numbered too low unless it is a possible duplicate;
- processes a message in sequence: session-level refusals (Reject(3)), admin messages,
  and application messages out as ``AppMessage`` events.

The usual message (in sequence, right CompIDs and SendingTime, no gap pending) has its
header checked once and goes straight to the dictionary.
"""

from __future__ import annotations

from ordergate.fix.dictionary.reasons import SessionRejectReason, ValidationIssue
from ordergate.fix.message import FixMessage
from ordergate.fix.session import admin
from ordergate.fix.session.checks import (
    Problem,
    check_header,
    check_header_order,
    check_logon,
    check_poss_dup,
)
from ordergate.fix.session.config import Role
from ordergate.fix.session.core import SessionCore
from ordergate.fix.session.events import AppMessage, LoggedOn, LoggedOut, RejectReceived
from ordergate.fix.session.resend import resend_range
from ordergate.fix.session.state import SessionState, Trigger
from ordergate.fix.tags import ADMIN_MSG_TYPES, MsgType, Tag

__all__ = ["InboundHandling"]

_ACTIVE = SessionState.ACTIVE
_AWAIT_LOGON = SessionState.AWAIT_LOGON
_LOGON_SENT = SessionState.LOGON_SENT
_LOGOUT_SENT = SessionState.LOGOUT_SENT


class InboundHandling(SessionCore):
    """Process parsed inbound messages (see the module docstring)."""

    def _on_message(self, message: FixMessage, now: int) -> None:
        state = self._fsm.state
        msg_type = message.msg_type
        if state is _AWAIT_LOGON and msg_type != MsgType.Logon:
            self._disconnect("first message not a Logon(A)", now)
            return
        if state is _LOGON_SENT and msg_type not in (MsgType.Logon, MsgType.Logout):
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
        header = check_header(message, self._ours, self._theirs, now, self._tolerance_ns)
        if header:
            fatal = _first_fatal(header)
            if fatal is not None:
                if state is _ACTIVE or state is _LOGOUT_SENT:
                    self._reject(message, seq, fatal.reason, fatal.ref_tag, fatal.text, now)
                    if seq == expected:
                        self.store.set_next_target_seq(seq + 1)
                self._logout_and_disconnect(fatal.text, now)
                return
        if seq == expected and msg_type not in ADMIN_MSG_TYPES:
            # The usual application message: in sequence, header already checked.
            self._process_in_order(message, seq, now, handled=False, header=header)
            if not self._gaps.idle:
                self._drain(now)
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
            self._process_in_order(message, seq, now, handled=False, header=header)
            self._drain(now)

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

    def _process_in_order(
        self,
        message: FixMessage,
        seq: int,
        now: int,
        *,
        handled: bool,
        header: tuple[Problem, ...] | None = None,
    ) -> None:
        # ``header``: what check_header found at this ``now``, when already known.
        if handled:
            self.store.set_next_target_seq(seq + 1)
            return
        issue = self._session_problem(message, now, header)
        if issue is not None:
            self._reject(message, seq, issue.reason, issue.ref_tag, issue.text, now)
            self.store.set_next_target_seq(seq + 1)
            return
        msg_type = message.msg_type
        if msg_type not in ADMIN_MSG_TYPES:
            self.store.set_next_target_seq(seq + 1)
            self._events.append(AppMessage(message, message.get_bool(Tag.PossDupFlag)))
            return
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

    def _session_problem(
        self, message: FixMessage, now: int, header: tuple[Problem, ...] | None = None
    ) -> ValidationIssue | None:
        if header is None:
            header = check_header(message, self._ours, self._theirs, now, self._tolerance_ns)
        problem = header[0] if header else check_header_order(message)
        if problem is not None:
            return ValidationIssue(problem.reason, problem.ref_tag, problem.text)
        if self.config.validate and self.dictionary is not None:
            return self.dictionary.validate(message)
        return None

    def _on_logon(self, message: FixMessage, seq: int, now: int) -> None:
        state = self._fsm.state
        reset = message.get_bool(Tag.ResetSeqNumFlag)
        in_session_reset = state is _ACTIVE and reset
        if not in_session_reset and state not in (_LOGON_SENT, _AWAIT_LOGON):
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
        if acceptor and state is _AWAIT_LOGON:
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
        if self._fsm.state is _ACTIVE:
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


def _first_fatal(problems: tuple[Problem, ...]) -> Problem | None:
    for problem in problems:
        if problem.fatal:
            return problem
    return None


def _int_or_none(value: bytes | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)
