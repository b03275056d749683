"""Heartbeat(0) and TestRequest(1) bookkeeping: is the link alive, and what is due when.

Rules (FIX session layer):

- We send a Heartbeat after ``interval`` of our own silence.
- After ``interval`` x 1.2 of the counterparty's silence we send a TestRequest; any message
  from it answers; without one within another ``interval`` the link is dead.
- The TestRequest -> Heartbeat(TestReqID) round trip is the measured latency.

``interval`` 0 turns all of this off.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Liveness", "LivenessAction"]

_NS = 1_000_000_000


class LivenessAction(Enum):
    """What a due deadline asks the session to do."""

    SEND_HEARTBEAT = "send_heartbeat"
    SEND_TEST_REQUEST = "send_test_request"
    DISCONNECT = "disconnect"


class Liveness:
    """Traffic times of one connection and the TestRequest it waits on (times in ns)."""

    __slots__ = (
        "_awaiting",
        "_count",
        "_test_request_id",
        "_test_request_sent_ns",
        "interval_ns",
        "last_heartbeat_ns",
        "last_received_ns",
        "last_sent_ns",
        "latency_ns",
    )

    def __init__(self) -> None:
        self.interval_ns = 0
        self.last_sent_ns = 0
        self.last_received_ns = 0
        self.last_heartbeat_ns = 0
        self.latency_ns: int | None = None
        self._test_request_id: bytes | None = None
        self._test_request_sent_ns = 0
        self._awaiting = False
        self._count = 0

    def start(self, now: int, interval: int) -> None:
        """Begin a connection at ``now`` with a heartbeat interval in seconds."""
        self.interval_ns = interval * _NS
        self.last_sent_ns = self.last_received_ns = now
        self.stop()

    def stop(self) -> None:
        """Forget the TestRequest in flight (disconnect)."""
        self._test_request_id = None
        self._awaiting = False

    def sent(self, now: int) -> None:
        """Note that we wrote a message."""
        self.last_sent_ns = now

    def received(self, now: int) -> None:
        """Note that a message came in: the counterparty is alive."""
        self.last_received_ns = now
        self._awaiting = False

    def heartbeat_received(self, test_req_id: bytes | None, now: int) -> None:
        """Note a Heartbeat; one answering our TestRequest gives the latency."""
        self.last_heartbeat_ns = now
        if test_req_id is not None and test_req_id == self._test_request_id:
            self.latency_ns = now - self._test_request_sent_ns
            self._test_request_id = None

    def new_test_request(self, now: int) -> str:
        """Return a fresh TestReqID(112), noting it is in flight from ``now``."""
        self._count += 1
        test_req_id = b"TEST%d" % self._count
        self._test_request_id = test_req_id
        self._test_request_sent_ns = now
        self._awaiting = True
        return test_req_id.decode()

    def deadline(self) -> int | None:
        """Return when the next action is due, or None when heartbeats are off."""
        interval = self.interval_ns
        if interval <= 0:
            return None
        heartbeat_due = self.last_sent_ns + interval
        if self._awaiting:
            return min(heartbeat_due, self._test_request_sent_ns + interval)
        return min(heartbeat_due, self.last_received_ns + interval * 6 // 5)

    def due(self, now: int) -> list[LivenessAction]:
        """Return what is due at ``now``, in the order to do it."""
        interval = self.interval_ns
        if interval <= 0:
            return []
        actions: list[LivenessAction] = []
        if self._awaiting:
            if now >= self._test_request_sent_ns + interval:
                return [LivenessAction.DISCONNECT]
        elif now >= self.last_received_ns + interval * 6 // 5:
            actions.append(LivenessAction.SEND_TEST_REQUEST)
        if now >= self.last_sent_ns + interval:
            actions.append(LivenessAction.SEND_HEARTBEAT)
        return actions
