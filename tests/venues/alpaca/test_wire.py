"""Request bodies carry exact decimal strings; the config picks endpoints and symbols."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.reports import VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.venues.alpaca import AlpacaVenueConfig
from ordergate.venues.alpaca.wire import order_body, refusal, replace_body
from ordergate.venues.base import ReplaceRequest

CONFIG = AlpacaVenueConfig(key_id="k", secret_key="s", symbols={"BRK-B": "BRK.B"})


def test_stop_limit_order_body_has_every_number_as_a_plain_string() -> None:
    order = VenueOrder(
        order_id="C-1",
        account="A",
        symbol="BRK-B",
        side=Side.SELL,
        order_type=OrderType.STOP_LIMIT,
        quantity=Decimal("1E+1"),
        price=Decimal("420.50"),
        stop_price=Decimal("421.0000"),
        time_in_force=TimeInForce.DAY,
    )

    assert order_body(order, CONFIG) == {
        "symbol": "BRK.B",
        "qty": "10",
        "side": "sell",
        "type": "stop_limit",
        "time_in_force": "day",
        "client_order_id": "C-1",
        "limit_price": "420.5",
        "stop_price": "421",
    }
    assert refusal(order) is None


def test_replace_body_sends_only_what_changes() -> None:
    request = ReplaceRequest(
        order_id="C-1",
        venue_order_id="v",
        symbol="AAPL",
        stop_price=Decimal("99.10"),
        time_in_force=TimeInForce.GTC,
    )

    assert replace_body(request, "C-1~R1") == {
        "client_order_id": "C-1~R1",
        "stop_price": "99.1",
        "time_in_force": "gtc",
    }


def test_replace_to_an_unknown_time_in_force_is_refused() -> None:
    request = ReplaceRequest(
        order_id="C-1", venue_order_id="v", symbol="AAPL", time_in_force=TimeInForce.GTD
    )

    with pytest.raises(ValueError, match="GTD"):
        replace_body(request, "C-1~R1")


@pytest.mark.parametrize(
    ("config", "rest", "stream"),
    [
        (
            AlpacaVenueConfig(key_id="k", secret_key="s"),
            "https://paper-api.alpaca.markets",
            "wss://paper-api.alpaca.markets/stream",
        ),
        (
            AlpacaVenueConfig(key_id="k", secret_key="s", paper=False),
            "https://api.alpaca.markets",
            "wss://api.alpaca.markets/stream",
        ),
        (
            AlpacaVenueConfig(key_id="k", secret_key="s", base_url="http://127.0.0.1:9/"),
            "http://127.0.0.1:9",
            "ws://127.0.0.1:9/stream",
        ),
        (
            AlpacaVenueConfig(key_id="k", secret_key="s", base_url="https://proxy.example"),
            "https://proxy.example",
            "wss://proxy.example/stream",
        ),
        (
            AlpacaVenueConfig(key_id="k", secret_key="s", stream_url="ws://elsewhere/stream"),
            "https://paper-api.alpaca.markets",
            "ws://elsewhere/stream",
        ),
    ],
)
def test_endpoints_follow_paper_live_and_overrides(
    config: AlpacaVenueConfig, rest: str, stream: str
) -> None:
    assert (config.rest_url(), config.trade_stream_url()) == (rest, stream)


def test_symbols_map_both_ways() -> None:
    assert (CONFIG.venue_symbol("BRK-B"), CONFIG.our_symbol("BRK.B")) == ("BRK.B", "BRK-B")
    assert (CONFIG.venue_symbol("AAPL"), CONFIG.our_symbol("AAPL")) == ("AAPL", "AAPL")
