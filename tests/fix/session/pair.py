"""Two sessions over an in-memory link, and a fake clock: the harness of the session tests.

``SessionPair`` wires an initiator and an acceptor like a socket would (bytes written by one
are read by the other) with time advanced by the test. Nothing sleeps, nothing binds a port.
A link can drop or rewrite what goes through it (``intercept``) to script faults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ordergate.fix.codec import FrameParser, Garbled, parse
from ordergate.fix.dictionary import SessionRejectReason, ValidationIssue
from ordergate.fix.message import FixMessage
from ordergate.fix.session import (
    Disconnect,
    FixEvent,
    FixSession,
    LoggedOut,
    MessageValidator,
    NeedData,
    Role,
    SessionConfig,
)
from ordergate.fix.store import MemoryStore

__all__ = [
    "START_NS",
    "FakeDictionary",
    "SessionPair",
    "Side",
    "acceptor_config",
    "frames",
    "initiator_config",
]

#: 2026-11-21 10:11:12.345 UTC: an arbitrary, fixed start of test time.
START_NS = 1_795_255_872_345_000_000
SECOND = 1_000_000_000

Intercept = Callable[[bytes], bytes | None]


def initiator_config(begin_string: str = "FIX.4.4", **overrides: object) -> SessionConfig:
    """Return the config of the initiator BUY -> SELL, with ``overrides``."""
    values: dict[str, object] = {
        "begin_string": begin_string,
        "sender_comp_id": "BUY",
        "target_comp_id": "SELL",
        "role": Role.INITIATOR,
    }
    values.update(overrides)
    return SessionConfig(**values)  # type: ignore[arg-type]


def acceptor_config(begin_string: str = "FIX.4.4", **overrides: object) -> SessionConfig:
    """Return the config of the acceptor SELL -> BUY, with ``overrides``."""
    values: dict[str, object] = {
        "begin_string": begin_string,
        "sender_comp_id": "SELL",
        "target_comp_id": "BUY",
        "role": Role.ACCEPTOR,
    }
    values.update(overrides)
    return SessionConfig(**values)  # type: ignore[arg-type]


class FakeDictionary:
    """A stand-in validator: knows a few MsgTypes and nothing else (reason 11 otherwise)."""

    KNOWN = frozenset({"0", "1", "2", "3", "4", "5", "A", "D", "8", "F", "G", "9", "j"})

    def validate(self, message: FixMessage) -> ValidationIssue | None:
        """Refuse unknown MsgTypes, like the real dictionary does first."""
        if message.msg_type not in self.KNOWN:
            return ValidationIssue(SessionRejectReason.INVALID_MSGTYPE, 35, "Invalid MsgType")
        return None


def frames(data: bytes) -> list[FixMessage]:
    """Parse every frame in ``data`` (what a session wrote) into messages."""
    parser = FrameParser()
    parser.append(data)
    out: list[FixMessage] = []
    while (raw := parser.next_frame()) is not None:
        assert not isinstance(raw, Garbled), raw
        out.append(parse(raw))
    return out


@dataclass
class Side:
    """One end of the link: its session, store, what it emitted and what it wrote."""

    session: FixSession
    store: MemoryStore
    events: list[FixEvent] = field(default_factory=list)
    written: list[FixMessage] = field(default_factory=list)
    closed: bool = False
    intercept: Intercept | None = None
    """Called with each frame this side writes: return bytes to deliver, or None to drop."""

    def take_events(self) -> list[FixEvent]:
        """Return and forget the events collected so far."""
        events, self.events = self.events, []
        return events

    def sent_types(self) -> list[str]:
        """Return the MsgTypes this side wrote, in order."""
        return [m.msg_type for m in self.written]


class SessionPair:
    """An initiator and an acceptor joined by an in-memory link, with a fake clock."""

    def __init__(
        self,
        initiator: SessionConfig | None = None,
        acceptor: SessionConfig | None = None,
        *,
        dictionary: MessageValidator | None = None,
        now: int = START_NS,
    ) -> None:
        self.now = now
        validator = dictionary if dictionary is not None else FakeDictionary()
        istore, astore = MemoryStore(now), MemoryStore(now)
        self.initiator = Side(
            FixSession(initiator or initiator_config(), istore, validator), istore
        )
        self.acceptor = Side(FixSession(acceptor or acceptor_config(), astore, validator), astore)

    def connect(self) -> None:
        """Open the link: both ends see ``connection_made``; the Logon exchange runs."""
        for side in (self.initiator, self.acceptor):
            side.closed = False
            side.session.connection_made(self.now)
        self.pump()

    def advance(self, seconds: float) -> None:
        """Move the clock on, firing due timers on both ends, then deliver what they wrote."""
        target = self.now + int(seconds * SECOND)
        while True:
            due = [
                t
                for side in (self.initiator, self.acceptor)
                if not side.closed and (t := side.session.get_timer()) is not None
            ]
            next_due = min(due, default=None)
            if next_due is None or next_due > target:
                break
            self.now = max(self.now, next_due)
            for side in (self.initiator, self.acceptor):
                timer = side.session.get_timer()
                if not side.closed and timer is not None and timer <= self.now:
                    side.session.handle_timer(self.now)
            self.pump()
        self.now = target
        self.pump()

    def pump(self) -> None:
        """Move bytes both ways and collect events until the link is quiet."""
        moved = True
        while moved:
            moved = False
            for src, dst in ((self.initiator, self.acceptor), (self.acceptor, self.initiator)):
                self._collect(src)
                data = src.session.data_to_send()
                if data:
                    moved = True
                    self._deliver(src, dst, data)
                self._collect(dst)
        # A side that closed its socket: the other end sees the connection drop.
        for side, other in ((self.initiator, self.acceptor), (self.acceptor, self.initiator)):
            if side.closed and not other.closed:
                other.closed = True
                other.session.connection_lost(self.now)

    def _deliver(self, src: Side, dst: Side, data: bytes) -> None:
        parser = FrameParser()
        parser.append(data)
        while (raw := parser.next_frame()) is not None:
            assert isinstance(raw, bytes)
            src.written.append(parse(raw))
            if src.intercept is not None:
                kept = src.intercept(raw)
                if kept is None:
                    continue
                raw = kept
            if not dst.closed:
                dst.session.receive_data(raw)

    def _collect(self, side: Side) -> None:
        while not isinstance(event := side.session.next_event(self.now), NeedData):
            side.events.append(event)
            if isinstance(event, Disconnect | LoggedOut):
                side.closed = True
