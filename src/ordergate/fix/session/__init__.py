"""The FIX session layer: a sans-IO state machine with time passed in."""

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
from ordergate.fix.session.session import FixSession, MessageValidator
from ordergate.fix.session.state import (
    TRANSITIONS,
    InvalidStateTransition,
    SessionState,
    Trigger,
)
from ordergate.fix.session.status import SessionStatusSnapshot

__all__ = [
    "NEED_DATA",
    "TRANSITIONS",
    "AppMessage",
    "Disconnect",
    "FixEvent",
    "FixSession",
    "GarbledIgnored",
    "InvalidStateTransition",
    "LoggedOn",
    "LoggedOut",
    "MessageRejected",
    "MessageValidator",
    "NeedData",
    "RejectReceived",
    "Role",
    "SequenceGap",
    "SessionConfig",
    "SessionState",
    "SessionStatusSnapshot",
    "Trigger",
]
