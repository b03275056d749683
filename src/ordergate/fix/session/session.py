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

The class is built in layers: ``SessionCore`` (``core.py``) holds the state and the outbound
and disconnect paths, ``InboundHandling`` (``inbound.py``) processes inbound messages, and
:class:`FixSession` here adds the public surface.
"""

from __future__ import annotations

from ordergate.fix.codec import FixParseError, FrameParser, Garbled, parse
from ordergate.fix.dictionary.reasons import BusinessRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.session import admin
from ordergate.fix.session.config import Role
from ordergate.fix.session.core import NS, MessageValidator
from ordergate.fix.session.events import NEED_DATA, FixEvent, GarbledIgnored, LoggedOut, NeedData
from ordergate.fix.session.inbound import InboundHandling
from ordergate.fix.session.liveness import LivenessAction
from ordergate.fix.session.state import SessionState, Trigger
from ordergate.fix.session.status import SessionStatusSnapshot
from ordergate.fix.store.base import Direction
from ordergate.fix.tags import ADMIN_MSG_TYPES, Tag

__all__ = ["FixSession", "MessageValidator"]

_IN = Direction.IN
_OUT = Direction.OUT
_ACTIVE = SessionState.ACTIVE
_DISCONNECTED = SessionState.DISCONNECTED


class FixSession(InboundHandling):
    """The session layer of one FIX connection: pure, driven by bytes and time.

    Args:
        config: both CompIDs, version, role, timers and reset options.
        store: sequence numbers, sent messages and the audit log (sync, in memory).
        dictionary: validates inbound messages when ``config.validate``; None skips that.
    """

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
        self._logon_deadline = now + self.config.logon_timeout * NS
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
        events = self._events
        parser = self._parser
        while True:
            if events:
                return events.popleft()
            if self._fsm.state is _DISCONNECTED:
                return NEED_DATA
            raw = parser.next_frame()
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
            self.store.log_message(_IN, raw, now)
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
        store = self.store
        seq = store.next_sender_seq()
        raw = self._framer.frame(message, seq, now)
        store.set_next_sender_seq(seq + 1)
        store.save_sent(seq, raw)
        store.log_message(_OUT, raw, now)
        state = self._fsm.state
        if state is _ACTIVE:
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
        self._logout_deadline = now + self.config.logout_timeout * NS

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
