"""The simulated Binance spot REST API: Binance's paths, parameters, JSON and error codes.

Each route is an :class:`Endpoint`: its weight is charged first (429/418 past the limit,
``X-MBX-USED-WEIGHT-1M`` on every answer), SIGNED ones are checked
(:func:`~ordergate.sim.binance.signing.check_signed`, USER_STREAM ones need only the key),
then the handler runs. A refusal is Binance's ``{"code", "msg"}`` body with its HTTP
status. Order placement honours the armed :class:`~ordergate.sim.binance.faults.Faults`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ordergate.sim.binance.errors import ApiError, ErrorCode, mandatory
from ordergate.sim.binance.ratelimit import ENDPOINT_WEIGHTS
from ordergate.sim.binance.schemas import ExchangeInfo, RateLimitInfo, ServerTime
from ordergate.sim.binance.signing import check_key, check_signed
from ordergate.sim.binance.state import BinanceSim

__all__ = ["TRANSPORT_EXTENSION", "rest_routes"]

# Scope extension under which the server's HTTP protocol exposes the connection's transport,
# so a fault can drop the connection (see ordergate.sim.binance.server).
TRANSPORT_EXTENSION = "ordergate.transport"

_encoder = msgspec.json.Encoder()
_Handler = Callable[[BinanceSim, dict[str, str], Request], Awaitable[Any]]
_PUBLIC, _SIGNED, _USER_STREAM = "public", "signed", "user_stream"


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_encoder.encode(body), status, headers, media_type="application/json")


class Endpoint:
    """One REST endpoint: method, path, security type and handler."""

    def __init__(self, sim: BinanceSim, method: str, path: str, security: str, handler: _Handler):
        self.sim = sim
        self.method = method
        self.path = path
        self.security = security
        self.handler = handler
        self.weight = ENDPOINT_WEIGHTS.get((method, path), 1)

    async def __call__(self, request: Request) -> Response:
        """Serve one request."""
        sim = self.sim
        client = request.client.host if request.client else "?"
        if sim.faults.take_throttle():
            used = sim.limiter.used(client, sim.now_ns())
            return _too_many(429, used, sim.faults.throttle_retry_after_s)
        decision = sim.limiter.charge(client, self.weight, sim.now_ns())
        headers = {"X-MBX-USED-WEIGHT-1M": str(decision.used)}
        if not decision.allowed:
            return _too_many(decision.status, decision.used, decision.retry_after_s)
        query = request.url.query
        body = (await request.body()).decode("latin-1")
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        try:
            api_key = request.headers.get("X-MBX-APIKEY")
            if self.security == _SIGNED:
                check_signed(api_key, query, body, params, sim.credentials, sim.now_ms())
            elif self.security == _USER_STREAM:
                check_key(api_key, sim.credentials)
            answer = await self.handler(sim, params, request)
        except ApiError as e:
            return _json(e.body(), e.status, {**headers, **e.headers})
        if isinstance(answer, Response):
            return answer
        return _json(answer, 200, headers)


def _too_many(status: int, used: int, retry_after_s: int) -> Response:
    if status == 418:
        msg = "Way too much request weight used; IP banned for a while."
    else:
        msg = "Too much request weight used; current limit is exceeded for 1 MINUTE."
    error = ApiError(ErrorCode.TOO_MANY_REQUESTS, msg, status)
    headers = {"Retry-After": str(retry_after_s), "X-MBX-USED-WEIGHT-1M": str(used)}
    return _json(error.body(), status, headers)


async def _ping(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return {}


async def _time(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return ServerTime(serverTime=sim.now_ms())


async def _exchange_info(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    symbols = list(sim.exchange.symbols.values())
    wanted = params.get("symbol")
    if wanted is not None:
        symbols = [s for s in symbols if s.symbol == wanted]
        if not symbols:
            raise ApiError(ErrorCode.BAD_SYMBOL, "Invalid symbol.")
    return ExchangeInfo(
        timezone="UTC",
        serverTime=sim.now_ms(),
        rateLimits=[
            RateLimitInfo(
                rateLimitType="REQUEST_WEIGHT",
                interval="MINUTE",
                intervalNum=1,
                limit=sim.limiter.limit,
            ),
            RateLimitInfo(rateLimitType="ORDERS", interval="SECOND", intervalNum=10, limit=100),
            RateLimitInfo(rateLimitType="ORDERS", interval="DAY", intervalNum=1, limit=200_000),
        ],
        exchangeFilters=[],
        symbols=[s.info() for s in symbols],
    )


def _symbol(sim: BinanceSim, params: dict[str, str]) -> str:
    symbol = params.get("symbol")
    if not symbol:
        raise mandatory("symbol")
    if symbol not in sim.exchange.symbols:
        raise ApiError(ErrorCode.BAD_SYMBOL, "Invalid symbol.")
    return symbol


async def _depth(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    symbol = _symbol(sim, params)
    raw = params.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= 5_000:
        raise mandatory("limit")
    return sim.exchange.depth(symbol, int(raw))


async def _book_ticker(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    if "symbol" in params:
        return sim.exchange.book_ticker(_symbol(sim, params))
    return [sim.exchange.book_ticker(s) for s in sim.exchange.symbols]


async def _new_order(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    faults = sim.faults
    if faults.take_drop_before_place():
        return await _drop(request)
    answer = sim.run(lambda now: sim.exchange.new_order(params, now))
    if faults.take_drop_after_place():
        return await _drop(request)
    if faults.take_delay_after_place():
        # Held back past the client's timeout; cut short when the server stops.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sim.closing.wait(), faults.delay_s)
    return answer


async def _drop(request: Request) -> Response:
    """Abort the TCP connection without an answer (the client sees it drop)."""
    transport = request.scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
    if transport is None:  # pragma: no cover - only when served by another ASGI server
        raise ApiError(
            ErrorCode.UNKNOWN, "An unknown error occurred while processing the request.", 500
        )
    transport.abort()
    await asyncio.sleep(0)  # let the protocol see the connection is gone before any write
    return Response(b"", 500)


async def _cancel_order(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    answer = sim.run(lambda now: sim.exchange.cancel_order(params, now))
    if sim.faults.take_drop_after_cancel():
        return await _drop(request)
    return answer


async def _query_order(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return sim.exchange.query_order(params)


async def _open_orders(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return sim.exchange.open_orders(params)


async def _cancel_open_orders(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return sim.run(lambda now: sim.exchange.cancel_open_orders(params, now))


async def _all_orders(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return sim.exchange.all_orders(params)


async def _my_trades(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return sim.exchange.my_trades(params)


async def _account(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return sim.exchange.account(sim.now_ns())


async def _new_listen_key(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    return {"listenKey": sim.user_streams.create_listen_key()}


async def _keep_listen_key(sim: BinanceSim, params: dict[str, str], request: Request) -> object:
    key = params.get("listenKey")
    if not key:
        raise mandatory("listenKey")
    if key not in sim.user_streams.listen_keys:
        raise ApiError(ErrorCode.INVALID_LISTEN_KEY, "This listenKey does not exist.")
    if request.method == "DELETE":
        sim.user_streams.listen_keys.discard(key)
    return {}


def rest_routes(sim: BinanceSim) -> list[Route]:
    """Return the REST routes of the simulated Binance spot API."""
    table: list[tuple[str, str, str, _Handler]] = [
        ("GET", "/api/v3/ping", _PUBLIC, _ping),
        ("GET", "/api/v3/time", _PUBLIC, _time),
        ("GET", "/api/v3/exchangeInfo", _PUBLIC, _exchange_info),
        ("GET", "/api/v3/depth", _PUBLIC, _depth),
        ("GET", "/api/v3/ticker/bookTicker", _PUBLIC, _book_ticker),
        ("POST", "/api/v3/order", _SIGNED, _new_order),
        ("DELETE", "/api/v3/order", _SIGNED, _cancel_order),
        ("GET", "/api/v3/order", _SIGNED, _query_order),
        ("GET", "/api/v3/openOrders", _SIGNED, _open_orders),
        ("DELETE", "/api/v3/openOrders", _SIGNED, _cancel_open_orders),
        ("GET", "/api/v3/allOrders", _SIGNED, _all_orders),
        ("GET", "/api/v3/myTrades", _SIGNED, _my_trades),
        ("GET", "/api/v3/account", _SIGNED, _account),
        ("POST", "/api/v3/userDataStream", _USER_STREAM, _new_listen_key),
        ("PUT", "/api/v3/userDataStream", _USER_STREAM, _keep_listen_key),
        ("DELETE", "/api/v3/userDataStream", _USER_STREAM, _keep_listen_key),
    ]
    by_path: dict[str, dict[str, Endpoint]] = {}
    for method, path, security, handler in table:
        by_path.setdefault(path, {})[method] = Endpoint(sim, method, path, security, handler)
    return [
        Route(path, _dispatch(methods), methods=list(methods)) for path, methods in by_path.items()
    ]


def _dispatch(methods: dict[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await (methods.get(request.method) or methods["GET"])(request)  # HEAD as GET

    return endpoint
