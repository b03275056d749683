"""The feed store: access tokens and durable named subscriptions, in SQLite or PostgreSQL.

Wiring::

    store = open_feed_store(settings.resolved_feed_store_url())
    await store.start()
    authenticate = FeedAuthenticator(store, settings.feed_auth)  # ordergate.feed.auth
    ...
    await store.close()
"""

from ordergate.feed.store.factory import open_feed_store
from ordergate.feed.store.models import (
    NAME_PATTERN,
    TOKEN_PREFIX,
    DurableSubscription,
    FeedStoreError,
    InvalidFeedName,
    PositionBeyondHead,
    SubscriptionExists,
    SubscriptionNotFound,
    TokenExists,
    TokenInfo,
    TokenNotFound,
    check_name,
)
from ordergate.feed.store.store import FeedStore

__all__ = [
    "NAME_PATTERN",
    "TOKEN_PREFIX",
    "DurableSubscription",
    "FeedStore",
    "FeedStoreError",
    "InvalidFeedName",
    "PositionBeyondHead",
    "SubscriptionExists",
    "SubscriptionNotFound",
    "TokenExists",
    "TokenInfo",
    "TokenNotFound",
    "check_name",
    "open_feed_store",
]
