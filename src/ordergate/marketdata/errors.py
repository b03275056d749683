"""Why a market data message was refused.

A normalizer raises :class:`MarketDataError` for anything it cannot turn into correct
normalized data; the stream processor counts it and applies nothing from that message.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BadPayload", "MarketDataError"]


class BadPayload(StrEnum):
    """The kind of fault in a refused message."""

    MALFORMED = "MALFORMED"  # not JSON, or not the shape of any known message
    WRONG_TYPE = "WRONG_TYPE"  # a field of the wrong JSON type or a number that does not parse
    INVALID_NUMBER = "INVALID_NUMBER"  # NaN, infinity, a negative size, a non-positive price
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"  # a symbol the stream was not configured with
    UNKNOWN_MESSAGE = "UNKNOWN_MESSAGE"  # valid JSON of a kind this normalizer does not handle


class MarketDataError(Exception):
    """A market data message that cannot be normalized.

    Parameters
    ----------
    kind
        The kind of fault.
    detail
        What exactly is wrong, for people.
    """

    def __init__(self, kind: BadPayload, detail: str) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail
