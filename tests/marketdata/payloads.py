"""Venue payloads in the shapes the venues document, for the market data tests.

The Kraken book snapshot and update are the examples of Kraken's WebSocket v2 ``book``
documentation (MATIC/USD, price precision 4, quantity precision 8), with their published
checksums 2439117997 and 2114181697.
"""

from __future__ import annotations

import msgspec

KRAKEN_SNAPSHOT = b"""{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD",
"bids":[{"price":0.5666,"qty":4831.75496356},{"price":0.5665,"qty":6658.22734739},
{"price":0.5664,"qty":18724.91513344},{"price":0.5663,"qty":11563.92544914},
{"price":0.5662,"qty":14006.65365711},{"price":0.5661,"qty":17454.85679807},
{"price":0.566,"qty":18097.1547},{"price":0.5659,"qty":33644.89175666},
{"price":0.5658,"qty":148.3464},{"price":0.5657,"qty":606.70854372}],
"asks":[{"price":0.5668,"qty":4410.79769741},{"price":0.5669,"qty":4655.40412487},
{"price":0.567,"qty":49844.89424998},{"price":0.5671,"qty":24306.41678},
{"price":0.5672,"qty":29783.25223475},{"price":0.5673,"qty":57234.71239278},
{"price":0.5674,"qty":45065.04744},{"price":0.5675,"qty":5912.76380354},
{"price":0.5676,"qty":42514.92434778},{"price":0.5677,"qty":36304.0847022}],
"checksum":2439117997,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"""

KRAKEN_UPDATE = b"""{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD",
"bids":[{"price":0.5657,"qty":1098.3947558}],"asks":[],"checksum":2114181697,
"timestamp":"2023-10-06T17:35:55.440295Z"}]}"""

KRAKEN_TICKER = b"""{"channel":"ticker","type":"update","data":[{"symbol":"MATIC/USD",
"bid":0.5666,"bid_qty":4831.75496356,"ask":0.5668,"ask_qty":4410.79769741,"last":0.5667,
"volume":997038.98383185,"vwap":0.5701,"low":0.5601,"high":0.5802,"change":-0.0017,
"change_pct":-0.3}]}"""

KRAKEN_TRADE = b"""{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD",
"side":"sell","price":0.5147,"qty":6423.46326,"ord_type":"limit","trade_id":4665846,
"timestamp":"2023-09-25T07:48:36.925533Z"},{"symbol":"MATIC/USD","side":"buy",
"price":0.5148,"qty":1.5,"ord_type":"market","trade_id":4665847,
"timestamp":"2023-09-25T07:48:37.000001Z"}]}"""

KRAKEN_HEARTBEAT = b'{"channel":"heartbeat"}'
KRAKEN_ACK = (
    b'{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,'
    b'"symbol":"MATIC/USD"},"success":true,"time_in":"2023-10-06T17:35:55.219022Z",'
    b'"time_out":"2023-10-06T17:35:55.219067Z"}'
)


def binance_depth(first: int, last: int, bids: list[list[str]], asks: list[list[str]]) -> bytes:
    """Return a spot depthUpdate for BTCUSDT."""
    return msgspec.json.encode(
        {
            "e": "depthUpdate",
            "E": 1_672_515_782_136,
            "s": "BTCUSDT",
            "U": first,
            "u": last,
            "b": bids,
            "a": asks,
        }
    )


def binance_futures_depth(
    first: int, last: int, previous: int, bids: list[list[str]], asks: list[list[str]]
) -> bytes:
    """Return a USD-M futures depthUpdate (with ``pu``) for BTCUSDT."""
    return msgspec.json.encode(
        {
            "e": "depthUpdate",
            "E": 1_672_515_782_136,
            "T": 1_672_515_782_130,
            "s": "BTCUSDT",
            "U": first,
            "u": last,
            "pu": previous,
            "b": bids,
            "a": asks,
        }
    )


BINANCE_SNAPSHOT = (
    b'{"lastUpdateId":100,"bids":[["30000.00","1.5"],["29999.00","2"]],'
    b'"asks":[["30001.00","1"],["30002.00","3"]]}'
)

BINANCE_BOOK_TICKER = (
    b'{"u":400900217,"s":"BTCUSDT","b":"30000.00000000","B":"31.21000000",'
    b'"a":"30001.00000000","A":"40.66000000"}'
)

BINANCE_TICKER = msgspec.json.encode(
    {
        "e": "24hrTicker",
        "E": 1_672_515_782_136,
        "s": "BTCUSDT",
        "p": "0.0015",
        "P": "250.00",
        "w": "0.0018",
        "x": "0.0009",
        "c": "30000.50",
        "Q": "10",
        "b": "30000.00",
        "B": "10",
        "a": "30001.00",
        "A": "100",
        "o": "0.0010",
        "h": "0.0025",
        "l": "0.0010",
        "v": "10000",
        "q": "18",
        "O": 0,
        "C": 86400000,
        "F": 0,
        "L": 18150,
        "n": 18151,
    }
)

BINANCE_TRADE = (
    b'{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"30000.10",'
    b'"q":"0.25","T":1672515782136,"m":true,"M":true}'
)

BINANCE_AGG_TRADE = (
    b'{"e":"aggTrade","E":1672515782136,"s":"BTCUSDT","a":26129,"p":"30000.20",'
    b'"q":"4.70443515","f":100,"l":105,"T":1672515782136,"m":false,"M":true}'
)


def coinbase_l2(sequence: int, kind: str, updates: list[tuple[str, str, str]]) -> bytes:
    """Return an Advanced Trade ``l2_data`` message for BTC-USD."""
    return msgspec.json.encode(
        {
            "channel": "l2_data",
            "client_id": "",
            "timestamp": "2023-02-09T20:32:50.714964855Z",
            "sequence_num": sequence,
            "events": [
                {
                    "type": kind,
                    "product_id": "BTC-USD",
                    "updates": [
                        {
                            "side": side,
                            "event_time": "2023-02-09T20:32:50.714964855Z",
                            "price_level": price,
                            "new_quantity": size,
                        }
                        for side, price, size in updates
                    ],
                }
            ],
        }
    )


COINBASE_TICKER = msgspec.json.encode(
    {
        "type": "ticker",
        "sequence": 37475248783,
        "product_id": "BTC-USD",
        "price": "21921.73",
        "open_24h": "21310.79",
        "volume_24h": "245532.79269678",
        "low_24h": "21280.52",
        "high_24h": "22013.8",
        "volume_30d": "9788783.60117027",
        "best_bid": "21921.72",
        "best_bid_size": "0.46688654",
        "best_ask": "21921.74",
        "best_ask_size": "1.56637040",
        "side": "buy",
        "time": "2022-10-19T23:28:22.061769Z",
        "trade_id": 370843401,
        "last_size": "11.4396987",
    }
)

COINBASE_MATCH = msgspec.json.encode(
    {
        "type": "match",
        "trade_id": 10,
        "sequence": 50,
        "maker_order_id": "ac928c66-ca53-498f-9c13-a110027a60e8",
        "taker_order_id": "132fb6ae-456b-4654-b4e0-d681ac05cea1",
        "time": "2014-11-07T08:19:27.028459Z",
        "product_id": "BTC-USD",
        "size": "5.23512",
        "price": "400.23",
        "side": "sell",
    }
)

COINBASE_SUBSCRIPTIONS = (
    b'{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z",'
    b'"sequence_num":0,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}'
)
