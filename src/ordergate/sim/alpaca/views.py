"""The simulated broker's account, positions, assets and clock as Alpaca's JSON shows them.

Pure functions of the broker's state and the time. The simulated market never closes, so
the clock is always open and the next open and close are a day away.
"""

from __future__ import annotations

from decimal import Decimal

from ordergate.domain.values import ZERO, strip_zeros
from ordergate.sim.alpaca.broker import ACCOUNT_ID, AlpacaBroker
from ordergate.sim.alpaca.ledger import Position
from ordergate.sim.alpaca.records import asset_id, rfc3339
from ordergate.sim.alpaca.schemas import AccountJson, AssetJson, ClockJson, PositionJson

__all__ = ["account_json", "asset_json", "clock_json", "position_json"]

_DAY_NS = 86_400 * 1_000_000_000
_EXCHANGES = {"SPY": "ARCA"}  # everything else in the demo universe lists on NASDAQ
_CENT = Decimal("0.01")


def position_json(broker: AlpacaBroker, position: Position) -> PositionJson:
    """Return one open position, valued at the broker's reference price."""
    price = broker.reference_price(position.symbol)
    qty = position.qty
    cost = qty * position.avg_entry_price
    value = qty * price
    pnl = value - cost
    pnl_pc = ZERO if cost == 0 else pnl / abs(cost)
    return PositionJson(
        asset_id=asset_id(position.symbol),
        symbol=position.symbol,
        exchange=_EXCHANGES.get(position.symbol, "NASDAQ"),
        asset_class="us_equity",
        asset_marginable=True,
        avg_entry_price=strip_zeros(position.avg_entry_price),
        qty=qty,
        qty_available=qty,
        side="long" if qty > 0 else "short",
        market_value=strip_zeros(value),
        cost_basis=strip_zeros(cost),
        unrealized_pl=strip_zeros(pnl),
        unrealized_plpc=strip_zeros(pnl_pc),
        unrealized_intraday_pl=strip_zeros(pnl),
        unrealized_intraday_plpc=strip_zeros(pnl_pc),
        current_price=strip_zeros(price),
        lastday_price=strip_zeros(price),
        change_today=ZERO,
    )


def account_json(broker: AlpacaBroker, created_ns: int) -> AccountJson:
    """Return the account: cash, buying power and the value of its positions."""
    long_value = ZERO
    short_value = ZERO
    for position in broker.ledger.positions():
        value = position.qty * broker.reference_price(position.symbol)
        if value > 0:
            long_value += value
        else:
            short_value += value
    cash = broker.ledger.cash
    equity = cash + long_value + short_value
    buying_power = strip_zeros(broker.buying_power())
    return AccountJson(
        id=ACCOUNT_ID,
        account_number="PA3SIM000001",
        status="ACTIVE",
        crypto_status="INACTIVE",
        currency="USD",
        buying_power=buying_power,
        regt_buying_power=buying_power,
        daytrading_buying_power=ZERO,
        non_marginable_buying_power=buying_power,
        options_buying_power=ZERO,
        cash=strip_zeros(cash),
        accrued_fees=ZERO,
        pending_transfer_in=ZERO,
        portfolio_value=strip_zeros(equity),
        pattern_day_trader=False,
        trading_blocked=False,
        transfers_blocked=False,
        account_blocked=False,
        created_at=rfc3339(created_ns),
        trade_suspended_by_user=False,
        multiplier="1",
        shorting_enabled=True,
        equity=strip_zeros(equity),
        last_equity=strip_zeros(equity),
        long_market_value=strip_zeros(long_value),
        short_market_value=strip_zeros(short_value),
        initial_margin=ZERO,
        maintenance_margin=ZERO,
        last_maintenance_margin=ZERO,
        sma=ZERO,
        daytrade_count=0,
    )


def asset_json(broker: AlpacaBroker, symbol: str) -> AssetJson:
    """Return the asset ``symbol`` trades as (the broker must trade it)."""
    instrument = broker.instruments[symbol]
    return AssetJson(
        id=asset_id(symbol),
        asset_class="us_equity",
        exchange=_EXCHANGES.get(symbol, "NASDAQ"),
        symbol=symbol,
        name=symbol,
        status="active",
        tradable=True,
        marginable=True,
        shortable=True,
        easy_to_borrow=True,
        fractionable=False,
        min_order_size=instrument.min_quantity,
        min_trade_increment=instrument.lot_size,
        price_increment=instrument.tick_size,
        attributes=[],
    )


def clock_json(now: int) -> ClockJson:
    """Return the market clock: always open in the simulator."""
    return ClockJson(
        timestamp=rfc3339(now),
        is_open=True,
        next_open=rfc3339(now + _DAY_NS),
        next_close=rfc3339(now + _DAY_NS),
    )
