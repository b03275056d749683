"""Event serialization: round trips, upcasting of old schema versions, refusal of newer ones."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from ordergate.domain.events import OrderAccepted, OrderRejected, OrderSubmitted
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.eventstore import EventRecorder, NewEvent
from ordergate.oms.codec import decode_event, encode_event


def submitted() -> OrderSubmitted:
    return OrderSubmitted(
        event_id="O-1:1",
        order_id="O-1",
        version=1,
        ts_event=10,
        ts_init=11,
        client_order_id="c1",
        account="A",
        portfolio=None,
        strategy="mm",
        venue="SIM",
        symbol="AAPL",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("100.5"),
        price=Decimal("190.123456789012345678"),
        stop_price=None,
        time_in_force=TimeInForce.GTC,
        expire_time=None,
        request_digest="d",
    )


def test_event_round_trips_exactly_with_decimals_as_strings() -> None:
    event = submitted()

    record = encode_event(event)

    assert record.type == "OrderSubmitted"
    assert b'"190.123456789012345678"' in record.data
    assert decode_event(record) == event


async def test_a_stored_v1_rejection_reads_as_v2(store: EventRecorder) -> None:
    v1_payload = msgspec.json.encode(
        {
            "event_id": "O-1:2",
            "order_id": "O-1",
            "version": 2,
            "ts_event": 5,
            "ts_init": 5,
            "reason": "market closed",
        }
    )
    await store.append([encode_event(submitted())])
    await store.append(
        [
            NewEvent(
                stream_id="O-1",
                version=2,
                type="OrderRejected",
                schema_version=1,
                data=v1_payload,
                ts=5,
            )
        ]
    )

    records = await store.read_stream("O-1")
    event = decode_event(records[1])

    assert records[1].schema_version == 1
    assert event == OrderRejected(
        event_id="O-1:2",
        order_id="O-1",
        version=2,
        ts_event=5,
        ts_init=5,
        code="VENUE_REJECTED",
        reason="market closed",
    )


def test_a_newer_schema_than_this_code_knows_is_refused() -> None:
    record = encode_event(
        OrderAccepted(
            event_id="e",
            order_id="O-1",
            version=2,
            ts_event=1,
            ts_init=1,
            venue="SIM",
            venue_order_id="V1",
        )
    )
    newer = msgspec.structs.replace(record, schema_version=9)

    with pytest.raises(ValueError, match="newer"):
        decode_event(newer)


def test_an_unknown_event_type_is_refused() -> None:
    record = NewEvent(
        stream_id="O-1", version=1, type="OrderTeleported", schema_version=1, data=b"{}", ts=1
    )

    with pytest.raises(ValueError, match="unknown event type"):
        decode_event(record)
