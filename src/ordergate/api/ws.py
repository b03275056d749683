"""The /ws/executions WebSocket: each appended order event, as it is appended."""

from __future__ import annotations

import msgspec
from fastapi import WebSocket

from ordergate.oms.hub import SubscriberOverflow
from ordergate.oms.service import OrderManager

__all__ = ["stream_executions"]

_encoder = msgspec.json.Encoder(decimal_format="string")


async def stream_executions(websocket: WebSocket, oms: OrderManager, maxsize: int = 10_000) -> None:
    """Send ``{"position", "type", "event"}`` frames until the client leaves or falls behind.

    A client that falls more than ``maxsize`` events behind gets a final
    ``{"type": "overflow"}`` frame and the socket is closed (code 1013, try again later):
    it can refill from GET /api/orders/{id}/events and reconnect.
    """
    await websocket.accept()
    subscription = oms.hub.subscribe(maxsize)
    try:
        async for position, event in subscription:
            frame = {"position": position, "type": type(event).__name__, "event": event}
            await websocket.send_text(_encoder.encode(frame).decode())
    except SubscriberOverflow:
        await websocket.send_text('{"type": "overflow"}')
        await websocket.close(code=1013)
    finally:
        subscription.close()
