"""Starting and stopping the simulator on loopback."""

from __future__ import annotations

import pytest

from ordergate.clock import TestClock
from ordergate.sim.alpaca import AlpacaSimServer


async def test_port_is_unknown_before_start() -> None:
    server = AlpacaSimServer(clock=TestClock())

    with pytest.raises(RuntimeError, match="has not started"):
        _ = server.url


async def test_a_taken_port_fails_start(sim: AlpacaSimServer) -> None:
    second = AlpacaSimServer(clock=TestClock(), port=sim.port)

    with pytest.raises(RuntimeError, match="could not start"):
        await second.start()


async def test_market_task_steps_on_its_own_and_stops(sim: AlpacaSimServer) -> None:
    ticking = AlpacaSimServer(clock=TestClock(), step_interval_ns=1_000_000)
    await ticking.start()
    quote = ticking.broker.engine.top_of_book("AAPL")
    await ticking.stop()

    assert ticking.url.startswith("http://127.0.0.1:")
    assert quote.bid_price is not None
    assert quote.ask_price is not None
