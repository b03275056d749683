"""Value format checks by FIX data type.

Each check takes the raw value bytes (never empty: emptiness is its own reject reason) and
says whether they are well formed for the type. Checks are plain callables chosen once per
field when a dictionary is built, so validating a message is one call per field, and most
are C methods (``bytes.isdigit``, ``frozenset.__contains__``, a compiled pattern's
``fullmatch``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["DECIMAL_PATTERN", "ValueCheck", "check_for_type", "enum_check"]

ValueCheck = Callable[[bytes], object]
"""True-ish when the value is well formed (a compiled pattern's match object counts)."""

_SIGNED_INT = re.compile(rb"-?\d+").fullmatch
# Decimal without exponent: digits with at most one point, at least one digit, optional sign.
DECIMAL_PATTERN = re.compile(rb"-?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE = rb"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_TIME = rb"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{3}(?:\d{3})?)?"
_TIMESTAMP = re.compile(_DATE + rb"-" + _TIME).fullmatch
_TIME_ONLY = re.compile(_TIME).fullmatch
_DATE_ONLY = re.compile(_DATE).fullmatch
# MONTHYEAR: YYYYMM, optionally a day (DD) or a week code (w1-w5).
_MONTH_YEAR = re.compile(rb"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|w[1-5])?").fullmatch
_DAY_OF_MONTH = re.compile(rb"0?[1-9]|[12]\d|3[01]").fullmatch
_TZ_TIME = re.compile(
    rb"(?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60))?(?:Z|[+-](?:0\d|1[0-4])(?::[0-5]\d)?)?"
).fullmatch


def _char(value: bytes) -> bool:
    return len(value) == 1


def _decimal(value: bytes) -> bool:
    # Same language as DECIMAL_PATTERN, without the regex engine's per-call cost.
    if value.isdigit():
        return True
    unsigned = value[1:] if value[:1] == b"-" else value
    return unsigned.replace(b".", b"", 1).isdigit()


def _signed(value: bytes) -> bool:
    return value.isdigit() or _SIGNED_INT(value) is not None


_BOOLEAN = frozenset({b"Y", b"N"}).__contains__

_BY_TYPE: dict[str, ValueCheck | None] = {
    "INT": _signed,
    "LENGTH": bytes.isdigit,
    "SEQNUM": bytes.isdigit,
    "NUMINGROUP": bytes.isdigit,
    "TAGNUM": bytes.isdigit,
    "DAYOFMONTH": _DAY_OF_MONTH,
    "PRICE": _decimal,
    "QTY": _decimal,
    "AMT": _decimal,
    "FLOAT": _decimal,
    "PERCENTAGE": _decimal,
    "PRICEOFFSET": _decimal,
    "CHAR": _char,
    "BOOLEAN": _BOOLEAN,
    "UTCTIMESTAMP": _TIMESTAMP,
    "UTCTIMEONLY": _TIME_ONLY,
    "UTCDATEONLY": _DATE_ONLY,
    "UTCDATE": _DATE_ONLY,
    "LOCALMKTDATE": _DATE_ONLY,
    "MONTHYEAR": _MONTH_YEAR,
    "TZTIMEONLY": _TZ_TIME,
    # Free text and codes the standard does not constrain further.
    "STRING": None,
    "DATA": None,
    "CURRENCY": None,
    "EXCHANGE": None,
    "COUNTRY": None,
    "LANGUAGE": None,
    "XMLDATA": None,
    "MULTIPLEVALUESTRING": None,
    "MULTIPLESTRINGVALUE": None,
    "MULTIPLECHARVALUE": None,
}


def check_for_type(fix_type: str) -> ValueCheck | None:
    """Return the format check of ``fix_type`` (None: any value is well formed).

    Types this module does not know are treated as free text, so a counterparty dictionary
    with its own type names still loads.
    """
    return _BY_TYPE.get(fix_type.upper())


def enum_check(fix_type: str, values: frozenset[bytes]) -> ValueCheck:
    """Return the check of an enumerated field: one allowed value, or several (space-separated).

    For the MULTIPLE* types every space-separated item must be an allowed value; for the
    others the whole value must be one.
    """
    if fix_type.upper().startswith("MULTIPLE"):
        contains = values.__contains__

        def check_each(value: bytes) -> bool:
            return all(contains(item) for item in value.split(b" "))

        return check_each
    return values.__contains__
