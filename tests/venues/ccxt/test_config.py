"""Presets and exchange construction: real ccxt ids, our client order id parameter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.values import OrderType, TimeInForce
from ordergate.venues.ccxt import (
    CcxtVenue,
    CcxtVenueConfig,
    binance_config,
    binance_sim_config,
    capabilities_of,
    coinbase_config,
    create_exchange,
    kraken_config,
)


@pytest.mark.parametrize(
    ("config", "exchange_id", "param"),
    [
        (binance_config("k", "s"), "binance", "newClientOrderId"),
        (coinbase_config("k", "s"), "coinbase", "client_order_id"),
        (kraken_config("k", "s"), "kraken", "clientOrderId"),
    ],
)
async def test_presets_build_the_real_ccxt_exchange(
    config: CcxtVenueConfig, exchange_id: str, param: str
) -> None:
    exchange = create_exchange(config)
    try:
        assert exchange.id == exchange_id
        assert config.client_order_id_param == param
        assert exchange.number is str
        assert exchange.apiKey == "k"
    finally:
        await exchange.close()


async def test_binance_preset_is_spot_only_with_its_receive_window() -> None:
    config = binance_config(recv_window_ms=3_000)

    assert config.options["defaultType"] == "spot"
    assert config.options["fetchMarkets"] == {"types": ["spot"]}
    assert config.options["recvWindow"] == 3_000
    assert config.settle_ms == 4_000  # the window and the clock allowance


async def test_sim_preset_points_every_url_at_the_simulator() -> None:
    config = binance_sim_config("http://127.0.0.1:1", "ws://127.0.0.1:1")
    exchange = create_exchange(config)
    try:
        assert exchange.urls["api"]["public"] == "http://127.0.0.1:1/api/v3"
        assert exchange.urls["api"]["private"] == "http://127.0.0.1:1/api/v3"
        assert exchange.urls["api"]["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:1/ws-api/v3"
        assert config.symbol_map["BTC-USD"] == "BTC/USDT"
    finally:
        await exchange.close()


async def test_any_ccxt_exchange_by_configuration() -> None:
    venue = CcxtVenue(CcxtVenueConfig(venue="BYBIT", exchange_id="bybit"))
    try:
        assert venue.name == "BYBIT"
        assert venue.exchange.id == "bybit"
    finally:
        await venue.exchange.close()


def test_unknown_exchange_id_is_refused() -> None:
    with pytest.raises(ValueError, match="no exchange"):
        create_exchange(CcxtVenueConfig(venue="X", exchange_id="no-such-exchange"))


def test_capabilities_from_has_and_features() -> None:
    config = CcxtVenueConfig(venue="X", exchange_id="x", maker_fee="0.0002")
    caps = capabilities_of(
        {"createMarketOrder": True, "createStopLimitOrder": True, "watchBidsAsks": True},
        {"spot": {"createOrder": {"timeInForce": {"IOC": True, "FOK": False}}}},
        {"A/B": {"maker": 0.001, "taker": 0.002}},
        100,
        config,
    )

    assert caps.order_types == {OrderType.LIMIT, OrderType.MARKET, OrderType.STOP_LIMIT}
    assert caps.time_in_force == {TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC}
    assert (caps.maker_fee, caps.taker_fee) == (Decimal("0.0002"), Decimal("0.002"))
    assert caps.rate_limits[0].window_ns == 100_000_000
    assert not caps.supports_replace
    assert caps.supports_market_data
