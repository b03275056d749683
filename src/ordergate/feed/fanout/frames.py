"""WebSocket text frames of feed messages, each event's frame built once per process.

A server's frames are never masked (RFC 6455 section 5.1) and the fan-out server offers no
extension, so a message's frame is the same bytes for every connection: it is built once
and written to each subscriber's socket as is.
"""

from __future__ import annotations

from collections import OrderedDict

import msgspec

from ordergate.feed.events import Control, FeedEvent

__all__ = ["FrameCache", "text_frame"]

_encoder = msgspec.json.Encoder()


def text_frame(payload: bytes) -> bytes:
    """Return one unmasked, final WebSocket text frame carrying ``payload`` (UTF-8)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


class FrameCache:
    """The frames of the most recent events by position (controls are built each time).

    Parameters
    ----------
    size
        How many events' frames to keep.
    """

    def __init__(self, size: int = 8192) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._size = size
        self._frames: OrderedDict[int, bytes] = OrderedDict()

    def frame(self, item: FeedEvent | Control) -> bytes:
        """Return the WebSocket frame of ``item``'s JSON form."""
        if isinstance(item, Control):
            return text_frame(_encoder.encode(item.to_json()))
        frame = self._frames.get(item.position)
        if frame is None:
            frame = self._frames[item.position] = text_frame(_encoder.encode(item.to_json()))
            if len(self._frames) > self._size:
                self._frames.popitem(last=False)
        return frame
