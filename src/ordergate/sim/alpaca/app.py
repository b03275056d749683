"""The simulated Alpaca trading API as an ASGI application: Alpaca's v2 paths on the broker.

Every ``/v2`` request goes through :func:`_endpoint`: an armed rate-limit fault answers 429
first, then the API key headers are checked (401), then the handler runs; an
:class:`~ordergate.sim.alpaca.checks.AlpacaApiError` becomes Alpaca's error JSON, and the
trade updates the request caused are published on the stream before the answer is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from ordergate.clock import Clock
from ordergate.sim.alpaca.auth import KEY_HEADER, SECRET_HEADER, Credentials
from ordergate.sim.alpaca.broker import AlpacaBroker
from ordergate.sim.alpaca.checks import (
    CODE_INTERNAL,
    CODE_INVALID,
    CODE_MALFORMED,
    CODE_NOT_FOUND,
    CODE_RATE_LIMITED,
    AlpacaApiError,
)
from ordergate.sim.alpaca.faults import Faults, InjectedFault, Operation
from ordergate.sim.alpaca.records import AlpacaOrder
from ordergate.sim.alpaca.schemas import (
    ActivityJson,
    CancelResultJson,
    ErrorJson,
    OrderBody,
    ReplaceBody,
)
from ordergate.sim.alpaca.stream import StreamHub, serve_stream
from ordergate.sim.alpaca.views import account_json, asset_json, clock_json, position_json

__all__ = ["AlpacaSim", "create_app"]

_T = TypeVar("_T")
_Handler = Callable[[Request], Awaitable[Response]]
_MAX_ORDERS = 500
_MAX_PAGE = 100


class AlpacaSim:
    """Everything the API serves: the broker, the clock, keys, faults and the stream hub."""

    def __init__(
        self, broker: AlpacaBroker, clock: Clock, credentials: Credentials, faults: Faults
    ) -> None:
        self.broker = broker
        self.clock = clock
        self.credentials = credentials
        self.faults = faults
        self.hub = StreamHub()
        self.created_ns = clock.now_ns()
        self.stopping = asyncio.Event()

    def publish(self) -> None:
        """Send the trade updates the broker produced since the last call to the stream."""
        self.hub.publish(self.broker.take_events())


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


def _error(error: AlpacaApiError, headers: dict[str, str] | None = None) -> Response:
    body = msgspec.json.encode(ErrorJson(error.code, error.message))
    return Response(body, error.status, headers=headers, media_type="application/json")


class _CutConnection(Response):
    """An answer that starts, then loses its connection (the drop-connection fault)."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id":', "more_body": True})
        # Raising after the answer started makes the server close the connection mid-body.
        raise InjectedFault("fault injected: connection cut mid-answer")


def _endpoint(sim: AlpacaSim, handler: _Handler) -> _Handler:
    async def endpoint(request: Request) -> Response:
        if sim.faults.take_rate_limit():
            limited = AlpacaApiError(429, CODE_RATE_LIMITED, "rate limit exceeded")
            return _error(limited, {"Retry-After": str(sim.faults.retry_after_s)})
        headers = request.headers
        try:
            sim.credentials.check(headers.get(KEY_HEADER), headers.get(SECRET_HEADER))
            return await handler(request)
        except AlpacaApiError as e:
            return _error(e)
        finally:
            sim.publish()

    return endpoint


def _decode(body: bytes, kind: type[_T]) -> _T:
    malformed = AlpacaApiError(400, CODE_MALFORMED, "request body format is invalid")
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as e:
        # Typed decoding stops at the first wrong type; broken JSON later on is still a 400.
        try:
            msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise malformed from None
        raise AlpacaApiError(422, CODE_INVALID, str(e)) from None
    except msgspec.DecodeError:
        raise malformed from None


def _time_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise AlpacaApiError(422, CODE_INVALID, f"invalid {name} {raw!r}") from None
    if moment.tzinfo is None:
        raise AlpacaApiError(422, CODE_INVALID, f"{name} needs a time zone")
    return moment


def _int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= maximum:
        raise AlpacaApiError(422, CODE_INVALID, f"{name} must be 1 to {maximum}")
    return int(raw)


