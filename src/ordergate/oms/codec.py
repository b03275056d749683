"""Serialization of order events and snapshots to and from the event store, with upcasting.

Stored events keep the schema version they were written with. On read, the chain of
upcasters in :data:`UPCASTERS` lifts an old payload one version at a time until it matches
the event class's current ``SCHEMA_VERSION``, then it is decoded into that class. An event
written by a newer ordergate than this one is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from ordergate.domain.events import EVENT_TYPES, OrderEvent
from ordergate.domain.order import Order
from ordergate.eventstore import NewEvent, Snapshot, StoredEvent

__all__ = ["UPCASTERS", "decode_event", "decode_snapshot", "encode_event", "encode_snapshot"]

Payload = dict[str, Any]

SNAPSHOT_SCHEMA_VERSION = 1


def _rejected_v1_to_v2(payload: Payload) -> Payload:
    # v1 had only a free-text reason; v2 adds a machine-readable code.
    return {**payload, "code": "VENUE_REJECTED"}


UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {
    ("OrderRejected", 1): _rejected_v1_to_v2,
}

_encoder = msgspec.json.Encoder(decimal_format="string")
_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    name: msgspec.json.Decoder(cls) for name, cls in EVENT_TYPES.items()
}
_order_decoder = msgspec.json.Decoder(Order)


def encode_event(event: OrderEvent) -> NewEvent:
    """Return the store record for ``event``."""
    return NewEvent(
        stream_id=event.order_id,
        version=event.version,
        type=type(event).__name__,
        schema_version=type(event).SCHEMA_VERSION,
        data=_encoder.encode(event),
        ts=event.ts_event,
    )


def decode_event(record: StoredEvent | NewEvent) -> OrderEvent:
    """Return the event a store record holds, upcast to the current schema.

    Raises
    ------
    ValueError
        If the type is unknown or the record is newer than this code understands.
    """
    cls = EVENT_TYPES.get(record.type)
    if cls is None:
        raise ValueError(f"unknown event type {record.type!r}")
    version = record.schema_version
    if version == cls.SCHEMA_VERSION:
        event: OrderEvent = _decoders[record.type].decode(record.data)
        return event
    if version > cls.SCHEMA_VERSION:
        raise ValueError(
            f"{record.type} schema v{version} is newer than this ordergate (v{cls.SCHEMA_VERSION})"
        )
    payload: Payload = msgspec.json.decode(record.data)
    while version < cls.SCHEMA_VERSION:
        upcaster = UPCASTERS.get((record.type, version))
        if upcaster is None:
            raise ValueError(f"no upcaster for {record.type} v{version}")
        payload = upcaster(payload)
        version += 1
    upcast: OrderEvent = msgspec.convert(payload, cls, strict=False)
    return upcast


def encode_snapshot(order: Order) -> Snapshot:
    """Return a snapshot record of ``order`` at its current version."""
    return Snapshot(
        stream_id=order.id,
        version=order.version,
        type="Order",
        schema_version=SNAPSHOT_SCHEMA_VERSION,
        data=_encoder.encode(order),
        ts=order.updated_at,
    )


def decode_snapshot(snapshot: Snapshot) -> Order | None:
    """Return the order a snapshot holds, or None if its schema is not this one's."""
    if snapshot.type != "Order" or snapshot.schema_version != SNAPSHOT_SCHEMA_VERSION:
        return None  # an old snapshot is ignored: the stream is replayed from the start
    return _order_decoder.decode(snapshot.data)
