"""The simulator's default instrument universe and where each instrument's price starts.

Equities trade in whole shares at cent ticks; crypto pairs in small lots with a minimum
notional, as typical spot exchanges do. Start prices are round figures near recent levels,
only there to give the simulated market somewhere to begin.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.instrument import Instrument
from ordergate.domain.values import AssetClass

__all__ = ["default_instruments", "default_start_prices"]

_CENT = Decimal("0.01")


def _equity(symbol: str) -> Instrument:
    return Instrument(
        symbol=symbol,
        asset_class=AssetClass.EQUITY,
        quote_currency="USD",
        tick_size=_CENT,
        lot_size=Decimal(1),
        min_quantity=Decimal(1),
    )


def _crypto(base: str, lot: str, min_notional: str) -> Instrument:
    return Instrument(
        symbol=f"{base}-USD",
        asset_class=AssetClass.CRYPTO_SPOT,
        quote_currency="USD",
        base_currency=base,
        tick_size=_CENT,
        lot_size=Decimal(lot),
        min_quantity=Decimal(lot),
        min_notional=Decimal(min_notional),
    )


def default_instruments() -> list[Instrument]:
    """Return the demo universe: AAPL, MSFT, SPY, BTC-USD and ETH-USD."""
    return [
        _equity("AAPL"),
        _equity("MSFT"),
        _equity("SPY"),
        _crypto("BTC", "0.00001", "1"),
        _crypto("ETH", "0.0001", "1"),
    ]


def default_start_prices() -> dict[str, Decimal]:
    """Return the price each default instrument's simulated market starts at."""
    return {
        "AAPL": Decimal("190.00"),
        "MSFT": Decimal("420.00"),
        "SPY": Decimal("560.00"),
        "BTC-USD": Decimal("65000.00"),
        "ETH-USD": Decimal("3000.00"),
    }
