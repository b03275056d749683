"""What the session layer tells its shell, one event at a time from ``next_event``."""

from __future__ import annotations

from typing import Final, TypeAlias

import msgspec

from ordergate.fix.message import FixMessage

__all__ = [
    "NEED_DATA",
    "AppMessage",
    "Disconnect",
    "FixEvent",
    "GarbledIgnored",
    "LoggedOn",
    "LoggedOut",
    "MessageRejected",
    "NeedData",
    "RejectReceived",
    "SequenceGap",
]


class NeedData:
    """Sentinel: no complete message is buffered; feed more bytes with ``receive_data``."""

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData()


class LoggedOn(msgspec.Struct, frozen=True):
    """The Logon(A) exchange completed; application messages may flow."""

    heartbeat_interval: int
    reset: bool


class AppMessage(msgspec.Struct, frozen=True):
    """An application message, in sequence, delivered exactly once per sequence number.

    ``poss_dup`` is True when the counterparty resent it (PossDupFlag(43)=Y).
    """

    message: FixMessage
    poss_dup: bool


class LoggedOut(msgspec.Struct, frozen=True):
    """The Logout(5) handshake completed (or timed out); the shell closes the connection."""

    text: str


class Disconnect(msgspec.Struct, frozen=True):
    """The shell must send what ``data_to_send`` holds, then close the connection."""

    reason: str


class MessageRejected(msgspec.Struct, frozen=True):
    """We refused an inbound message with Reject(3) or BusinessMessageReject(j)."""

    ref_seq_num: int
    msg_type: str
    reason: int
    text: str


class SequenceGap(msgspec.Struct, frozen=True):
    """Inbound sequence numbers ``begin..end`` are missing; a ResendRequest(2) went out."""

    begin: int
    end: int


class GarbledIgnored(msgspec.Struct, frozen=True):
    """A frame with a bad BodyLength, CheckSum or field syntax was dropped unprocessed."""

    reason: str


class RejectReceived(msgspec.Struct, frozen=True):
    """The counterparty refused one of our messages with a session-level Reject(3).

    ``message`` is the Reject itself: RefSeqNum(45), RefMsgType(372), SessionRejectReason(373)
    and Text(58) say which message and why.
    """

    message: FixMessage


FixEvent: TypeAlias = (
    LoggedOn
    | AppMessage
    | LoggedOut
    | Disconnect
    | MessageRejected
    | SequenceGap
    | GarbledIgnored
    | RejectReceived
)
