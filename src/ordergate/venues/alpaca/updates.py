"""The trade updates stream through alpaca-py's ``TradingStream``, on the caller's loop.

``TradingStream.run()`` starts its own event loop with ``asyncio.run``; the adapter runs the
same coroutine (``_run_forever``) as a task on its own loop instead, so updates arrive
without a thread. alpaca-py does not expose the ``listening`` acknowledgement, which is what
tells that updates will now flow; :class:`TradeUpdates` sees it on the way through and sets
:attr:`TradeUpdates.listening`. alpaca-py reconnects by itself after a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.alpaca.library import TradingStream

__all__ = ["TradeUpdates"]

Handler = Callable[[Any], Awaitable[None]]


class _Stream(TradingStream):
    def __init__(self, config: AlpacaVenueConfig, listening: asyncio.Event) -> None:
        super().__init__(
            config.key_id,
            config.secret_key,
            paper=config.paper,
            raw_data=True,
            url_override=config.trade_stream_url(),
        )
        self._listening = listening

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("stream") == "listening":
            self._listening.set()
        await super()._dispatch(msg)

    async def _start_ws(self) -> None:
        self._listening.clear()  # a reconnect listens afresh
        await super()._start_ws()  # type: ignore[no-untyped-call]


class TradeUpdates:
    """One trade updates subscription.

    Parameters
    ----------
    config
        The account and its stream endpoint.
    handler
        Coroutine called with each raw ``trade_updates`` message (the decoded JSON).
    """

    def __init__(self, config: AlpacaVenueConfig, handler: Handler) -> None:
        self.listening = asyncio.Event()
        self._stream = _Stream(config, self.listening)
        self._stream.subscribe_trade_updates(handler)
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout_s: float) -> bool:
        """Connect and listen; return True once listening, False after ``timeout_s``."""
        if self._task is None:
            self._task = asyncio.create_task(
                self._stream._run_forever(),  # type: ignore[no-untyped-call]
                name="alpaca-updates",
            )
        try:
            await asyncio.wait_for(self.listening.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        await self._stream.stop_ws()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._stream.close()
