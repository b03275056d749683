"""What the transport calls when a session logs on, receives a message or ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ordergate.fix.message import FixMessage

if TYPE_CHECKING:
    from ordergate.fix.transport.connection import FixConnection

__all__ = ["FixApplication", "NullApplication"]


class FixApplication(Protocol):
    """The application side of a session; every callback runs on the event loop thread.

    Callbacks must not block: they may call ``connection.send`` (synchronous, batched into
    one store flush and one socket write per loop iteration) and schedule tasks.

    Optional hook: ``on_reject(connection, message)`` receives each session-level Reject(3)
    the counterparty sends (an application that sends orders maps its RefSeqNum(45) back
    to the request it refused).
    """

    def on_logon(self, connection: FixConnection) -> None:
        """Handle the completed Logon(A) exchange: application messages may flow."""
        ...

    def on_logout(self, connection: FixConnection) -> None:
        """Handle the end of a logged-on connection (Logout(5) or a dropped socket)."""
        ...

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        """Handle one application message, in sequence, once per MsgSeqNum(34).

        ``poss_dup`` is True when the counterparty resent it with PossDupFlag(43)=Y.
        """
        ...


class NullApplication:
    """An application that ignores everything (sessions that only need to stay up)."""

    def on_logon(self, connection: FixConnection) -> None:
        """Ignore the logon."""

    def on_logout(self, connection: FixConnection) -> None:
        """Ignore the logout."""

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        """Ignore the message."""
