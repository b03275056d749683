"""``ordergate demo --script``: a short session against a running server, over HTTP.

Places a market order and a limit order, modifies the limit order, cancels it, trades over
FIX and on the simulated Alpaca and Binance APIs, then prints the brokers' health, the
blotter and the positions, exactly as a client program would.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

__all__ = ["run_script"]

_FINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}


async def _until(
    client: httpx.AsyncClient, order_id: str, statuses: set[str], timeout_s: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        order: dict[str, Any] = (await client.get(f"/api/orders/{order_id}")).json()
        if order["status"] in statuses or time.monotonic() > deadline:
            return order
        await asyncio.sleep(0.02)


def _line(order: dict[str, Any]) -> str:
    return (
        f"{order['id']:<26} {order['symbol']:<8} {order['side']:<4} {order['order_type']:<6} "
        f"{order['quantity']:>8} {order['price'] or '-':>10} {order['status']:<16} "
        f"{order['filled_quantity']:>8} {order['average_fill_price'] or '-':>12}"
    )


async def _print_fix_messages(client: httpx.AsyncClient, order_id: str) -> None:
    sessions = (await client.get("/api/fix/sessions")).json()["items"]
    for session in sessions:
        if session["role"] != "initiator":
            continue
        print(
            f"   FIX session {session['session_id']}: {session['state']}, next seq out "
            f"{session['next_sender_seq']} / in {session['next_target_seq']}"
        )
        messages = (
            await client.get(
                f"/api/fix/sessions/{quote(session['session_id'], safe='')}/messages",
                params={"cl_ord_id": order_id},
            )
        ).json()["items"]
        for message in messages:
            print(f"   {message['direction']:>3} {message['raw']}")


async def run_script(url: str, account: str = "DEMO") -> None:
    """Run the demo session against the server at ``url`` and print what happened."""
    tag = f"{time.time_ns() // 1_000_000:x}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        print("1. market order: BUY 10 AAPL")
        market = await client.post(
            "/api/orders",
            json={
                "client_order_id": f"demo-mkt-{tag}",
                "account": account,
                "symbol": "AAPL",
                "side": "BUY",
                "order_type": "MARKET",
                "quantity": "10",
                "time_in_force": "IOC",
            },
        )
        market.raise_for_status()
        filled = await _until(client, market.json()["id"], _FINAL)
        print(f"   -> {filled['status']} at {filled['average_fill_price']}")
        reference = Decimal(filled["average_fill_price"] or "190")
        price = (reference * Decimal("0.98")).quantize(Decimal("0.01"))

        print(f"2. limit order: BUY 5 AAPL at {price} (below the market, so it rests)")
        limit = await client.post(
            "/api/orders",
            json={
                "client_order_id": f"demo-lmt-{tag}",
                "account": account,
                "symbol": "AAPL",
                "side": "BUY",
                "order_type": "LIMIT",
                "quantity": "5",
                "price": str(price),
                "time_in_force": "GTC",
            },
        )
        limit.raise_for_status()
        order_id = limit.json()["id"]
        resting = await _until(client, order_id, {"NEW"} | _FINAL)
        print(f"   -> {resting['status']} (venue order id {resting['venue_order_id']})")

        lower = price - Decimal("0.50")
        print(f"3. modify: quantity 8, price {lower}")
        (await client.put(f"/api/orders/{order_id}", json={"quantity": "8", "price": str(lower)}))
        modified = await _until(client, order_id, {"NEW", "PARTIALLY_FILLED"} | _FINAL)
        print(f"   -> {modified['status']}: {modified['quantity']} @ {modified['price']}")

        print("4. cancel")
        await client.delete(f"/api/orders/{order_id}")
        canceled = await _until(client, order_id, _FINAL)
        print(f"   -> {canceled['status']}")

        print("5. over FIX: BUY 20 MSFT at market on venue FIXSIM (a real FIX 4.4 session)")
        fix_order = await client.post(
            "/api/orders",
            json={
                "client_order_id": f"demo-fix-{tag}",
                "account": account,
                "symbol": "MSFT",
                "side": "BUY",
                "order_type": "MARKET",
                "quantity": "20",
                "time_in_force": "IOC",
                "venue": "FIXSIM",
            },
        )
        fix_order.raise_for_status()
        over_fix = await _until(client, fix_order.json()["id"], _FINAL)
        print(f"   -> {over_fix['status']} at {over_fix['average_fill_price']}")
        await _print_fix_messages(client, over_fix["id"])

        brokers = {b["id"]: b for b in (await client.get("/api/brokers")).json()["items"]}
        step = 6
        for venue, symbol, quantity, tif, how in (
            ("ALPACA", "SPY", "3", "DAY", "the Alpaca adapter over alpaca-py"),
            ("BINANCE", "BTC-USD", "0.01", "IOC", "the ccxt adapter, Binance's API"),
        ):
            if venue not in brokers:
                continue
            print(f"{step}. BUY {quantity} {symbol} at market on {venue} ({how}, simulated)")
            step += 1
            placed = await client.post(
                "/api/orders",
                json={
                    "client_order_id": f"demo-{venue.lower()}-{tag}",
                    "account": account,
                    "symbol": symbol,
                    "side": "BUY",
                    "order_type": "MARKET",
                    "quantity": quantity,
                    "time_in_force": tif,
                    "venue": venue,
                },
            )
            placed.raise_for_status()
            done = await _until(client, placed.json()["id"], _FINAL)
            print(
                f"   -> {done['status']} at {done['average_fill_price']} "
                f"(venue order id {done['venue_order_id']}, fees {done['fees']} "
                f"{done['fee_currency']})"
            )

        print("\nBrokers")
        health = {c["broker"]: c for c in (await client.get("/api/connections")).json()["items"]}
        for broker in (await client.get("/api/brokers")).json()["items"]:
            connection = health.get(broker["id"], {})
            p99 = connection.get("heartbeat_p99_ns")
            latency = f"{p99 / 1e6:.2f} ms" if p99 else "-"
            print(
                f"{broker['id']:<8} {broker['kind']:<7} {broker['state']:<12} "
                f"breaker {broker['breaker']:<9} heartbeat p99 {latency}"
            )

        print("\nBlotter (latest first)")
        header = (
            f"{'id':<26} {'symbol':<8} {'side':<4} {'type':<6} {'qty':>8} {'price':>10} "
            f"{'status':<16} {'filled':>8} {'avg price':>12}"
        )
        print(header)
        orders = (await client.get("/api/orders", params={"account": account, "limit": 10})).json()
        for order in orders["items"]:
            print(_line(order))

        print("\nPositions")
        for position in (await client.get("/api/positions", params={"account": account})).json()[
            "items"
        ]:
            print(
                f"{position['account']:<8} {position['symbol']:<8} qty {position['quantity']:>8}"
                f"  avg {position['average_price']}  realized {position['realized_pnl']}"
                f"  unrealized {position['unrealized_pnl']} (mark {position['mark_price']})"
            )

        print("\nExecution feed")
        page = (
            await client.get(
                "/api/feed/events", params={"from": 0, "limit": 1000, "account": account}
            )
        ).json()
        kinds: dict[str, int] = {}
        for event in page["items"]:
            kinds[event["type"]] = kinds.get(event["type"], 0) + 1
        print(
            f"{len(page['items'])} events of {account}: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        )
        print(
            f"resume any stream after position {page['next_from']}: "
            f"/ws/feed?from={page['next_from']}, /api/feed/sse (Last-Event-ID), gRPC, drop copy"
        )
