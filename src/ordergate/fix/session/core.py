"""What every part of a session shares: its state, and how it writes and disconnects.

:class:`SessionCore` holds the state of one :class:`~ordergate.fix.session.FixSession` and
the outbound path: admin messages (Logon, Reject, ResendRequest, resends...) take the next
MsgSeqNum(34), are logged and queued for the socket. Inbound handling
(:mod:`~ordergate.fix.session.inbound`) and the public surface
(:mod:`~ordergate.fix.session.session`) build on it.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from ordergate.fix.codec import FrameParser
from ordergate.fix.dictionary.reasons import SessionRejectReason, ValidationIssue
from ordergate.fix.message import FixMessage
from ordergate.fix.session import admin
from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.session.events import (
    Disconnect,
    FixEvent,
    MessageRejected,
    SequenceGap,
)
from ordergate.fix.session.liveness import Liveness
from ordergate.fix.session.outbound import Framer, frame, reframe_for_resend
from ordergate.fix.session.resend import GapFill, plan_resend
from ordergate.fix.session.sequencing import GapTracker, ResendPlan
from ordergate.fix.session.state import SessionStateMachine, Trigger
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store.base import Direction, MessageStore

__all__ = ["MessageValidator", "SessionCore"]

NS = 1_000_000_000
# FIX 4.2 has no Username(553)/Password(554) in Logon(A).
_NO_CREDENTIALS = frozenset({"FIX.4.0", "FIX.4.1", "FIX.4.2"})
_OUT = Direction.OUT


class MessageValidator(Protocol):
    """What the session needs of a data dictionary (``Dictionary`` provides it)."""

    def validate(self, message: FixMessage) -> ValidationIssue | None:
        """Return what is wrong with an inbound message, or None."""
        ...


class SessionCore:
    """State of one FIX session, and the outbound and disconnect paths.

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
        self._framer = Framer(self._begin, self._ours, self._theirs)
        self._tolerance_ns = config.sending_time_tolerance * NS
        self.heartbeat_interval = config.heartbeat_interval
        self._liveness = Liveness()
        self._logon_deadline: int | None = None
        self._logout_deadline: int | None = None
        self._reset_sent = False
        self._held: list[bytes] = []

    # ------------------------------------------------------------------ outbound

    def _send_admin(self, message: FixMessage, now: int) -> int:
        store = self.store
        seq = store.next_sender_seq()
        raw = self._framer.frame(message, seq, now)
        store.set_next_sender_seq(seq + 1)
        store.log_message(_OUT, raw, now)
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
            self.store.log_message(_OUT, raw, now)
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
