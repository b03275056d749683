"""The platform's feed services, built from settings.

- The feed over the event store and the OMS's hub (always: the embedded default), its
  metrics, and the feed store (access tokens, durable subscriptions) with the
  authenticator every subscriber API uses (``settings.feed_auth``).
- With ``settings.nats_url``: the JetStream publisher, so feed gateways
  (``ordergate feed-gateway``) can serve subscribers from the stream.
- With ``settings.grpc_port`` >= 0: the gRPC feed service.
- With ``settings.dropcopy_port`` >= 0: the FIX drop copy acceptor.
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
from ordergate.feed.auth import FeedAuthenticator
from ordergate.feed.dropcopy.config import Counterparty, DropCopyConfig
from ordergate.feed.dropcopy.server import DropCopyServer, start_drop_copy
from ordergate.feed.grpc.server import GrpcFeedServer, start_grpc_server
from ordergate.feed.metrics import FeedMetrics
from ordergate.feed.publisher import JetStreamPublisher
from ordergate.feed.service import Feed
from ordergate.feed.store import open_feed_store
from ordergate.fix.registry import SessionRegistry
from ordergate.oms.hub import EventHub

__all__ = ["FeedServices", "parse_counterparties"]

log = structlog.get_logger(__name__)


def parse_counterparties(text: str) -> tuple[Counterparty, ...]:
    """Return the drop copy counterparties of ``COMPID=ACC+ACC,COMPID=*``.

    Raises
    ------
    ValueError
        If an entry has no ``=``, no CompID, or no account.
    """
    counterparties = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        comp_id, sep, accounts = (part.strip() for part in entry.partition("="))
        if not sep or not comp_id:
            raise ValueError(
                f"drop copy counterparty {entry!r}: write COMPID=ACC1+ACC2 or COMPID=*"
            )
        names = frozenset(a.strip() for a in accounts.split("+") if a.strip())
        if not names:
            raise ValueError(f"drop copy counterparty {comp_id!r} names no account (or *)")
        counterparties.append(
            Counterparty(comp_id=comp_id, accounts=None if names == {"*"} else names)
        )
    if not counterparties:
        raise ValueError("the drop copy needs at least one counterparty")
    return tuple(counterparties)


class FeedServices:
    """Everything of the feed in the platform's process.

    Parameters
    ----------
    settings
        The platform's settings.
    store
        The event store the OMS appends to.
    hub
        The OMS's hub.
    fix
        Where the drop copy's FIX sessions are listed (the platform's session registry).

    Raises
    ------
    ValueError
        If the feed access mode or the drop copy counterparties are not valid.
    """

    def __init__(
        self,
        settings: Settings,
        store: EventRecorder,
        hub: EventHub[OrderEvent],
        fix: SessionRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = FeedMetrics()
        self.feed = Feed(store, hub)
        self.store = open_feed_store(settings.resolved_feed_store_url())
        self.authenticate = FeedAuthenticator(self.store, settings.feed_auth)
        self.dropcopy_config = (
            DropCopyConfig(
                comp_id=settings.dropcopy_comp_id,
                counterparties=parse_counterparties(settings.dropcopy_counterparties),
                host=settings.host,
                port=settings.dropcopy_port,
                store_url=settings.resolved_fix_store_url(),
            )
            if settings.dropcopy_port >= 0
            else None
        )
        self._fix = fix
        self.publisher: JetStreamPublisher | None = None
        self.grpc: GrpcFeedServer | None = None
        self.dropcopy: DropCopyServer | None = None
        self._nats: NATS | None = None
        self._publisher_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the feed store; start the publisher, gRPC and drop copy as configured."""
        await self.store.start()
        try:
            if self.settings.nats_url:
                await self._start_publisher(self.settings.nats_url)
            if self.settings.grpc_port >= 0:
                self.grpc = await start_grpc_server(
                    self.feed, self.authenticate, self.settings.host, self.settings.grpc_port
                )
            if self.dropcopy_config is not None:
                self.dropcopy = await start_drop_copy(
                    self.feed, self.dropcopy_config, registry=self._fix
                )
        except BaseException:
            await self.stop()
            raise

    async def _start_publisher(self, url: str) -> None:
        servers = [u.strip() for u in url.split(",") if u.strip()]
        self._nats = await nats.connect(servers=servers, max_reconnect_attempts=-1)
        self.publisher = JetStreamPublisher(self.feed, self._nats.jetstream(), metrics=self.metrics)
        await self.publisher.start()  # the stream exists before anyone reads it
        self._publisher_task = asyncio.create_task(self.publisher.run(), name="publisher")
        log.info("publishing the feed to JetStream", servers=servers)

    async def stop(self) -> None:
        """Stop everything (nothing is lost: the publisher resumes from the stream)."""
        if self.dropcopy is not None:
            await self.dropcopy.stop()
            self.dropcopy = None
        if self.grpc is not None:
            await self.grpc.stop(grace=1)
            self.grpc = None
        if self._publisher_task is not None:
            self._publisher_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher_task
            self._publisher_task = None
        if self._nats is not None:
            await self._nats.drain()
            self._nats = None
        await self.store.close()
