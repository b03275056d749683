"""The simulator's streams: the user data stream and the market streams.

User data: Binance offers it two ways and the simulator serves both. A ``listenKey`` from
POST /api/v3/userDataStream opens ``/ws/<listenKey>``, which carries the raw events; the
WebSocket API (``/ws-api/v3``) subscribes with ``userDataStream.subscribe.signature`` and
wraps each event as ``{"subscriptionId": n, "event": {...}}`` (what ccxt uses for spot).

Market: ``<symbol>@bookTicker``, ``<symbol>@trade``, ``<symbol>@depth<5|10|20>`` (partial
book snapshots) and ``<symbol>@depth`` (diffs whose ``U``/``u`` continue from the
``lastUpdateId`` of GET /api/v3/depth), on ``/ws/<stream>``, ``/stream?streams=a/b``
(wrapped as ``{"stream": name, "data": {...}}``) or by ``SUBSCRIBE`` on ``/ws``.

Each subscriber is a sink, a plain function that takes an encoded frame (a connection puts
it on its outgoing queue), so publishing never blocks.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from decimal import Decimal

import msgspec

from ordergate.domain.reports import TradeTick
from ordergate.domain.values import Side
from ordergate.sim.binance.exchange import SpotExchange
from ordergate.sim.binance.schemas import DepthUpdate, ExecutionReportEvent, TradeEvent

__all__ = ["MarketSink", "MarketStreams", "UserSink", "UserStreams", "parse_stream_name"]

UserSink = Callable[[bytes], None]
MarketSink = Callable[[str, bytes], None]

_PARTIAL_LEVELS = frozenset({5, 10, 20})
_DIFF_LEVELS = 1_000
_NS_PER_MS = 1_000_000
_encoder = msgspec.json.Encoder()


class UserStreams:
    """Listen keys and the subscribers of the account's user data stream."""

    def __init__(self) -> None:
        self.listen_keys: set[str] = set()
        self._subscribers: set[UserSink] = set()

    def create_listen_key(self) -> str:
        """Return a new listen key (POST /api/v3/userDataStream)."""
        key = secrets.token_hex(30)
        self.listen_keys.add(key)
        return key

    def subscribe(self, sink: UserSink) -> None:
        """Send every encoded event to ``sink`` from now on."""
        self._subscribers.add(sink)

    def unsubscribe(self, sink: UserSink) -> None:
        """Forget a subscriber."""
        self._subscribers.discard(sink)

    def publish(self, events: Iterable[ExecutionReportEvent]) -> None:
        """Send each event to every subscriber, in order."""
        for event in events:
            frame = _encoder.encode(event)
            for sink in list(self._subscribers):
                sink(frame)


def parse_stream_name(name: str, symbols: Iterable[str]) -> tuple[str, str] | None:
    """Return ``(SYMBOL, channel)`` of a market stream name, or None when it is not one."""
    base, _, channel = name.partition("@")
    symbol = base.upper()
    if symbol not in set(symbols):
        return None
    channel = channel.removesuffix("@100ms").removesuffix("@1000ms")
    if channel in ("bookTicker", "trade", "depth"):
        return symbol, channel
    levels = channel.removeprefix("depth")
    if levels.isdigit() and int(levels) in _PARTIAL_LEVELS:
        return symbol, channel
    return None


class MarketStreams:
    """Subscribers of market streams, by stream name, and the frames they are sent."""

    def __init__(self, exchange: SpotExchange) -> None:
        self.exchange = exchange
        self._subscribers: dict[str, set[MarketSink]] = {}
        self._last_book: dict[str, tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]] = {}
        self._last_id: dict[str, int] = {}
        self._trade_ids = 0

    def subscribe(self, name: str, sink: MarketSink) -> None:
        """Call ``sink(name, frame)`` for each frame of stream ``name`` (a valid one)."""
        self._subscribers.setdefault(name, set()).add(sink)

    def unsubscribe(self, name: str, sink: MarketSink) -> None:
        """Stop sending stream ``name`` to ``sink``."""
        self._subscribers.get(name, set()).discard(sink)

    def unsubscribe_all(self, sink: MarketSink) -> None:
        """Stop sending anything to ``sink``."""
        for sinks in self._subscribers.values():
            sinks.discard(sink)

    def publish(self, trades: list[TradeTick], now_ns: int) -> None:
        """Send the frames of the current books and of ``trades`` to their subscribers."""
        self._send_trades(trades, now_ns)
        now_ms = now_ns // _NS_PER_MS
        for symbol in self.exchange.symbols:
            lower = symbol.lower()
            ticker = self.exchange.book_ticker(symbol)
            frame: dict[str, object] = {
                "u": self.exchange.update_id,
                "s": symbol,
                "b": ticker.bidPrice,
                "B": ticker.bidQty,
                "a": ticker.askPrice,
                "A": ticker.askQty,
            }
            self._send(f"{lower}@bookTicker", _encoder.encode(frame))
            for levels in _PARTIAL_LEVELS:
                name = f"{lower}@depth{levels}"
                if self._subscribers.get(name):
                    self._send(name, _encoder.encode(self.exchange.depth(symbol, levels)))
            self._send_diff(symbol, now_ms)

    def _send_trades(self, trades: list[TradeTick], now_ns: int) -> None:
        for trade in trades:
            self._trade_ids += 1
            event = TradeEvent(
                event_time=now_ns // _NS_PER_MS,
                symbol=trade.symbol,
                trade_id=self._trade_ids,
                price=trade.price,
                quantity=trade.quantity,
                trade_time=trade.ts_event // _NS_PER_MS,
                buyer_is_maker=trade.aggressor is Side.SELL,
            )
            self._send(f"{trade.symbol.lower()}@trade", _encoder.encode(event))

    def _send_diff(self, symbol: str, now_ms: int) -> None:
        update_id = self.exchange.update_id
        depth = self.exchange.depth(symbol, _DIFF_LEVELS)
        bids, asks = dict(depth.bids), dict(depth.asks)
        last_bids, last_asks = self._last_book.get(symbol, ({}, {}))
        first = self._last_id.get(symbol, 0) + 1
        self._last_book[symbol] = (bids, asks)
        self._last_id[symbol] = update_id
        if update_id < first:
            return
        event = DepthUpdate(
            event_time=now_ms,
            symbol=symbol,
            first_update_id=first,
            final_update_id=update_id,
            bids=_changes(last_bids, bids),
            asks=_changes(last_asks, asks),
        )
        self._send(f"{symbol.lower()}@depth", _encoder.encode(event))

    def _send(self, name: str, frame: bytes) -> None:
        for sink in list(self._subscribers.get(name, ())):
            sink(name, frame)


def _changes(
    before: dict[Decimal, Decimal], after: dict[Decimal, Decimal]
) -> list[tuple[Decimal, Decimal]]:
    changed = [(p, q) for p, q in after.items() if before.get(p) != q]
    changed += [(p, Decimal(0)) for p in before if p not in after]
    return changed
