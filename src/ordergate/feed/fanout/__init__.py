"""Push fan-out of the feed to many WebSocket subscribers (the feed gateway's)."""

from ordergate.feed.fanout.dispatcher import Fanout
from ordergate.feed.fanout.frames import FrameCache, text_frame
from ordergate.feed.fanout.subscriber import PushSubscriber, Sink

__all__ = ["Fanout", "FrameCache", "PushSubscriber", "Sink", "text_frame"]
