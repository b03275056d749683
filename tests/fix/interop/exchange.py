"""A tiny exchange both engines play in the interop tests: the same replies, either side.

On NewOrderSingle(D) it acknowledges and fills 30 then 20 (of 100); on
OrderCancelReplaceRequest(G) it replaces the open order; on OrderCancelRequest(F) it
cancels what is left. Replies are field lists (tag, text) in ExecutionReport(8) order,
with the FIX 4.2 / 4.4 differences (ExecTransType(20) only in 4.2, fills are ExecType(150)
1/2 in 4.2 and F (Trade) in 4.4).
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.fix.message import FixMessage

Fields = list[tuple[int, str]]

FILLS = (Decimal(30), Decimal(20))


class TinyExchange:
    def __init__(self, begin_string: str) -> None:
        self.fix42 = begin_string == "FIX.4.2"
        self.orders: dict[str, dict[str, object]] = {}
        self._exec_id = 0
        self._order_id = 0

    def on_message(self, message: FixMessage) -> list[Fields]:
        """Return the ExecutionReports answering ``message`` (none for other types)."""
        handler = {"D": self._new, "G": self._replace, "F": self._cancel}.get(message.msg_type)
        return handler(message) if handler is not None else []

    def _new(self, message: FixMessage) -> list[Fields]:
        self._order_id += 1
        order: dict[str, object] = {
            "order_id": f"OID-{self._order_id}",
            "symbol": message.get_str(55),
            "side": message.get_str(54),
            "qty": message.get_decimal(38),
            "price": message.get_decimal(44),
            "cum": Decimal(0),
        }
        cl_ord_id = message.get_str(11) or ""
        self.orders[cl_ord_id] = order
        reports = [self._report(cl_ord_id, order, exec_type="0", status="0")]
        for fill in FILLS:
            order["cum"] = order["cum"] + fill  # type: ignore[operator]
            reports.append(
                self._report(
                    cl_ord_id, order, exec_type="1" if self.fix42 else "F", status="1", last=fill
                )
            )
        return reports

    def _replace(self, message: FixMessage) -> list[Fields]:
        orig = message.get_str(41) or ""
        order = self.orders.pop(orig)
        order["qty"] = message.get_decimal(38)
        order["price"] = message.get_decimal(44)
        cl_ord_id = message.get_str(11) or ""
        self.orders[cl_ord_id] = order
        return [self._report(cl_ord_id, order, exec_type="5", status="1", orig=orig)]

    def _cancel(self, message: FixMessage) -> list[Fields]:
        orig = message.get_str(41) or ""
        order = self.orders.pop(orig)
        order["qty"] = order["cum"]
        cl_ord_id = message.get_str(11) or ""
        return [self._report(cl_ord_id, order, exec_type="4", status="4", orig=orig)]

    def _report(
        self,
        cl_ord_id: str,
        order: dict[str, object],
        *,
        exec_type: str,
        status: str,
        last: Decimal | None = None,
        orig: str | None = None,
    ) -> Fields:
        self._exec_id += 1
        qty, cum, price = order["qty"], order["cum"], order["price"]
        assert isinstance(qty, Decimal)
        assert isinstance(cum, Decimal)
        assert isinstance(price, Decimal)
        fields: Fields = [(37, str(order["order_id"])), (11, cl_ord_id)]
        if orig is not None:
            fields.append((41, orig))
        fields.append((17, f"EXEC-{self._exec_id}"))
        if self.fix42:
            fields.append((20, "0"))
        fields += [
            (150, exec_type),
            (39, status),
            (55, str(order["symbol"])),
            (54, str(order["side"])),
            (38, str(qty)),
            (44, str(price)),
        ]
        if last is not None:
            fields += [(32, str(last)), (31, str(price))]
        leaves = Decimal(0) if status == "4" else qty - cum
        fields += [(151, str(leaves)), (14, str(cum)), (6, str(price if cum else 0))]
        return fields


def new_order(cl_ord_id: str, qty: int = 100, price: str = "189.5") -> FixMessage:
    return FixMessage.of(
        "D",
        (11, cl_ord_id),
        (21, "1"),
        (55, "AAPL"),
        (54, "1"),
        (60, "20240102-10:00:00.000"),
        (38, qty),
        (40, "2"),
        (44, price),
    )


def replace_order(orig: str, cl_ord_id: str, qty: int, price: str) -> FixMessage:
    return FixMessage.of(
        "G",
        (41, orig),
        (11, cl_ord_id),
        (21, "1"),
        (55, "AAPL"),
        (54, "1"),
        (60, "20240102-10:00:01.000"),
        (38, qty),
        (40, "2"),
        (44, price),
    )


def cancel_order(orig: str, cl_ord_id: str) -> FixMessage:
    return FixMessage.of(
        "F",
        (41, orig),
        (11, cl_ord_id),
        (55, "AAPL"),
        (54, "1"),
        (60, "20240102-10:00:02.000"),
        (38, 100),
    )


def unsolicited_report(begin_string: str, text: str) -> Fields:
    """Return an OrderStatus-like ExecutionReport sent while the other side is away."""
    fields: Fields = [(37, "OID-X"), (11, "UNSOLICITED"), (17, f"EXEC-{text}")]
    if begin_string == "FIX.4.2":
        fields.append((20, "0"))
    exec_type = "3" if begin_string == "FIX.4.2" else "I"  # Done for day / Order status
    fields += [
        (150, exec_type),
        (39, "0"),
        (55, "AAPL"),
        (54, "1"),
        (151, "0"),
        (14, "0"),
        (6, "0"),
        (58, text),
    ]
    return fields
