"""alpaca-py, imported once for the whole adapter.

alpaca-py's ``TradingStream`` imports ``websockets.legacy``, which websockets 14+ marks
deprecated with a DeprecationWarning at import time; that warning is about alpaca-py, not
about us, so it is silenced for this one import and nowhere else.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="websockets.legacy is deprecated", category=DeprecationWarning
    )
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderStatus as AlpacaOrderStatus
    from alpaca.trading.enums import TradeEvent
    from alpaca.trading.stream import TradingStream

__all__ = ["APIError", "AlpacaOrderStatus", "TradeEvent", "TradingClient", "TradingStream"]
