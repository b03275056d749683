"""The FIX drop copy: an ExecutionReport(8) for every order event of the entitled accounts.

A FIX 4.2/4.4 acceptor (the project's own engine) that counterparties log on to. Each FIX
session follows the execution feed, restricted to its counterparty's accounts, and sends
one ExecutionReport per fill and state change, in feed order; a reconnect resumes after the
last report sent, and a ResendRequest(2) gets the same reports again with PossDupFlag(43).

- :func:`start_drop_copy`, :class:`DropCopyServer`: run it.
- :class:`DropCopyConfig`, :class:`Counterparty`: configure it.
- :func:`execution_report`, :class:`OrderBook`: the pure mapping and the per-order state.
"""

from ordergate.feed.dropcopy.book import OrderBook, Step, UnappliedEvent
from ordergate.feed.dropcopy.config import Counterparty, DropCopyConfig, StartFrom
from ordergate.feed.dropcopy.reports import (
    EXEC_TYPE,
    REPORTED_EVENT_TYPES,
    SKIPPED_EVENT_TYPES,
    exec_id_of,
    execution_report,
    position_of,
)
from ordergate.feed.dropcopy.server import DropCopyServer, start_drop_copy

__all__ = [
    "EXEC_TYPE",
    "REPORTED_EVENT_TYPES",
    "SKIPPED_EVENT_TYPES",
    "Counterparty",
    "DropCopyConfig",
    "DropCopyServer",
    "OrderBook",
    "StartFrom",
    "Step",
    "UnappliedEvent",
    "exec_id_of",
    "execution_report",
    "position_of",
    "start_drop_copy",
]
