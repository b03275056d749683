"""The order state machine: one explicit transition table.

Every change of an order's status goes through :func:`transition`, which looks the pair
(current status, trigger) up in :data:`ORDER_TRANSITIONS`. A pair that is not in the table
is illegal: it raises :class:`InvalidStateTransition` naming both ends, and the caller
changes nothing.

Invariants
----------
- Terminal statuses (FILLED, CANCELED, REJECTED, EXPIRED) have no outgoing edges.
- ``RESTORE`` means "go back to the status the order had before it became pending"
  (PENDING_CANCEL / PENDING_REPLACE). The order remembers that status; fills that arrive
  while a request is pending update it, so a cancel rejected after a partial fill restores
  PARTIALLY_FILLED, not NEW.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ordergate.domain.values import OrderStatus
from ordergate.fsm import InvalidStateTransition

__all__ = ["ORDER_TRANSITIONS", "RESTORE", "InvalidStateTransition", "Trigger", "transition"]


class Trigger(StrEnum):
    """What happens to an order."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    PARTIAL_FILL = "PARTIAL_FILL"
    FILL = "FILL"
    REQUEST_CANCEL = "REQUEST_CANCEL"
    CANCEL = "CANCEL"
    CANCEL_REJECT = "CANCEL_REJECT"
    REQUEST_REPLACE = "REQUEST_REPLACE"
    REPLACE = "REPLACE"
    REPLACE_REJECT = "REPLACE_REJECT"
    EXPIRE = "EXPIRE"


class _Restore(StrEnum):
    RESTORE = "RESTORE"


RESTORE: Final = _Restore.RESTORE

S = OrderStatus
T = Trigger

ORDER_TRANSITIONS: Final[dict[tuple[OrderStatus, Trigger], OrderStatus | _Restore]] = {
    # -- submitted, not yet acknowledged by the venue
    (S.PENDING_NEW, T.ACCEPT): S.NEW,
    (S.PENDING_NEW, T.REJECT): S.REJECTED,
    # Some venues send a fill without a separate ack (e.g. an immediately marketable order).
    (S.PENDING_NEW, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.PENDING_NEW, T.FILL): S.FILLED,
    # A cancel may be requested before the ack arrives; the venue answers both in order.
    (S.PENDING_NEW, T.REQUEST_CANCEL): S.PENDING_CANCEL,
    # An IOC/FOK/market order with nothing to trade against is canceled without an ack.
    (S.PENDING_NEW, T.CANCEL): S.CANCELED,
    (S.PENDING_NEW, T.EXPIRE): S.EXPIRED,
    # -- working at the venue
    (S.NEW, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.NEW, T.FILL): S.FILLED,
    (S.NEW, T.REQUEST_CANCEL): S.PENDING_CANCEL,
    (S.NEW, T.REQUEST_REPLACE): S.PENDING_REPLACE,
    # Unsolicited cancel by the venue (e.g. IOC remainder, venue-side risk, session end).
    (S.NEW, T.CANCEL): S.CANCELED,
    (S.NEW, T.EXPIRE): S.EXPIRED,
    (S.PARTIALLY_FILLED, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, T.FILL): S.FILLED,
    (S.PARTIALLY_FILLED, T.REQUEST_CANCEL): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, T.REQUEST_REPLACE): S.PENDING_REPLACE,
    (S.PARTIALLY_FILLED, T.CANCEL): S.CANCELED,
    (S.PARTIALLY_FILLED, T.EXPIRE): S.EXPIRED,
    # -- cancel pending: the venue may still fill before it processes the cancel
    (S.PENDING_CANCEL, T.PARTIAL_FILL): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.FILL): S.FILLED,
    (S.PENDING_CANCEL, T.CANCEL): S.CANCELED,
    (S.PENDING_CANCEL, T.CANCEL_REJECT): RESTORE,
    # The ack of an order canceled before its ack arrived (PENDING_NEW -> PENDING_CANCEL).
    (S.PENDING_CANCEL, T.ACCEPT): S.PENDING_CANCEL,
    # A venue may reject an order that we had already asked to cancel.
    (S.PENDING_CANCEL, T.REJECT): S.REJECTED,
    (S.PENDING_CANCEL, T.EXPIRE): S.EXPIRED,
    # -- replace pending: fills may arrive on the old terms first
    (S.PENDING_REPLACE, T.PARTIAL_FILL): S.PENDING_REPLACE,
    (S.PENDING_REPLACE, T.FILL): S.FILLED,
    (S.PENDING_REPLACE, T.REPLACE): RESTORE,
    (S.PENDING_REPLACE, T.REPLACE_REJECT): RESTORE,
    # The venue may cancel or expire the order before it processes the replace.
    (S.PENDING_REPLACE, T.CANCEL): S.CANCELED,
    (S.PENDING_REPLACE, T.EXPIRE): S.EXPIRED,
}

del S, T


def transition(current: OrderStatus, trigger: Trigger, previous: OrderStatus) -> OrderStatus:
    """Return the status after ``trigger``.

    ``previous`` is the status to go back to on a RESTORE edge.

    Raises
    ------
    InvalidStateTransition
        If the table has no edge for (current, trigger).
    """
    target = ORDER_TRANSITIONS.get((current, trigger))
    if target is None:
        raise InvalidStateTransition(current, trigger, "order")
    if target is RESTORE:
        return previous
    assert isinstance(target, OrderStatus)
    return target
