"""The simulated broker's order records, its ids and timestamps, and their JSON views.

An :class:`AlpacaOrder` is one order as Alpaca numbers it: a replace makes a new record
(new ``id``, new ``client_order_id``) and marks the old one ``replaced``, while in the
matching engine it stays one order, under the *engine key* (the id of the first record).
Ids are UUIDs derived from a counter, so a run is reproducible.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from ordergate.domain.values import ZERO, strip_zeros
from ordergate.sim.alpaca.schemas import OrderJson

__all__ = ["OPEN_STATUSES", "AlpacaOrder", "asset_id", "make_id", "rfc3339"]

_NAMESPACE = uuid.UUID("6f1c9a52-8b0e-4d37-9a5e-0f2b7c4d1e80")
# Alpaca statuses under which an order can still trade, be canceled or be replaced.
OPEN_STATUSES = frozenset({"new", "accepted", "pending_new", "partially_filled"})


def make_id(kind: str, seq: int) -> str:
    """Return the stable UUID of the ``seq``-th thing of ``kind`` (order, fill, account)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}-{seq}"))


def asset_id(symbol: str) -> str:
    """Return the asset id of ``symbol``."""
    return str(uuid.uuid5(_NAMESPACE, f"asset-{symbol}"))


def rfc3339(ts_ns: int) -> str:
    """Return ``ts_ns`` as Alpaca writes times: UTC, microseconds, a ``Z`` suffix."""
    seconds, ns = divmod(ts_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AlpacaOrder:
    """One order record of the simulated broker (mutable; owned by the broker)."""

    __slots__ = (
        "canceled_at",
        "client_order_id",
        "created_at",
        "engine_key",
        "expired_at",
        "filled_at",
        "filled_notional",
        "filled_qty",
        "id",
        "limit_price",
        "order_type",
        "qty",
        "replaced_at",
        "replaced_by",
        "replaces",
        "side",
        "status",
        "stop_price",
        "symbol",
        "time_in_force",
        "updated_at",
    )

    def __init__(
        self,
        *,
        order_id: str,
        client_order_id: str,
        engine_key: str,
        symbol: str,
        side: str,
        order_type: str,
        time_in_force: str,
        qty: Decimal,
        limit_price: Decimal | None,
        stop_price: Decimal | None,
        now: int,
    ) -> None:
        self.id = order_id
        self.client_order_id = client_order_id
        self.engine_key = engine_key
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.time_in_force = time_in_force
        self.qty = qty
        self.limit_price = limit_price
        self.stop_price = stop_price
        self.status = "new"
        self.filled_qty = ZERO
        self.filled_notional = ZERO
        self.created_at = now
        self.updated_at = now
        self.filled_at: int | None = None
        self.canceled_at: int | None = None
        self.expired_at: int | None = None
        self.replaced_at: int | None = None
        self.replaced_by: str | None = None
        self.replaces: str | None = None

    @property
    def is_open(self) -> bool:
        """Return True while the order can trade, be canceled or be replaced."""
        return self.status in OPEN_STATUSES

    @property
    def leaves_qty(self) -> Decimal:
        """Return the quantity still to fill (zero once the order is done)."""
        return self.qty - self.filled_qty if self.is_open else ZERO

    def to_json(self) -> OrderJson:
        """Return the order as Alpaca's JSON shows it now."""
        average = None
        if self.filled_qty > 0:
            average = strip_zeros(self.filled_notional / self.filled_qty)
        return OrderJson(
            id=self.id,
            client_order_id=self.client_order_id,
            created_at=rfc3339(self.created_at),
            updated_at=rfc3339(self.updated_at),
            submitted_at=rfc3339(self.created_at),
            filled_at=_time(self.filled_at),
            expired_at=_time(self.expired_at),
            canceled_at=_time(self.canceled_at),
            failed_at=None,
            replaced_at=_time(self.replaced_at),
            replaced_by=self.replaced_by,
            replaces=self.replaces,
            asset_id=asset_id(self.symbol),
            symbol=self.symbol,
            asset_class="us_equity",
            notional=None,
            qty=self.qty,
            filled_qty=self.filled_qty,
            filled_avg_price=average,
            order_class="simple",
            order_type=self.order_type,
            type=self.order_type,
            side=self.side,
            time_in_force=self.time_in_force,
            limit_price=self.limit_price,
            stop_price=self.stop_price,
            status=self.status,
            extended_hours=False,
            position_intent="buy_to_open" if self.side == "buy" else "sell_to_close",
        )


def _time(ts_ns: int | None) -> str | None:
    return None if ts_ns is None else rfc3339(ts_ns)
