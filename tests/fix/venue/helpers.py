"""Builders shared by the FIX venue tests."""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.reports import VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.fix.message import FixMessage
from ordergate.fix.venue.config import FixVenueConfig

NOW = 1_700_000_000_123_000_000  # 2023-11-14 22:13:20.123 UTC


def config(begin_string: str = "FIX.4.4", **overrides: object) -> FixVenueConfig:
    fields: dict[str, object] = {
        "name": "FIXSIM",
        "begin_string": begin_string,
        "sender_comp_id": "CLIENT",
        "target_comp_id": "EXCH",
        "endpoints": [("127.0.0.1", 9876)],
    }
    fields.update(overrides)
    return FixVenueConfig(**fields)  # type: ignore[arg-type]


def order(**overrides: object) -> VenueOrder:
    fields: dict[str, object] = {
        "order_id": "O-1",
        "account": "ACC",
        "symbol": "AAPL",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("100"),
        "price": Decimal("190.25"),
        "time_in_force": TimeInForce.DAY,
    }
    fields.update(overrides)
    return VenueOrder(**fields)  # type: ignore[arg-type]


def fix(msg_type: str, *fields: tuple[int, str]) -> FixMessage:
    """Return an inbound message of ``msg_type`` with ``fields`` (header left out)."""
    return FixMessage.of(msg_type, *fields)


def as_dict(message: FixMessage) -> dict[int, str]:
    return {tag: value.decode("latin-1") for tag, value in message.fields}
