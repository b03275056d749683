"""The simulator's trade updates WebSocket speaks Alpaca's protocol, and refuses strangers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ordergate.domain.values import Side
from ordergate.sim.alpaca import DEFAULT_KEY_ID, DEFAULT_SECRET_KEY, AlpacaSimServer

AUTH = {
    "action": "authenticate",
    "data": {"key_id": DEFAULT_KEY_ID, "secret_key": DEFAULT_SECRET_KEY},
}
LISTEN = {"action": "listen", "data": {"streams": ["trade_updates"]}}


async def _ask(ws: ClientConnection, message: dict[str, Any] | str) -> dict[str, Any]:
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    answer = await ws.recv()
    assert isinstance(answer, bytes)  # binary frames, like Alpaca's paper endpoint
    reply: dict[str, Any] = json.loads(answer)
    return reply


async def test_authenticate_listen_then_receive_trade_updates(sim: AlpacaSimServer) -> None:
    async with connect(sim.stream_url) as ws:
        authorized = await _ask(ws, AUTH)
        listening = await _ask(ws, LISTEN)
        sim.broker.external_order("AAPL", Side.SELL, Decimal(1), None, sim.clock.now_ns())
        sim.push_unknown_fill()
        update = json.loads(await ws.recv())

    assert authorized == {
        "stream": "authorization",
        "data": {"action": "authenticate", "status": "authorized"},
    }
    assert listening == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    assert update["stream"] == "trade_updates"
    assert (update["data"]["event"], update["data"]["qty"]) == ("fill", "1")


async def test_newer_auth_message_is_accepted(sim: AlpacaSimServer) -> None:
    async with connect(sim.stream_url) as ws:
        reply = await _ask(
            ws, {"action": "auth", "key": DEFAULT_KEY_ID, "secret": DEFAULT_SECRET_KEY}
        )

    assert reply["data"]["status"] == "authorized"


@pytest.mark.parametrize(
    "first",
    [
        {"action": "authenticate", "data": {"key_id": DEFAULT_KEY_ID, "secret_key": "wrong"}},
        {"action": "authenticate", "data": {}},
        LISTEN,
    ],
)
async def test_strangers_are_unauthorized_and_disconnected(
    sim: AlpacaSimServer, first: dict[str, Any]
) -> None:
    async with connect(sim.stream_url) as ws:
        reply = await _ask(ws, first)
        with pytest.raises(ConnectionClosed):
            await ws.recv()

    assert reply["stream"] == "authorization"
    assert reply["data"]["status"] == "unauthorized"
    assert sim.sim.hub.listeners == 0


async def test_malformed_message_gets_an_error_and_the_connection_lives(
    sim: AlpacaSimServer,
) -> None:
    async with connect(sim.stream_url) as ws:
        error = await _ask(ws, "{nope")
        authorized = await _ask(ws, AUTH)
        other = await _ask(ws, {"action": "listen", "data": {"streams": ["quotes"]}})
        listening = await _ask(ws, LISTEN)

    assert error == {"stream": "error", "data": {"error_message": "invalid syntax"}}
    assert authorized["data"]["status"] == "authorized"
    assert other["data"]["streams"] == []
    assert listening["data"]["streams"] == ["trade_updates"]


async def test_stop_ends_listening_connections(sim: AlpacaSimServer) -> None:
    async with connect(sim.stream_url) as ws:
        await _ask(ws, AUTH)
        await _ask(ws, LISTEN)

        await sim.stop()

        with pytest.raises(ConnectionClosed):
            await ws.recv()
