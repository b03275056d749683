"""The feed's messages in their protobuf form, and back.

An event's fields travel as protobuf fields; its body, whose shape depends on its type,
travels as one JSON object (``body_json``) in exactly the form the WebSocket and SSE frames
carry under ``"event"``: decimals as exact strings, never floats. An attribute the feed does
not know (None: the order's submission was never seen) is an unset optional field.
"""

from __future__ import annotations

from typing import Any, assert_never

import msgspec

from ordergate.feed.events import Control, ControlKind, FeedEvent
from ordergate.feed.grpc import feed_pb2

__all__ = [
    "control_message",
    "event_message",
    "feed_message",
    "from_control_message",
    "from_event_message",
    "from_feed_message",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


def event_message(event: FeedEvent) -> feed_pb2.Event:
    """Return the protobuf form of ``event``."""
    return feed_pb2.Event(
        position=event.position,
        type=event.type,
        order_id=event.order_id,
        account=event.account,
        portfolio=event.portfolio,
        strategy=event.strategy,
        symbol=event.symbol,
        venue=event.venue,
        ts_event=event.ts_event,
        body_json=_encoder.encode(event.body).decode(),
    )


def control_message(control: Control) -> feed_pb2.Control:
    """Return the protobuf form of ``control``."""
    match control.kind:
        case "catching_up":
            kind = feed_pb2.Control.KIND_CATCHING_UP
        case "live":
            kind = feed_pb2.Control.KIND_LIVE
        case unknown:
            assert_never(unknown)
    return feed_pb2.Control(kind=kind, position=control.position)


def feed_message(item: FeedEvent | Control) -> feed_pb2.FeedMessage:
    """Return the subscription message carrying ``item``."""
    if isinstance(item, Control):
        return feed_pb2.FeedMessage(control=control_message(item))
    return feed_pb2.FeedMessage(event=event_message(item))


def from_event_message(message: feed_pb2.Event) -> FeedEvent:
    """Return the :class:`FeedEvent` that ``message`` carries (a client's view of it).

    Raises
    ------
    msgspec.DecodeError
        If ``body_json`` is not a JSON object.
    """
    return FeedEvent(
        position=message.position,
        type=message.type,
        order_id=message.order_id,
        account=message.account if message.HasField("account") else None,
        portfolio=message.portfolio if message.HasField("portfolio") else None,
        strategy=message.strategy if message.HasField("strategy") else None,
        symbol=message.symbol if message.HasField("symbol") else None,
        venue=message.venue if message.HasField("venue") else None,
        ts_event=message.ts_event,
        body=_decoder.decode(message.body_json),
    )


def from_control_message(message: feed_pb2.Control) -> Control:
    """Return the :class:`Control` that ``message`` carries.

    Raises
    ------
    ValueError
        If its kind is unset or unknown (a newer server's).
    """
    kind: ControlKind
    if message.kind == feed_pb2.Control.KIND_CATCHING_UP:
        kind = "catching_up"
    elif message.kind == feed_pb2.Control.KIND_LIVE:
        kind = "live"
    else:
        raise ValueError(f"unknown control kind {message.kind}")
    return Control(kind=kind, position=message.position)


def from_feed_message(message: feed_pb2.FeedMessage) -> FeedEvent | Control:
    """Return the event or control message that ``message`` carries.

    Raises
    ------
    ValueError
        If it carries neither, or an unknown control kind.
    """
    match message.WhichOneof("message"):
        case "event":
            return from_event_message(message.event)
        case "control":
            return from_control_message(message.control)
        case None:
            raise ValueError("the feed message carries neither an event nor a control")
