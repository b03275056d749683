"""Configuration of one FIX session (both ends' CompIDs, version, timers, reset options)."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from ordergate.fix.schedule import SessionSchedule

__all__ = ["Role", "SessionConfig"]


class Role(StrEnum):
    """Which side opens the connection and sends the first Logon(A)."""

    INITIATOR = "initiator"
    ACCEPTOR = "acceptor"


class SessionConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One session: ``sender_comp_id`` is us, ``target_comp_id`` the counterparty.

    Times are in seconds. ``heartbeat_interval`` is HeartBtInt(108) the initiator proposes
    (an acceptor takes the initiator's). ``sending_time_tolerance`` bounds how far
    SendingTime(52) of an inbound message may be from our clock. ``resend_chunk_size`` limits
    one ResendRequest(2) to that many messages (0: ask for everything in one request).
    ``schedule`` limits when the session may be logged on (None: always), with a sequence
    reset at the start of each period (see :mod:`ordergate.fix.schedule`).
    """

    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    role: Role
    heartbeat_interval: int = 30
    reset_on_logon: bool = False
    reset_on_logout: bool = False
    reset_on_disconnect: bool = False
    sending_time_tolerance: int = 120
    logon_timeout: int = 10
    logout_timeout: int = 2
    resend_chunk_size: int = 0
    username: str | None = None
    password: str | None = None
    validate: bool = True
    schedule: SessionSchedule | None = None

    @property
    def session_id(self) -> str:
        """Return ``BeginString:SenderCompID->TargetCompID``, the session's name."""
        return f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}"
