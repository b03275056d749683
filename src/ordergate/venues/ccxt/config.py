"""Configuration of a ccxt venue: which exchange, credentials, URLs, symbols, behaviour.

Any exchange ccxt supports can be configured by its ccxt id; :func:`binance_config`,
:func:`coinbase_config` and :func:`kraken_config` are presets with each exchange's real
ccxt id and the options this adapter relies on, and :func:`binance_sim_config` points the
binance preset at :class:`~ordergate.sim.binance.BinanceSimServer`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ordergate.venues.base import RateLimitRule

__all__ = [
    "CcxtVenueConfig",
    "binance_config",
    "binance_sim_config",
    "coinbase_config",
    "kraken_config",
]


class CcxtVenueConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How to reach one exchange through ccxt.

    Parameters
    ----------
    venue
        The venue's name in ordergate (on every report).
    exchange_id
        ccxt's id of the exchange (``"binance"``, ``"coinbase"``, ``"kraken"``...).
    api_key, secret, password
        Credentials (``password`` is the passphrase some exchanges need).
    api_urls
        Entries merged into ccxt's ``urls["api"]`` (e.g. ``{"public": ..., "ws": {...}}``),
        to point the client at a testnet or a simulator.
    symbol_map
        ordergate symbol -> ccxt unified symbol (``"BTC-USD" -> "BTC/USDT"``); unmapped
        symbols are passed to ccxt as they are.
    options
        Entries merged into the ccxt exchange's ``options``.
    client_order_id_param
        The order parameter that carries our order id as the client order id.
    query_client_order_id_param
        The ``fetch_order`` parameter that finds an order by client order id; None when the
        exchange has none (the adapter then looks through open and closed orders).
    cancel_client_order_id_param
        The ``cancel_order`` parameter that names an order by client order id; None when
        the exchange cancels by venue order id only.
    timeout_ms
        ccxt's HTTP timeout.
    settle_ms
        How long after it was sent a lost order request can still reach the matching
        engine (Binance: its recvWindow, after which the venue refuses the request). An
        order not found by then never will be.
    rate_limit_retries
        How many times a request answered 429/418 is sent again (after Retry-After).
    max_retry_after_s
        Longest wait the adapter accepts before a retry (a longer Retry-After ends the
        request as rate limited at once).
    use_websocket
        Take execution reports from the exchange's websocket streams where ccxt has them;
        False polls REST instead.
    poll_interval_s
        Interval of REST polling for execution reports when there are no streams.
    maker_fee, taker_fee
        Fee rates to declare when the exchange's markets do not say (decimal strings).
    raw_client_order_id_field
        The field of the exchange's raw trade payload (ccxt's ``info``) that names the
        client order id, where it has one; it attributes fills of orders the adapter did
        not send (Binance: ``"c"``).
    close_wait_ms
        How long ccxt waits on close for TLS connections to shut down; None keeps ccxt's
        default (plain-HTTP venues such as the simulator need none).
    rate_limits
        The exchange's own published limits, in its terms (Binance: request weight per
        minute, orders per 10 s and per day); empty: ccxt's request spacing is declared.
    """

    venue: str
    exchange_id: str
    api_key: str = ""
    secret: str = ""
    password: str | None = None
    api_urls: dict[str, Any] = msgspec.field(default_factory=dict)
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    client_order_id_param: str = "clientOrderId"
    query_client_order_id_param: str | None = "clientOrderId"
    cancel_client_order_id_param: str | None = "clientOrderId"
    timeout_ms: int = 10_000
    settle_ms: int = 5_000
    rate_limit_retries: int = 2
    max_retry_after_s: float = 60.0
    use_websocket: bool = True
    poll_interval_s: float = 1.0
    maker_fee: str | None = None
    taker_fee: str | None = None
    raw_client_order_id_field: str | None = None
    close_wait_ms: int | None = None
    rate_limits: tuple[RateLimitRule, ...] = ()


_SECOND_NS = 1_000_000_000
# Binance spot's published limits (exchangeInfo ``rateLimits``): every request spends weight;
# new orders also count against the order limits.
BINANCE_RATE_LIMITS = (
    RateLimitRule(name="REQUEST_WEIGHT", unit="weight", limit=6_000, window_ns=60 * _SECOND_NS),
    RateLimitRule(
        name="ORDERS", unit="orders", limit=100, window_ns=10 * _SECOND_NS, scope="orders"
    ),
    RateLimitRule(
        name="ORDERS_DAY",
        unit="orders",
        limit=200_000,
        window_ns=86_400 * _SECOND_NS,
        scope="orders",
    ),
)

_BINANCE_OPTIONS: dict[str, Any] = {
    "defaultType": "spot",
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,  # needs the sapi wallet endpoints
    "fetchMargins": False,  # needs the sapi margin endpoints
    "warnOnFetchOpenOrdersWithoutSymbol": False,
}


