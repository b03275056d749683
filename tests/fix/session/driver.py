"""Drive one session with hand-made counterparty messages (the unit tests' harness)."""

from __future__ import annotations

from ordergate.fix.codec import encode_fields
from ordergate.fix.message import FieldValue, FixMessage, encode_value
from ordergate.fix.session import FixEvent, FixSession, NeedData, Role, SessionConfig
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.store import MemoryStore
from tests.fix.session.pair import (
    START_NS,
    FakeDictionary,
    acceptor_config,
    frames,
    initiator_config,
)

__all__ = ["Driver"]


class Driver:
    """Our session (``role``) and a counterparty whose messages the test writes field by field.

    The counterparty is BUY when we are the acceptor (SELL), and SELL when we initiate.
    """

    def __init__(
        self,
        role: Role = Role.ACCEPTOR,
        begin_string: str = "FIX.4.4",
        *,
        config: SessionConfig | None = None,
        now: int = START_NS,
        **overrides: object,
    ) -> None:
        if config is None:
            make = acceptor_config if role is Role.ACCEPTOR else initiator_config
            config = make(begin_string, **overrides)
        self.config = config
        self.now = now
        self.store = MemoryStore(now)
        self.session = FixSession(config, self.store, FakeDictionary())
        self.next_seq = 1

    def raw(
        self,
        msg_type: str,
        *body: tuple[int, FieldValue],
        seq: int | None = None,
        sending_time: int | None = None,
        begin_string: str | None = None,
        sender: str | None = None,
        target: str | None = None,
        header: tuple[tuple[int, FieldValue], ...] = (),
    ) -> bytes:
        """Return a counterparty message; ``seq`` defaults to the next number (then advances)."""
        if seq is None:
            seq = self.next_seq
            self.next_seq += 1
        fields: list[tuple[int, bytes]] = [
            (35, msg_type.encode()),
            (34, b"%d" % seq),
            (49, (sender or self.config.target_comp_id).encode()),
            (52, format_utc_timestamp(self.now if sending_time is None else sending_time)),
            (56, (target or self.config.sender_comp_id).encode()),
        ]
        fields.extend((tag, encode_value(value)) for tag, value in header)
        fields.extend((tag, encode_value(value)) for tag, value in body)
        begin = (begin_string or self.config.begin_string).encode()
        return encode_fields(begin, fields)

    def feed(self, *raws: bytes) -> list[FixEvent]:
        """Give the session ``raws`` and return every event it emits."""
        for raw in raws:
            self.session.receive_data(raw)
        return self.events()

    def events(self) -> list[FixEvent]:
        """Return the events the session has now."""
        out: list[FixEvent] = []
        while not isinstance(event := self.session.next_event(self.now), NeedData):
            out.append(event)
        return out

    def sent(self) -> list[FixMessage]:
        """Return (and forget) what the session wrote."""
        return frames(self.session.data_to_send())

    def logged_on(self, *, heartbeat_interval: int = 30) -> list[FixEvent]:
        """Connect and complete the Logon exchange; our outbound Logon is consumed."""
        self.session.connection_made(self.now)
        events = self.feed(self.raw("A", (98, 0), (108, heartbeat_interval)))
        self.sent()
        return events

    def advance(self, seconds: float) -> list[FixEvent]:
        """Move time on, run the session's timer when due, return the events."""
        self.now += int(seconds * 1_000_000_000)
        timer = self.session.get_timer()
        if timer is not None and timer <= self.now:
            self.session.handle_timer(self.now)
        return self.events()
