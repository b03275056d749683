"""A point-in-time view of one session, for the API and the CLI."""

from __future__ import annotations

import msgspec

from ordergate.fix.session.state import SessionState

__all__ = ["SessionStatusSnapshot"]


class SessionStatusSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """State, sequence numbers, last traffic (ns since the epoch, 0: never) and latency.

    ``latency_ns`` is the last TestRequest(1) -> Heartbeat(0) round trip, None until measured.
    """

    session_id: str
    state: SessionState
    logged_on: bool
    next_sender_seq: int
    next_target_seq: int
    last_sent_ns: int
    last_received_ns: int
    last_heartbeat_ns: int
    latency_ns: int | None
    as_of_ns: int
