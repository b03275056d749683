"""The platform's feed services, built from settings: the feed, its metrics, the publisher.

- The feed over the event store and the OMS's hub (always: the embedded default).
- With ``settings.nats_url``: the JetStream publisher, so feed gateways
  (``ordergate feed-gateway``) can serve subscribers from the stream.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
import structlog
from nats.aio.client import Client as NATS

from ordergate.config import Settings
from ordergate.domain.events import OrderEvent
from ordergate.eventstore import EventRecorder
from ordergate.feed.metrics import FeedMetrics
from ordergate.feed.publisher import JetStreamPublisher
from ordergate.feed.service import Feed
from ordergate.oms.hub import EventHub

__all__ = ["FeedServices"]

log = structlog.get_logger(__name__)


class FeedServices:
    """Everything of the feed in the platform's process.

    Parameters
    ----------
    settings
        The platform's settings (``nats_url``).
    store
        The event store the OMS appends to.
    hub
        The OMS's hub.
    """

    def __init__(self, settings: Settings, store: EventRecorder, hub: EventHub[OrderEvent]) -> None:
        self.settings = settings
        self.metrics = FeedMetrics()
        self.feed = Feed(store, hub)
        self.publisher: JetStreamPublisher | None = None
        self._nats: NATS | None = None
        self._publisher_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect to NATS and start publishing, when a NATS server is configured."""
        if self.settings.nats_url:
            servers = [u.strip() for u in self.settings.nats_url.split(",") if u.strip()]
            self._nats = await nats.connect(servers=servers, max_reconnect_attempts=-1)
            self.publisher = JetStreamPublisher(
                self.feed, self._nats.jetstream(), metrics=self.metrics
            )
            await self.publisher.start()  # the stream exists before anyone reads it
            self._publisher_task = asyncio.create_task(self.publisher.run(), name="publisher")
            log.info("publishing the feed to JetStream", servers=servers)

    async def stop(self) -> None:
        """Stop publishing (nothing is lost: the next start resumes from the stream)."""
        if self._publisher_task is not None:
            self._publisher_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher_task
            self._publisher_task = None
        if self._nats is not None:
            await self._nats.drain()
            self._nats = None
