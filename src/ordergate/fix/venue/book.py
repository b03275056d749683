"""The ClOrdID book: which ClOrdID(11) stands for which of our orders, and their terms.

FIX gives every request on an order its own ClOrdID(11): the NewOrderSingle(D) carries our
order id, and each OrderCancelRequest(F) / OrderCancelReplaceRequest(G) a new one,
``"<order_id>.<n>"``, with OrigClOrdID(41) set to the ClOrdID the venue currently knows the
order by. The venue adopts the new id when it accepts the request; until then the old one
stays current. Any id of the chain maps back to the order id, also after a restart when
the book is empty, because the suffix rule can be reversed.

The book also remembers each working order's terms, because a cancel or a replace must
repeat them (Side(54), OrdType(40), OrderQty(38)...) while the venue interface only says
what changes. It is pure state: no I/O, no clock.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from ordergate.domain.reports import VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce

__all__ = ["ClOrdIdBook", "SentRequest", "WorkingOrder", "order_id_of_cl_ord_id"]

_MAX_SENT = 100_000  # sent-request index entries kept for rejects naming only RefSeqNum(45)


def order_id_of_cl_ord_id(cl_ord_id: str) -> str:
    """Return the order id a ClOrdID of the ``"<order_id>.<n>"`` scheme belongs to."""
    head, dot, tail = cl_ord_id.rpartition(".")
    return head if dot and head and tail.isdigit() else cl_ord_id


class WorkingOrder:
    """One order this session sent: its terms and the ClOrdID the venue knows it by."""

    __slots__ = (
        "account",
        "cl_ord_id",
        "expire_time",
        "order_id",
        "order_type",
        "price",
        "quantity",
        "requests",
        "side",
        "stop_price",
        "symbol",
        "time_in_force",
        "venue_order_id",
    )

    def __init__(self, order: VenueOrder) -> None:
        self.order_id = order.order_id
        self.account = order.account
        self.symbol = order.symbol
        self.side: Side = order.side
        self.order_type: OrderType = order.order_type
        self.quantity: Decimal = order.quantity
        self.price = order.price
        self.stop_price = order.stop_price
        self.time_in_force: TimeInForce = order.time_in_force
        self.expire_time = order.expire_time
        self.cl_ord_id = order.order_id
        self.venue_order_id: str | None = None
        self.requests = 0


class SentRequest:
    """What an outbound request was, found again by its MsgSeqNum(34)."""

    __slots__ = ("cl_ord_id", "msg_type", "order_id")

    def __init__(self, msg_type: str, order_id: str, cl_ord_id: str) -> None:
        self.msg_type = msg_type
        self.order_id = order_id
        self.cl_ord_id = cl_ord_id


class ClOrdIdBook:
    """ClOrdID chains and terms of the orders one FIX session works."""

    def __init__(self) -> None:
        self._orders: dict[str, WorkingOrder] = {}
        self._ids: dict[str, str] = {}
        self._sent: OrderedDict[int, SentRequest] = OrderedDict()

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def get(self, order_id: str) -> WorkingOrder | None:
        """Return the working order ``order_id``, or None if this book does not hold it."""
        return self._orders.get(order_id)

    def orders(self) -> list[WorkingOrder]:
        """Return every working order, oldest first."""
        return list(self._orders.values())

    def open(self, order: VenueOrder) -> WorkingOrder:
        """Start tracking a new order; its ClOrdID is its order id.

        Raises
        ------
        ValueError
            If the order id is already tracked, or has the form of a follow-up ClOrdID.
        """
        if order.order_id in self._orders:
            raise ValueError(f"order {order.order_id!r} was already sent")
        if order_id_of_cl_ord_id(order.order_id) != order.order_id:
            raise ValueError(
                f"order id {order.order_id!r} ends in .<digits>; it would be ambiguous"
            )
        working = self._orders[order.order_id] = WorkingOrder(order)
        self._ids[order.order_id] = order.order_id
        return working

    def next_cl_ord_id(self, working: WorkingOrder) -> str:
        """Return a new ClOrdID for the next request on ``working``."""
        working.requests += 1
        cl_ord_id = f"{working.order_id}.{working.requests}"
        self._ids[cl_ord_id] = working.order_id
        return cl_ord_id

    def order_id_of(self, cl_ord_id: str) -> str:
        """Return our order id of any ClOrdID of an order's chain."""
        return self._ids.get(cl_ord_id) or order_id_of_cl_ord_id(cl_ord_id)

    def adopt(self, order_id: str, cl_ord_id: str, venue_order_id: str | None) -> None:
        """Record that the venue now knows ``order_id`` by ``cl_ord_id`` (request accepted).

        Also used when a status reply shows the current ClOrdID after a restart: later
        requests then number past it, so no ClOrdID is used twice.
        """
        working = self._orders.get(order_id)
        if working is None:
            return
        working.cl_ord_id = cl_ord_id
        self._ids[cl_ord_id] = order_id
        if venue_order_id:
            working.venue_order_id = venue_order_id
        tail = cl_ord_id.rpartition(".")[2]
        if cl_ord_id != order_id and tail.isdigit():
            working.requests = max(working.requests, int(tail))

    def close(self, order_id: str) -> None:
        """Stop tracking a finished order (its ids still map back by the suffix rule)."""
        working = self._orders.pop(order_id, None)
        if working is None:
            return
        self._ids.pop(order_id, None)
        for n in range(1, working.requests + 1):
            self._ids.pop(f"{order_id}.{n}", None)

    def note_sent(self, seq: int, msg_type: str, order_id: str, cl_ord_id: str) -> None:
        """Remember that MsgSeqNum ``seq`` carried a ``msg_type`` request for ``order_id``."""
        self._sent[seq] = SentRequest(msg_type, order_id, cl_ord_id)
        if len(self._sent) > _MAX_SENT:
            self._sent.popitem(last=False)

    def sent(self, seq: int) -> SentRequest | None:
        """Return the request sent with MsgSeqNum ``seq``, if still remembered."""
        return self._sent.get(seq)