def _direction(request: Request) -> bool:
    """Return True for newest first (Alpaca's default)."""
    direction = request.query_params.get("direction", "desc")
    if direction not in ("asc", "desc"):
        raise AlpacaApiError(422, CODE_INVALID, f"invalid direction {direction!r}")
    return direction == "desc"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def create_app(sim: AlpacaSim) -> Starlette:
    """Return the ASGI application of the simulated Alpaca trading API over ``sim``."""
    broker = sim.broker
    now = sim.clock.now_ns

    async def post_order(request: Request) -> Response:
        return await faulty("submit", lambda: order_answer(submit(request)))

    async def submit(request: Request) -> AlpacaOrder:
        return broker.submit(_decode(await request.body(), OrderBody), now())

    async def order_answer(order: Awaitable[AlpacaOrder]) -> Response:
        return _json((await order).to_json())

    async def faulty(operation: Operation, act: Callable[[], Awaitable[Response]]) -> Response:
        if sim.faults.take_failure(operation):
            raise AlpacaApiError(500, CODE_INTERNAL, "internal server error")
        answer = await act()
        sim.publish()
        if sim.faults.take_drop(operation):
            return _CutConnection()
        delay = sim.faults.take_delay(operation)
        if delay is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sim.stopping.wait(), delay)
        return answer

    async def list_orders(request: Request) -> Response:
        status = request.query_params.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise AlpacaApiError(422, CODE_INVALID, f"invalid status {status!r}")
        limit = _int_param(request, "limit", 50, _MAX_ORDERS)
        after, until = _time_param(request, "after"), _time_param(request, "until")
        symbols = request.query_params.get("symbols")
        wanted = None if symbols is None else set(symbols.split(","))

        def keep(order: AlpacaOrder) -> bool:
            if status != "all" and order.is_open != (status == "open"):
                return False
            if wanted is not None and order.symbol not in wanted:
                return False
            submitted = _when(order.to_json().submitted_at)
            return (after is None or submitted > after) and (until is None or submitted < until)

        orders = [o for o in broker.orders() if keep(o)]
        if _direction(request):
            orders.reverse()
        return _json([o.to_json() for o in orders[:limit]])

    async def order_by_client_id(request: Request) -> Response:
        client_order_id = request.query_params.get("client_order_id")
        if not client_order_id:
            raise AlpacaApiError(422, CODE_INVALID, "client_order_id is required")
        return _json(broker.order_by_client_id(client_order_id).to_json())

    async def get_order(request: Request) -> Response:
        return _json(broker.order(request.path_params["order_id"]).to_json())

    async def replace_order(request: Request) -> Response:
        return await faulty("replace", lambda: order_answer(replace(request)))

    async def replace(request: Request) -> AlpacaOrder:
        body = _decode(await request.body(), ReplaceBody)
        return broker.replace(request.path_params["order_id"], body, now())

    async def cancel_order(request: Request) -> Response:
        return await faulty("cancel", lambda: cancel(request))

    async def cancel(request: Request) -> Response:
        broker.cancel(request.path_params["order_id"], now())
        return Response(status_code=204)

    async def cancel_all(request: Request) -> Response:
        canceled = broker.cancel_all(now())
        return _json([CancelResultJson(o.id, 200, o.to_json()) for o in canceled], 207)

    async def positions(request: Request) -> Response:
        return _json([position_json(broker, p) for p in broker.ledger.positions()])

    async def position(request: Request) -> Response:
        held = broker.ledger.position(request.path_params["symbol"])
        if held is None:
            raise AlpacaApiError(404, CODE_NOT_FOUND, "position does not exist")
        return _json(position_json(broker, held))

    async def account(request: Request) -> Response:
        return _json(account_json(broker, sim.created_ns))

    async def activities(request: Request) -> Response:
        kinds = request.path_params.get("activity_type") or request.query_params.get(
            "activity_types", "FILL"
        )
        after, until = _time_param(request, "after"), _time_param(request, "until")
        page_size = _int_param(request, "page_size", _MAX_PAGE, _MAX_PAGE)
        newest_first = _direction(request)
        token = request.query_params.get("page_token")

        def keep(activity: ActivityJson) -> bool:
            moment = _when(activity.transaction_time)
            if after is not None and moment <= after:
                return False
            return until is None or moment < until

        found = [a for a in broker.activities() if "FILL" in kinds.split(",") and keep(a)]
        if newest_first:
            found.reverse()
        if token is not None:
            # The page after the token's activity, by position: ids of one millisecond tie.
            ids = [a.id for a in found]
            found = found[ids.index(token) + 1 :] if token in ids else []
        return _json(found[:page_size])

    async def clock(request: Request) -> Response:
        return _json(clock_json(now()))

    async def assets(request: Request) -> Response:
        status = request.query_params.get("status", "active")
        asset_class = request.query_params.get("asset_class", "us_equity")
        if status != "active" or asset_class != "us_equity":
            return _json([])
        return _json([asset_json(broker, s) for s in sorted(broker.symbols)])

    async def asset(request: Request) -> Response:
        symbol = request.path_params["symbol"]
        if symbol not in broker.symbols:
            raise AlpacaApiError(404, CODE_NOT_FOUND, "asset not found")
        return _json(asset_json(broker, symbol))

    async def stream(websocket: WebSocket) -> None:
        await serve_stream(websocket, sim.hub, sim.credentials)

    def route(path: str, handler: _Handler, *methods: str) -> Route:
        return Route(path, _endpoint(sim, handler), methods=list(methods))

    routes = [
        route("/v2/orders", post_order, "POST"),
        route("/v2/orders", list_orders, "GET"),
        route("/v2/orders", cancel_all, "DELETE"),
        route("/v2/orders:by_client_order_id", order_by_client_id, "GET"),
        route("/v2/orders/{order_id}", get_order, "GET"),
        route("/v2/orders/{order_id}", replace_order, "PATCH"),
        route("/v2/orders/{order_id}", cancel_order, "DELETE"),
        route("/v2/positions", positions, "GET"),
        route("/v2/positions/{symbol}", position, "GET"),
        route("/v2/account", account, "GET"),
        route("/v2/account/activities", activities, "GET"),
        route("/v2/account/activities/{activity_type}", activities, "GET"),
        route("/v2/clock", clock, "GET"),
        route("/v2/assets", assets, "GET"),
        route("/v2/assets/{symbol}", asset, "GET"),
        WebSocketRoute("/stream", stream),
    ]
    return Starlette(routes=routes)
