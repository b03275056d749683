"""Value types of the trading domain: sides, order types, time in force, exact decimals.

Money is exact: prices, quantities and amounts are ``decimal.Decimal`` everywhere, never
``float``. :func:`to_decimal` is the single door through which outside numbers enter; it
refuses floats, NaN and infinities so that nothing is silently rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "ZERO",
    "AssetClass",
    "Liquidity",
    "OrderStatus",
    "OrderType",
    "Side",
    "TimeInForce",
    "is_multiple",
    "strip_zeros",
    "to_decimal",
]

ZERO = Decimal(0)


class Side(StrEnum):
    """Side(54) of an order or fill."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """Return +1 for BUY and -1 for SELL."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """Return the other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """OrdType(40)."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class TimeInForce(StrEnum):
    """TimeInForce(59)."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"


class AssetClass(StrEnum):
    """What kind of thing an instrument is."""

    EQUITY = "EQUITY"
    CRYPTO_SPOT = "CRYPTO_SPOT"
    FUTURE = "FUTURE"
    FX = "FX"


class Liquidity(StrEnum):
    """Whether a fill added liquidity (MAKER) or took it (TAKER)."""

    MAKER = "MAKER"
    TAKER = "TAKER"


class OrderStatus(StrEnum):
    """OrdStatus(39) in the order state machine (see :mod:`ordergate.domain.order_status`)."""

    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    PENDING_REPLACE = "PENDING_REPLACE"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        """Return True when no further event can change the order."""
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Return True when the order may still trade at the venue."""
        return self not in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


def strip_zeros(value: Decimal) -> Decimal:
    """Return ``value`` without trailing fractional zeros and never in exponent form.

    ``Decimal.normalize`` turns 420.00 into 4.2E+2, which prints badly and reads as a
    float on the wire; this keeps 420.
    """
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normal.quantize(Decimal(1))
    return normal


def to_decimal(value: object) -> Decimal:
    """Convert a string, int or Decimal into a finite Decimal.

    Raises
    ------
    TypeError
        If ``value`` is a float or bool (binary floats cannot carry money exactly) or
        another unsupported type.
    ValueError
        If ``value`` does not parse, or is NaN or infinite.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(f"{type(value).__name__} is not an exact number; send a string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise TypeError(f"{type(value).__name__} is not a number")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Return True when ``value`` is a whole multiple of ``step`` (a tick or a lot)."""
    if step <= 0:
        return True
    # Decimal's remainder is exact when it succeeds; beyond its precision it signals
    # DivisionImpossible (an InvalidOperation), and exact rational arithmetic decides.
    try:
        return value % step == 0
    except InvalidOperation:
        return Fraction(value) % Fraction(step) == 0
