"""Requests to a FIX venue: NewOrderSingle, cancel, replace, status, mass cancel (4.2 and 4.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.domain.values import OrderStatus, OrderType, Side, TimeInForce
from ordergate.fix.codec import encode, parse
from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.message import FixMessage
from ordergate.fix.venue.book import ClOrdIdBook
from ordergate.fix.venue.codes import (
    ORD_STATUS,
    ORD_TYPE,
    SIDE,
    TIME_IN_FORCE,
    FixMappingError,
    format_utc_timestamp,
    ord_status_of,
    ord_type_of,
    parse_utc_timestamp,
    side_of,
    time_in_force_of,
)
from ordergate.fix.venue.outbound import (
    cancel_request,
    mass_cancel_request,
    new_order_single,
    replace_request,
    status_request,
)
from ordergate.venues.base import ReplaceRequest
from tests.fix.venue.helpers import NOW, as_dict, config, order

VERSIONS = ["FIX.4.2", "FIX.4.4"]


def _valid(begin_string: str, message: FixMessage) -> None:
    """Assert the message passes the standard dictionary of its version, as sent."""
    header = [(8, begin_string.encode()), (35, message.msg_type.encode())]
    header += [(49, b"CLIENT"), (56, b"EXCH"), (34, b"2"), (52, format_utc_timestamp(NOW))]
    body = [(t, v) for t, v in message.fields if t != 35]
    wire = parse(encode(FixMessage(header + body)))
    assert load_dictionary(begin_string).validate(wire) is None


@pytest.mark.parametrize("begin_string", VERSIONS)
def test_new_order_single_carries_every_term(begin_string: str) -> None:
    message = new_order_single(config(begin_string), order(), NOW)

    fields = as_dict(message)
    assert message.msg_type == "D"
    assert fields[11] == "O-1"
    assert fields[1] == "ACC"
    assert fields[55] == "AAPL"
    assert fields[54] == "1"
    assert fields[60] == "20231114-22:13:20.123"
    assert fields[38] == "100"
    assert fields[40] == "2"
    assert fields[44] == "190.25"
    assert fields[59] == "0"
    assert 99 not in fields
    assert 126 not in fields
    _valid(begin_string, message)


def test_handl_inst_only_on_fix42() -> None:
    assert as_dict(new_order_single(config("FIX.4.2"), order(), NOW))[21] == "1"
    assert 21 not in as_dict(new_order_single(config("FIX.4.4"), order(), NOW))


@pytest.mark.parametrize("begin_string", VERSIONS)
def test_stop_limit_gtd_order_has_stop_price_and_expire_time(begin_string: str) -> None:
    expire = NOW + 3_600_000_000_000
    message = new_order_single(
        config(begin_string),
        order(
            order_type=OrderType.STOP_LIMIT,
            stop_price=Decimal("191.5"),
            time_in_force=TimeInForce.GTD,
            expire_time=expire,
            side=Side.SELL,
        ),
        NOW,
    )

    fields = as_dict(message)
    assert (fields[40], fields[99], fields[59], fields[54]) == ("4", "191.5", "6", "2")
    assert fields[126] == "20231114-23:13:20.123"
    _valid(begin_string, message)


def test_market_order_has_no_price() -> None:
    message = new_order_single(
        config(), order(order_type=OrderType.MARKET, price=None, time_in_force=TimeInForce.IOC), NOW
    )
    fields = as_dict(message)
    assert (fields[40], fields[59]) == ("1", "3")
    assert 44 not in fields


def test_gtd_without_expire_time_is_refused() -> None:
    with pytest.raises(FixMappingError, match="ExpireTime"):
        new_order_single(config(), order(time_in_force=TimeInForce.GTD), NOW)


def test_non_positive_quantity_is_refused() -> None:
    with pytest.raises(FixMappingError, match="OrderQty"):
        new_order_single(config(), order(quantity=Decimal(0)), NOW)


def test_symbol_mapping_account_override_extra_tags_and_renames() -> None:
    cfg = config(
        symbols={"AAPL": "AAPL.O"},
        account="BROKER-7",
        extra_tags={"D": {100: "XNAS"}, "F": {100: "XNAS"}},
        tag_renames={1: 5001},
    )

    message = new_order_single(cfg, order(), NOW)

    fields = as_dict(message)
    assert fields[55] == "AAPL.O"
    assert fields[5001] == "BROKER-7"
    assert 1 not in fields
    assert fields[100] == "XNAS"


def test_cancel_request_uses_a_new_cl_ord_id_and_the_current_as_orig() -> None:
    book = ClOrdIdBook()
    working = book.open(order())
    book.adopt("O-1", "O-1", "EX-9")

    first = book.next_cl_ord_id(working)
    message = cancel_request(config("FIX.4.2"), working, first, NOW)

    fields = as_dict(message)
    assert message.msg_type == "F"
    assert (fields[11], fields[41], fields[37]) == ("O-1.1", "O-1", "EX-9")
    assert (fields[55], fields[54], fields[38]) == ("AAPL", "1", "100")
    assert book.order_id_of("O-1.1") == "O-1"
    _valid("FIX.4.2", message)


@pytest.mark.parametrize("begin_string", VERSIONS)
def test_replace_request_merges_new_terms_with_the_known_ones(begin_string: str) -> None:
    book = ClOrdIdBook()
    working = book.open(order())
    book.adopt("O-1", "O-1.3", None)  # the venue knows the order by an earlier replace's id

    cl_ord_id = book.next_cl_ord_id(working)
    message = replace_request(
        config(begin_string),
        working,
        ReplaceRequest(order_id="O-1", venue_order_id=None, symbol="AAPL", price=Decimal("189")),
        cl_ord_id,
        NOW,
    )

    fields = as_dict(message)
    assert cl_ord_id == "O-1.4"
    assert (fields[11], fields[41]) == ("O-1.4", "O-1.3")
    assert (fields[38], fields[44], fields[40], fields[59]) == ("100", "189", "2", "0")
    assert (21 in fields) is (begin_string == "FIX.4.2")
    _valid(begin_string, message)


@pytest.mark.parametrize("begin_string", VERSIONS)
def test_status_request(begin_string: str) -> None:
    book = ClOrdIdBook()
    working = book.open(order())

    message = status_request(config(begin_string), working, "S1")

    fields = as_dict(message)
    assert (message.msg_type, fields[11], fields[55], fields[54]) == ("H", "O-1", "AAPL", "1")
    assert fields.get(790) == ("S1" if begin_string == "FIX.4.4" else None)
    _valid(begin_string, message)


def test_mass_cancel_request_all_and_by_symbol() -> None:
    cfg = config(supports_mass_cancel=True, symbols={"AAPL": "AAPL.O"})

    everything = as_dict(mass_cancel_request(cfg, "MC1", None, NOW))
    one = mass_cancel_request(cfg, "MC2", "AAPL", NOW)

    assert (everything[11], everything[530]) == ("MC1", "7")
    assert 55 not in everything
    assert (as_dict(one)[530], as_dict(one)[55]) == ("1", "AAPL.O")
    _valid("FIX.4.4", one)


def test_mass_cancel_refused_when_the_counterparty_does_not_take_it() -> None:
    with pytest.raises(FixMappingError, match="does not take"):
        mass_cancel_request(config(), "MC1", None, NOW)


# -- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"begin_string": "FIX.4.3"}, "begin_string"),
        ({"name": ""}, "must not be empty"),
        ({"endpoints": []}, "endpoint"),
        ({"endpoints": [("127.0.0.1", 0)]}, "port"),
        ({"heartbeat_interval": 0}, "heartbeat"),
        ({"begin_string": "FIX.4.2", "supports_mass_cancel": True}, "FIX 4.2"),
        ({"tag_renames": {34: 5000}}, "session-level"),
        ({"extra_tags": {"D": {52: "x"}}}, "session-level"),
        ({"symbols": {"AAPL": "X", "MSFT": "X"}}, "same counterparty symbol"),
    ],
)
def test_bad_config_is_refused(overrides: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        config(**overrides)


def test_config_session_is_an_initiator_with_our_comp_ids() -> None:
    session = config("FIX.4.2", heartbeat_interval=5).session_config()
    assert session.session_id == "FIX.4.2:CLIENT->EXCH"
    assert (session.role.value, session.heartbeat_interval) == ("initiator", 5)


# -- code tables ------------------------------------------------------------------------


def test_every_domain_value_has_a_fix_code_and_back() -> None:
    for side in Side:
        assert side_of(SIDE[side]) is side
    for order_type in OrderType:
        assert ord_type_of(ORD_TYPE[order_type]) is order_type
    for tif in TimeInForce:
        assert time_in_force_of(TIME_IN_FORCE[tif]) is tif
    for status, code in ORD_STATUS.items():
        assert ord_status_of(code) is status
    assert set(ORD_STATUS) == set(OrderStatus)


@pytest.mark.parametrize(
    ("function", "value"),
    [(side_of, b"5"), (ord_type_of, b"P"), (time_in_force_of, b"2"), (ord_status_of, b"Z")],
)
def test_unsupported_codes_are_refused_by_name(function: object, value: bytes) -> None:
    with pytest.raises(FixMappingError, match="not supported"):
        function(value)  # type: ignore[operator]


def test_missing_code_is_refused() -> None:
    with pytest.raises(FixMappingError, match="missing"):
        side_of(None)


def test_absent_time_in_force_is_day() -> None:
    assert time_in_force_of(None) is TimeInForce.DAY


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("20231114-22:13:20", 1_700_000_000_000_000_000),
        ("20231114-22:13:20.123", 1_700_000_000_123_000_000),
        ("20231114-22:13:20.123456789", 1_700_000_000_123_456_789),
    ],
)
def test_utc_timestamps_parse_at_every_precision(text: str, ns: int) -> None:
    assert parse_utc_timestamp(text.encode()) == ns


@pytest.mark.parametrize(
    "text", ["2023-11-14", "20231114-22:13:20.12x", "20231114-22:13:20.1234567890"]
)
def test_bad_utc_timestamps_are_refused(text: str) -> None:
    with pytest.raises(FixMappingError, match="UTCTimestamp"):
        parse_utc_timestamp(text.encode())
