"""Durable named subscriptions over HTTP: the server keeps each subscriber's cursor.

A subscriber creates ``fills`` once, then repeatedly reads the matching events after its
stored cursor (``GET .../events``, which moves nothing), processes them and acknowledges
the page's ``next_from`` (``POST .../ack``). A crash between the read and the ack repeats
the page, never skips it: delivery is at least once, in position order.

Every route authenticates (``Authorization: Bearer <token>`` or ``?token=``). A
subscription belongs to the principal that made it: its name is unique per principal, and
another principal's subscription is simply not found (404), never forbidden, so names do
not leak. Its filter is narrowed to the principal's accounts when it is made and again on
every read.

Status: ``cursor`` (last acknowledged position), ``head`` (newest position in the log) and
``lag_positions`` (head - cursor: an upper bound on the pending events, since positions of
other accounts and types count too). ``GET /api/subscriptions/{name}`` also reads the
oldest pending matching event and gives ``lag_seconds`` from its ``ts_event`` to now (0
when none is pending, null when it was not found within one bounded read of the log).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ordergate.api.body import decode_body, request_body_doc
from ordergate.api.errors import ApiError
from ordergate.api.feed import limit_param
from ordergate.api.orders import json_response
from ordergate.api.schemas import iso
from ordergate.clock import Clock, LiveClock
from ordergate.feed.access import AccessDenied, Authenticate, Principal
from ordergate.feed.auth import request_token
from ordergate.feed.filters import FeedFilter, FilterError, parse_filter
from ordergate.feed.source import FeedSource
from ordergate.feed.store import (
    DurableSubscription,
    FeedStore,
    InvalidFeedName,
    PositionBeyondHead,
    SubscriptionExists,
    SubscriptionNotFound,
    check_name,
)

__all__ = ["AckRequest", "SubscriptionRequest", "subscriptions_router"]


Values = str | list[str] | None


class SubscriptionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of POST /api/subscriptions.

    Filters are as on ``/api/feed/events``: each a comma-separated string or a list; absent
    means all. ``from`` is the position to deliver after, or ``"head"`` (the default: only
    events appended from now on).
    """

    name: str
    account: Values = None
    portfolio: Values = None
    strategy: Values = None
    symbol: Values = None
    venue: Values = None
    types: Values = None
    start: int | Literal["head"] = msgspec.field(name="from", default="head")


class AckRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of POST /api/subscriptions/{name}/ack: every event up to ``position`` is done."""

    position: int


def _filter_json(filter: FeedFilter) -> dict[str, list[str]]:
    return {
        "account": sorted(filter.accounts),
        "portfolio": sorted(filter.portfolios),
        "strategy": sorted(filter.strategies),
        "symbol": sorted(filter.symbols),
        "venue": sorted(filter.venues),
        "types": sorted(filter.types),
    }


def subscription_json(subscription: DurableSubscription, head: int) -> dict[str, Any]:
    """Return the API form of a subscription and its cheap status."""
    return {
        "name": subscription.name,
        "filter": _filter_json(subscription.filter),
        "cursor": subscription.cursor,
        "head": head,
        "lag_positions": max(0, head - subscription.cursor),
        "created_at": iso(subscription.created_ns),
        "updated_at": iso(subscription.updated_ns),
    }


def _position(value: int, field: str) -> int:
    if value < 0:
        raise ApiError(
            422, "INVALID_POSITION", f"{field} must be a non-negative integer, not {value}", field
        )
    return value


def _name(name: str) -> str:
    try:
        return check_name(name)
    except InvalidFeedName as e:
        raise ApiError(422, "INVALID_NAME", e.message, "name") from None


def _filter(body: SubscriptionRequest) -> FeedFilter:
    try:
        return parse_filter(
            accounts=body.account,
            portfolios=body.portfolio,
            strategies=body.strategy,
            symbols=body.symbol,
            venues=body.venue,
            types=body.types,
        )
    except FilterError as e:
        code = "UNKNOWN_EVENT_TYPE" if e.field == "types" else "INVALID_FILTER"
        raise ApiError(422, code, e.message, e.field) from None


def _not_found(name: str) -> ApiError:
    return ApiError(404, "SUBSCRIPTION_NOT_FOUND", f"no subscription is named {name!r}", "name")


@contextmanager
def _access() -> Iterator[None]:
    try:
        yield
    except AccessDenied as e:
        code = "UNAUTHENTICATED" if e.status == 401 else "FORBIDDEN"
        raise ApiError(e.status, code, e.message, None if e.status == 401 else "account") from None


def subscriptions_router(
    feed: FeedSource, store: FeedStore, authenticate: Authenticate, *, clock: Clock | None = None
) -> APIRouter:
    """Return the routes under ``/api/subscriptions``.

    Parameters
    ----------
    feed
        Where events are read from (and the head).
    store
        The started feed store holding the subscriptions.
    authenticate
        Turns a request's token (None: none given) into a principal, raising
        :class:`~ordergate.feed.access.AccessDenied`: a
        :class:`~ordergate.feed.auth.FeedAuthenticator`.
    clock
        Tells ``lag_seconds``'s "now" (default: the wall clock).
    """
    now: Clock = clock or LiveClock()
    router = APIRouter(prefix="/api/subscriptions", tags=["feed"])

    async def caller(request: Request) -> Principal:
        with _access():
            return await authenticate(request_token(request.headers, request.query_params))

    async def owned(principal: Principal, name: str) -> tuple[DurableSubscription, FeedFilter]:
        subscription = await store.subscription(principal.name, _name(name))
        if subscription is None:
            raise _not_found(name)
        with _access():
            return subscription, principal.restrict(subscription.filter)

    @router.post("", status_code=201, openapi_extra=request_body_doc(SubscriptionRequest))
    async def create_subscription(request: Request) -> Response:
        """Create a durable subscription for the caller (409 if the name is taken)."""
        principal = await caller(request)
        body = await decode_body(request, SubscriptionRequest)
        name = _name(body.name)
        with _access():
            chosen = principal.restrict(_filter(body))
        head = await feed.head()
        start = head if body.start == "head" else _position(body.start, "from")
        try:
            subscription = await store.create_subscription(
                principal.name, name, chosen, start, head=head
            )
        except SubscriptionExists as e:
            raise ApiError(409, "SUBSCRIPTION_EXISTS", str(e), "name") from None
        except PositionBeyondHead as e:
            raise ApiError(422, "POSITION_BEYOND_HEAD", str(e), "from") from None
        return json_response(subscription_json(subscription, head), 201)

    @router.get("")
    async def list_subscriptions(request: Request) -> Response:
        """List the caller's subscriptions with their cursor, the head and the lag."""
        principal = await caller(request)
        subscriptions = await store.subscriptions(principal.name)
        head = await feed.head()
        items = [subscription_json(s, head) for s in subscriptions]
        return json_response({"items": items, "next_cursor": None})

    @router.get("/{name}")
    async def get_subscription(request: Request, name: str) -> Response:
        """Return one subscription's status, with its oldest pending event and lag_seconds."""
        principal = await caller(request)
        subscription, chosen = await owned(principal, name)
        head = await feed.head()
        page = await feed.read(chosen, subscription.cursor, 1)
        body = subscription_json(subscription, head)
        if page.items:
            oldest = page.items[0]
            body["oldest_pending"] = {"position": oldest.position, "ts_event": oldest.ts_event}
            body["lag_seconds"] = max(0, now.now_ns() - oldest.ts_event) / 1e9
        else:
            body["oldest_pending"] = None
            body["lag_seconds"] = 0.0 if page.next_from >= head else None
        return json_response(body)

    @router.delete("/{name}")
    async def delete_subscription(request: Request, name: str) -> Response:
        """Delete one of the caller's subscriptions."""
        principal = await caller(request)
        if not await store.delete_subscription(principal.name, _name(name)):
            raise _not_found(name)
        return json_response({"name": name, "deleted": True})

    @router.get("/{name}/events")
    async def subscription_events(request: Request, name: str) -> Response:
        """Return up to ``limit`` matching events after the cursor; the cursor stays put.

        Acknowledge ``next_from`` once the items are processed: it is the last position
        examined, so it moves past non-matching events even when ``items`` is empty.
        """
        principal = await caller(request)
        limit = limit_param(request.query_params.get("limit"))
        subscription, chosen = await owned(principal, name)
        page = await feed.read(chosen, subscription.cursor, limit)
        return json_response(
            {
                "items": [e.to_json() for e in page.items],
                "next_from": page.next_from,
                "cursor": subscription.cursor,
            }
        )

    @router.post("/{name}/ack", openapi_extra=request_body_doc(AckRequest))
    async def ack_subscription(request: Request, name: str) -> Response:
        """Move the cursor forward to ``position`` (at or below it: no change, 200)."""
        principal = await caller(request)
        body = await decode_body(request, AckRequest)
        position = _position(body.position, "position")
        await owned(principal, name)
        head = await feed.head()
        try:
            subscription, advanced = await store.ack(principal.name, name, position, head=head)
        except PositionBeyondHead as e:
            raise ApiError(422, "POSITION_BEYOND_HEAD", str(e), "position") from None
        except SubscriptionNotFound:  # deleted since it was looked up
            raise _not_found(name) from None
        return json_response({**subscription_json(subscription, head), "advanced": advanced})

    return router
