"""The execution feed: every appended event, in log order, to every subscriber that asked.

The in-process slice: events are read from the event log (the outbox) and followed live
through the OMS's :class:`~ordergate.oms.hub.EventHub`; see :mod:`ordergate.feed.subscription`.
"""

from ordergate.feed.cursor import Cursor, LiveVerdict
from ordergate.feed.directory import OrderDirectory, OrderTags
from ordergate.feed.events import Control, FeedEvent, feed_event
from ordergate.feed.filters import EVENT_TYPE_NAMES, FeedFilter, FilterError, parse_filter
from ordergate.feed.service import Feed, FeedPage
from ordergate.feed.subscription import FeedSubscription

__all__ = [
    "EVENT_TYPE_NAMES",
    "Control",
    "Cursor",
    "Feed",
    "FeedEvent",
    "FeedFilter",
    "FeedPage",
    "FeedSubscription",
    "FilterError",
    "LiveVerdict",
    "OrderDirectory",
    "OrderTags",
    "feed_event",
    "parse_filter",
]
