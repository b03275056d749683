"""The echo application: every application message goes back as received (conformance mode).

Independent FIX test harnesses drive an acceptor by sending application messages and
expecting each one back with the same MsgType(35) and body fields under a new header.
"""

from __future__ import annotations

from typing import Final

import structlog

from ordergate.fix.message import FixMessage
from ordergate.fix.transport.connection import FixConnection

__all__ = ["HEADER_TAGS", "TRAILER_TAGS", "EchoApplication", "echo_of"]

log = structlog.get_logger("ordergate.fix.echo")

#: Standard header fields of FIX 4.2 and 4.4: the session writes its own on the echo.
HEADER_TAGS: Final = frozenset(
    {
        8, 9, 35, 49, 56, 115, 128, 90, 91, 50, 142, 57, 143, 116, 144, 129, 145,
        34, 43, 97, 52, 122, 212, 213, 347, 369, 627, 628, 629, 630,
    }
)  # fmt: skip
#: Standard trailer fields.
TRAILER_TAGS: Final = frozenset({93, 89, 10})


def echo_of(message: FixMessage) -> FixMessage:
    """Return ``message``'s MsgType(35) and body fields, without header and trailer."""
    skip = HEADER_TAGS | TRAILER_TAGS
    fields = [(35, message.get(35) or b"")]
    fields.extend((tag, value) for tag, value in message.fields if tag not in skip)
    return FixMessage(fields)


class EchoApplication:
    """Send every application message back on the session it came from."""

    def on_logon(self, connection: FixConnection) -> None:
        """Log the logon."""
        log.info("echo session logged on", session=connection.session_id)

    def on_logout(self, connection: FixConnection) -> None:
        """Log the logout."""
        log.info("echo session logged out", session=connection.session_id)

    def on_message(self, connection: FixConnection, message: FixMessage, poss_dup: bool) -> None:
        """Send ``message`` back with a new header."""
        connection.send(echo_of(message))
