"""Alpaca's REST API through alpaca-py's ``TradingClient``, off the event loop.

alpaca-py is synchronous (``requests``); every call runs on one worker thread owned by the
adapter, so the event loop never blocks and requests reach Alpaca in the order they were
made (a cancel never overtakes the submit of its order). Two things are changed on the
client, both because the adapter decides them itself:

- alpaca-py retries 429 and 504 answers by resending the request after a fixed sleep; a
  resent POST after a 504 can place a second order, so that is switched off and the
  adapter retries only what it knows is safe;
- ``requests`` waits forever by default; every request gets ``request_timeout_s``.

Answers come back as decoded JSON (``raw_data=True``) because alpaca-py's models hold some
quantities as floats; :mod:`ordergate.venues.alpaca.schemas` takes it from there.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from ordergate.gateway.errors import VenueError
from ordergate.venues.alpaca.config import AlpacaVenueConfig
from ordergate.venues.alpaca.errors import classify
from ordergate.venues.alpaca.library import APIError, TradingClient

__all__ = ["AlpacaRest"]

_T = TypeVar("_T")
_NOT_FOUND = 404


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def send(  # type: ignore[override]
        self, request: PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> Response:
        return super().send(request, timeout=timeout or self._timeout_s, **kwargs)


def _client(config: AlpacaVenueConfig) -> TradingClient:
    client = TradingClient(
        api_key=config.key_id,
        secret_key=config.secret_key,
        paper=config.paper,
        raw_data=True,
        url_override=config.rest_url(),
    )
    # alpaca-py offers no constructor argument for either; both are plain attributes.
    client._retry_codes = []
    adapter = _TimeoutAdapter(config.request_timeout_s)
    client._session.mount("http://", adapter)
    client._session.mount("https://", adapter)
    return client


class AlpacaRest:
    """The REST endpoints the adapter uses, as coroutines raising :class:`VenueError`.

    Parameters
    ----------
    config
        The account and its endpoint.
    """

    def __init__(self, config: AlpacaVenueConfig) -> None:
        self._venue = config.name
        self._client = _client(config)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{config.name}-rest")

    async def close(self) -> None:
        """Finish the request in flight, then close the HTTP session."""
        await asyncio.get_running_loop().run_in_executor(None, self._worker.shutdown)
        self._client._session.close()

    async def submit_order(self, body: Mapping[str, str]) -> Any:
        """POST /v2/orders."""
        return await self._call(self._client.post, "/orders", dict(body))

    async def order_by_client_id(self, client_order_id: str) -> Any | None:
        """GET /v2/orders:by_client_order_id; None when Alpaca has no such order."""
        return await self._maybe(
            self._client.get, "/orders:by_client_order_id", {"client_order_id": client_order_id}
        )

    async def order(self, order_id: str) -> Any | None:
        """GET /v2/orders/{order_id}; None when Alpaca has no such order."""
        return await self._maybe(self._client.get, f"/orders/{order_id}")

    async def orders(self, params: Mapping[str, str]) -> Any:
        """GET /v2/orders."""
        return await self._call(self._client.get, "/orders", dict(params))

    async def replace_order(self, order_id: str, body: Mapping[str, str]) -> Any:
        """PATCH /v2/orders/{order_id}."""
        return await self._call(self._client.patch, f"/orders/{order_id}", dict(body))

    async def cancel_order(self, order_id: str) -> None:
        """DELETE /v2/orders/{order_id}."""
        await self._call(self._client.delete, f"/orders/{order_id}")

    async def fill_activities(self, params: Mapping[str, str]) -> Any:
        """GET /v2/account/activities/FILL."""
        return await self._call(self._client.get, "/account/activities/FILL", dict(params))

    async def account(self) -> Any:
        """GET /v2/account."""
        return await self._call(self._client.get, "/account")

    async def _call(self, method: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._worker, functools.partial(method, *args))
        except (APIError, OSError, ValueError) as e:
            raise classify(e, self._venue) from e

    async def _maybe(self, method: Callable[..., _T], *args: Any) -> _T | None:
        try:
            return await self._call(method, *args)
        except VenueError as e:
            cause = e.__cause__
            if isinstance(cause, APIError) and cause.status_code == _NOT_FOUND:
                return None
            raise
