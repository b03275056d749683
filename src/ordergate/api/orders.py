"""Order routes: place, list, read, modify, cancel, batch, cancel-all, fills, audit trail."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ordergate.api.body import decode_body, request_body_doc
from ordergate.api.errors import ApiError, from_order_error, from_validation_error
from ordergate.api.schemas import (
    BatchRequest,
    CancelAllRequest,
    ModifyRequest,
    OrderRequest,
    fill_json,
    iso,
    order_json,
)
from ordergate.domain.commands import CancelOrder
from ordergate.domain.errors import OrderError
from ordergate.domain.order import Order
from ordergate.domain.values import OrderStatus, Side
from ordergate.oms.service import OrderManager

__all__ = ["orders_router"]

_SORTS = {"created_at", "-created_at", "updated_at", "-updated_at"}


def json_response(content: Any, status: int = 200) -> Response:
    """Return a JSON response encoded by msgspec (Decimals as strings)."""
    return Response(msgspec.json.encode(content), status, media_type="application/json")


def _oms(request: Request) -> OrderManager:
    oms: OrderManager = request.app.state.oms
    return oms


def _encode_cursor(sort_value: int, order_id: str) -> str:
    raw = msgspec.json.encode([sort_value, order_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, order_id = msgspec.json.decode(raw, type=tuple[int, str])
    except (ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise ApiError(
            422, "INVALID_FIELD", "cursor is not one this API issued", "cursor"
        ) from None
    return value, order_id


def _time_param(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "INVALID_FIELD", f"{field} is not a timestamp", field) from None
    if parsed.tzinfo is None:
        raise ApiError(422, "INVALID_FIELD", f"{field} needs a time zone", field)
    return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1_000


def _enum_list(value: str | None, kind: type[OrderStatus] | type[Side], field: str) -> set[Any]:
    if value is None:
        return set()
    try:
        return {kind(v.strip().upper()) for v in value.split(",") if v.strip()}
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise ApiError(422, "INVALID_FIELD", f"{field} must be among {names}", field) from None


orders_router = APIRouter(prefix="/api/orders", tags=["orders"])


@orders_router.post("", openapi_extra=request_body_doc(OrderRequest), status_code=201)
async def place_order(request: Request) -> Response:
    """Place an order: 201 when created, 200 when the same request was already placed."""
    body = await decode_body(request, OrderRequest)
    try:
        command = body.command()
    except msgspec.ValidationError as e:
        raise from_validation_error(e) from None
    result = await _oms(request).submit(command)
    return json_response(order_json(result.order), 201 if result.created else 200)


@orders_router.post("/batch", openapi_extra=request_body_doc(BatchRequest))
async def place_batch(request: Request) -> Response:
    """Place several orders; each gets its own status and body, in request order."""
    body = await decode_body(request, BatchRequest)
    oms = _oms(request)
    results: list[dict[str, Any]] = []
    for item in body.orders:
        try:
            result = await oms.submit(item.command())
            status = 201 if result.created else 200
            results.append({"status": status, "order": order_json(result.order)})
        except OrderError as e:
            error = from_order_error(e)
            results.append({"status": error.status, **error.body()})
        except msgspec.ValidationError as e:
            error = from_validation_error(e)
            results.append({"status": error.status, **error.body()})
    return json_response({"items": results})


@orders_router.post("/cancel-all", openapi_extra=request_body_doc(CancelAllRequest))
async def cancel_all(request: Request) -> Response:
    """Cancel every open order matching the filters; return the orders asked to cancel."""
    body = await decode_body(request, CancelAllRequest)
    orders = await _oms(request).cancel_all(body.command())
    return json_response({"items": [order_json(o) for o in orders], "next_cursor": None})


@orders_router.get("")
async def list_orders(
    request: Request,
    status: str | None = None,
    symbol: str | None = None,
    side: str | None = None,
    account: str | None = None,
    venue: str | None = None,
    created_from: str | None = None,
    created_to: str | None = None,
    sort: str = "-created_at",
    limit: int = 100,
    cursor: str | None = None,
) -> Response:
    """List orders, filtered, sorted and paginated with an opaque cursor."""
    if sort not in _SORTS:
        raise ApiError(422, "INVALID_FIELD", f"sort must be one of {sorted(_SORTS)}", "sort")
    if not 1 <= limit <= 1000:
        raise ApiError(422, "INVALID_FIELD", "limit must be from 1 to 1000", "limit")
    statuses = _enum_list(status, OrderStatus, "status")
    sides = _enum_list(side, Side, "side")
    start = _time_param(created_from, "created_from")
    end = _time_param(created_to, "created_to")
    descending = sort.startswith("-")
    attribute = sort.lstrip("-")

    def keep(order: Order) -> bool:
        return (
            (not statuses or order.status in statuses)
            and (not sides or order.side in sides)
            and (symbol is None or order.symbol == symbol)
            and (account is None or order.account == account)
            and (venue is None or order.venue == venue)
            and (start is None or order.created_at >= start)
            and (end is None or order.created_at < end)
        )

    def key(order: Order) -> tuple[int, str]:
        return (getattr(order, attribute), order.id)

    selected = sorted(
        (o for o in _oms(request).projections.orders.values() if keep(o)),
        key=key,
        reverse=descending,
    )
    if cursor is not None:
        after = _decode_cursor(cursor)
        selected = [o for o in selected if (key(o) < after if descending else key(o) > after)]
    page = selected[:limit]
    next_cursor = _encode_cursor(*key(page[-1])) if len(selected) > limit else None
    return json_response({"items": [order_json(o) for o in page], "next_cursor": next_cursor})


@orders_router.get("/{order_id}")
async def get_order(request: Request, order_id: str) -> Response:
    """Return one order."""
    return json_response(order_json(_oms(request).get(order_id)))


@orders_router.put("/{order_id}", openapi_extra=request_body_doc(ModifyRequest))
async def modify_order(request: Request, order_id: str) -> Response:
    """Change an order's quantity, price, stop price or time in force (a cancel/replace)."""
    body = await decode_body(request, ModifyRequest)
    try:
        command = body.command(order_id)
    except msgspec.ValidationError as e:
        raise from_validation_error(e) from None
    return json_response(order_json(await _oms(request).modify(command)))


@orders_router.delete("/{order_id}")
async def cancel_order(request: Request, order_id: str) -> Response:
    """Ask the venue to cancel an order; the answer arrives as events."""
    order = await _oms(request).cancel(CancelOrder(order_id=order_id))
    return json_response(order_json(order))


@orders_router.get("/{order_id}/fills")
async def order_fills(request: Request, order_id: str) -> Response:
    """Return an order's fills, oldest first."""
    oms = _oms(request)
    oms.get(order_id)
    fills = oms.projections.fills.get(order_id, [])
    return json_response({"items": [fill_json(f) for f in fills], "next_cursor": None})


@orders_router.get("/{order_id}/events")
async def order_events(request: Request, order_id: str) -> Response:
    """Return an order's audit trail: every event, with its global log position and hash."""
    items = []
    for record, event in await _oms(request).order_events(order_id):
        items.append(
            {
                "position": record.position,
                "version": record.version,
                "type": record.type,
                "time": iso(record.ts),
                "hash": record.hash.hex(),
                "data": msgspec.to_builtins(event),
            }
        )
    return json_response({"items": items, "next_cursor": None})
