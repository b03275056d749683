"""A seeded simulated market that keeps the matching engine's books alive.

Theory of operation
-------------------
For each instrument a *mid price* does a random walk in whole *price units* (a unit is about
``unit_bps`` basis points of the start price, rounded down to whole ticks, at least one
tick), so every price the market uses is on the tick. Each :meth:`SimulatedMarket.step`:

1. expires due DAY/GTD orders (``engine.on_time``);
2. moves each mid by -1, 0 or +1 unit;
3. lets a market maker cancel its quotes and re-quote ``levels`` levels each side, the
   best ``half_spread_units`` away from the mid, one unit apart. Re-quoting puts the maker
   behind any client order already resting at the same price, so a passive client order at
   the touch has time priority over the market maker;
4. lets a noise trader, with probability ``noise_percent`` %, send a small market order of
   random side that takes the best level, client orders included.

All orders here are the engine's *internal* orders: they trade, set the last price and so
trigger stops, but produce no reports. The step returns only the client reports they cause.

Invariants: the maker's own bids are always below its own asks; a noise order is smaller
than one maker level, so without client orders taking liquidity both sides stay non-empty;
randomness comes only from the seeded ``random.Random``, so the same seed and the same
inputs give the same reports.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, ROUND_UP, Decimal

import msgspec

from ordergate.domain.instrument import Instrument
from ordergate.domain.reports import ExecutionReport, VenueOrder
from ordergate.domain.values import OrderType, Side, TimeInForce
from ordergate.sim.engine import MatchingEngine

__all__ = ["MarketConfig", "SimulatedMarket"]

_ACCOUNT = "SIM-MARKET"
_WALK = (-1, 0, 1)


class MarketConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How the simulated market behaves.

    Parameters
    ----------
    levels
        Quote levels the market maker keeps on each side.
    half_spread_units
        Distance of the best quotes from the mid, in price units.
    unit_bps
        Size of one price unit in basis points of the start price (at least one tick).
    quote_notional
        Rough notional of one maker level; its size is 1-3 times this, in whole lots.
    noise_notional
        Rough notional of a noise order; its size is 1-3 times this, in whole lots.
    noise_percent
        Chance (0-100) per instrument and step that a noise order is sent.
    """

    levels: int = 5
    half_spread_units: int = 1
    unit_bps: Decimal = Decimal(1)
    quote_notional: Decimal = Decimal(20_000)
    noise_notional: Decimal = Decimal(2_000)
    noise_percent: int = 50


class _Track:
    """The market's state for one instrument."""

    __slots__ = ("mid_units", "noise_lots", "quote_ids", "quote_lots", "symbol", "unit")

    def __init__(self, instrument: Instrument, start: Decimal, config: MarketConfig) -> None:
        tick = instrument.tick_size
        ticks = (start * config.unit_bps / 10_000 / tick).to_integral_value(ROUND_DOWN)
        self.symbol = instrument.symbol
        self.unit = tick * max(ticks, Decimal(1))
        floor = config.levels + config.half_spread_units + 1  # keeps every bid price > 0
        self.mid_units = max(int(start / self.unit), floor)
        self.quote_lots = _lots(instrument, config.quote_notional, start)
        self.noise_lots = _lots(instrument, config.noise_notional, start)
        self.quote_ids: list[str] = []


def _lots(instrument: Instrument, notional: Decimal, price: Decimal) -> Decimal:
    """Return roughly ``notional`` worth of ``instrument`` in whole lots, at least the minimum."""
    lot = instrument.lot_size
    size = max(
        (notional / price / lot).to_integral_value(ROUND_DOWN) * lot, instrument.min_quantity
    )
    if size * price < instrument.min_notional:
        size = (instrument.min_notional / price / lot).to_integral_value(ROUND_UP) * lot
    return size


class SimulatedMarket:
    """Seeded market maker and noise traders around a random-walk mid price.

    Parameters
    ----------
    engine
        The matching engine the market trades in.
    instruments
        Instruments to make a market in; each needs a start price.
    start_prices
        Where each instrument's mid starts, by symbol.
    seed
        Seed of the market's random generator.
    config
        Market behaviour; see :class:`MarketConfig`.

    Raises
    ------
    ValueError
        If an instrument has no start price or the engine does not trade it.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        instruments: Iterable[Instrument],
        start_prices: Mapping[str, Decimal],
        *,
        seed: int = 0,
        config: MarketConfig | None = None,
    ) -> None:
        self.engine = engine
        self.config = config or MarketConfig()
        self._rng = random.Random(seed)
        self._tracks: list[_Track] = []
        for instrument in instruments:
            start = start_prices.get(instrument.symbol)
            if start is None or start <= 0:
                raise ValueError(f"no positive start price for {instrument.symbol}")
            try:
                engine.book(instrument.symbol)
            except KeyError:
                raise ValueError(f"the engine does not trade {instrument.symbol}") from None
            self._tracks.append(_Track(instrument, start, self.config))
        self._next_id = 0

    def mid_price(self, symbol: str) -> Decimal:
        """Return the current mid price of ``symbol``.

        Raises
        ------
        KeyError
            If the market does not trade ``symbol``.
        """
        for track in self._tracks:
            if track.symbol == symbol:
                return track.unit * track.mid_units
        raise KeyError(symbol)

    def step(self, now: int) -> list[ExecutionReport]:
        """Advance the market by one step at time ``now``; return the client reports it caused."""
        reports = self.engine.on_time(now)
        for track in self._tracks:
            self._walk(track)
            self._requote(track, now, reports)
            self._noise(track, now, reports)
        return reports

    def _walk(self, track: _Track) -> None:
        floor = self.config.levels + self.config.half_spread_units + 1
        track.mid_units = max(track.mid_units + self._rng.choice(_WALK), floor)

    def _requote(self, track: _Track, now: int, reports: list[ExecutionReport]) -> None:
        engine, rng, config = self.engine, self._rng, self.config
        for order_id in track.quote_ids:
            # Quotes the noise trader or a client filled are gone; that cancel is a no-op.
            engine.cancel(order_id, now, internal=True)
        track.quote_ids.clear()
        for side in (Side.BUY, Side.SELL):
            for level in range(config.levels):
                distance = config.half_spread_units + level
                units = (
                    track.mid_units - distance if side is Side.BUY else track.mid_units + distance
                )
                quantity = track.quote_lots * rng.randint(1, 3)
                order_id = self._order_id("MM")
                track.quote_ids.append(order_id)
                reports += engine.submit(
                    self._order(
                        order_id, track, side, OrderType.LIMIT, quantity, track.unit * units
                    ),
                    now,
                    internal=True,
                )

    def _noise(self, track: _Track, now: int, reports: list[ExecutionReport]) -> None:
        rng = self._rng
        if rng.randrange(100) >= self.config.noise_percent:
            return
        side = rng.choice((Side.BUY, Side.SELL))
        quantity = track.noise_lots * rng.randint(1, 3)
        order = self._order(self._order_id("NT"), track, side, OrderType.MARKET, quantity, None)
        reports += self.engine.submit(order, now, internal=True)

    def _order_id(self, participant: str) -> str:
        self._next_id += 1
        return f"{participant}-{self._next_id}"

    @staticmethod
    def _order(
        order_id: str,
        track: _Track,
        side: Side,
        order_type: OrderType,
        quantity: Decimal,
        price: Decimal | None,
    ) -> VenueOrder:
        return VenueOrder(
            order_id=order_id,
            account=_ACCOUNT,
            symbol=track.symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            time_in_force=TimeInForce.GTC if order_type is OrderType.LIMIT else TimeInForce.IOC,
        )