_BINANCE_CLOCK_AHEAD_MS = 1_000


def binance_config(
    api_key: str = "",
    secret: str = "",
    *,
    venue: str = "BINANCE",
    recv_window_ms: int = 5_000,
    **overrides: Any,
) -> CcxtVenueConfig:
    """Return the Binance spot preset (ccxt id ``binance``).

    Our order id travels as ``newClientOrderId`` and orders are found again by
    ``origClientOrderId``. Every signed request carries ``recvWindow=recv_window_ms``, so
    Binance refuses a request that arrives later than that; a lost order request therefore
    settles ``recv_window_ms`` after it was sent, plus the 1 s Binance lets a client's clock
    run ahead of its own.
    """
    fields: dict[str, Any] = {
        "venue": venue,
        "exchange_id": "binance",
        "api_key": api_key,
        "secret": secret,
        "options": {**_BINANCE_OPTIONS, "recvWindow": recv_window_ms},
        "client_order_id_param": "newClientOrderId",
        "query_client_order_id_param": "origClientOrderId",
        "cancel_client_order_id_param": "origClientOrderId",
        "settle_ms": recv_window_ms + _BINANCE_CLOCK_AHEAD_MS,
        "raw_client_order_id_field": "c",
        "maker_fee": "0.001",
        "taker_fee": "0.001",
        "rate_limits": BINANCE_RATE_LIMITS,
    }
    fields.update(overrides)
    return CcxtVenueConfig(**fields)


def binance_sim_config(
    url: str,
    ws_url: str,
    *,
    api_key: str = "simkey",
    secret: str = "simsecret",  # noqa: S107 - the simulator's published test secret
    venue: str = "BINANCE",
    recv_window_ms: int = 5_000,
    **overrides: Any,
) -> CcxtVenueConfig:
    """Return the Binance preset pointed at a simulated Binance (``BinanceSimServer``).

    ``url`` and ``ws_url`` are the server's ``url`` and ``ws_url``. The platform's crypto
    symbols map to the simulator's pairs (``BTC-USD`` -> ``BTC/USDT``).
    """
    fields: dict[str, Any] = {
        "api_urls": {
            "public": f"{url}/api/v3",
            "private": f"{url}/api/v3",
            "v1": f"{url}/api/v1",
            "ws": {
                "spot": f"{ws_url}/ws",
                "margin": f"{ws_url}/ws",
                "ws-api": {"spot": f"{ws_url}/ws-api/v3"},
            },
        },
        "symbol_map": {"BTC-USD": "BTC/USDT", "ETH-USD": "ETH/USDT"},
        "close_wait_ms": 0,  # plain HTTP on loopback: no TLS shutdown to wait for
    }
    fields.update(overrides)
    return binance_config(api_key, secret, venue=venue, recv_window_ms=recv_window_ms, **fields)


def coinbase_config(
    api_key: str = "", secret: str = "", *, venue: str = "COINBASE", **overrides: Any
) -> CcxtVenueConfig:
    """Return the Coinbase Advanced Trade preset (ccxt id ``coinbase``).

    ccxt drops the unified ``clientOrderId`` for Coinbase and makes up its own, so our id is
    sent as Coinbase's own ``client_order_id`` parameter, which overrides it. Coinbase finds
    orders by venue id only, so the adapter looks a lost order up among open and closed
    orders.
    """
    fields: dict[str, Any] = {
        "venue": venue,
        "exchange_id": "coinbase",
        "api_key": api_key,
        "secret": secret,
        "client_order_id_param": "client_order_id",
        "cancel_client_order_id_param": None,
        "query_client_order_id_param": None,
        "settle_ms": 10_000,
        "maker_fee": "0.006",
        "taker_fee": "0.012",
    }
    fields.update(overrides)
    return CcxtVenueConfig(**fields)


def kraken_config(
    api_key: str = "", secret: str = "", *, venue: str = "KRAKEN", **overrides: Any
) -> CcxtVenueConfig:
    """Return the Kraken spot preset (ccxt id ``kraken``).

    ccxt sends the unified ``clientOrderId`` as Kraken's ``cl_ord_id`` and cancels by it, but
    its ``fetch_order`` takes only Kraken's integer ``userref``, so the adapter looks a lost
    order up among open and closed orders.
    """
    fields: dict[str, Any] = {
        "venue": venue,
        "exchange_id": "kraken",
        "api_key": api_key,
        "secret": secret,
        "query_client_order_id_param": None,
        "settle_ms": 10_000,
        "maker_fee": "0.0025",
        "taker_fee": "0.004",
    }
    fields.update(overrides)
    return CcxtVenueConfig(**fields)
