"""Encoding and parsing of single frames: exact bytes, BodyLength, CheckSum, raw data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordergate.fix.codec import FixParseError, checksum, encode, encode_fields, parse
from ordergate.fix.message import FixMessage
from tests.fix.codec.helpers import NEW_ORDER_42, frame, soh

LOGON = soh(
    "8=FIX.4.2|9=65|35=A|49=SERVER|56=CLIENT|34=177|52=20090107-18:15:16|98=0|108=30|10=062|"
)


def test_encode_fields_writes_body_length_and_checksum_exactly() -> None:
    fields = [
        (35, b"A"),
        (49, b"SERVER"),
        (56, b"CLIENT"),
        (34, b"177"),
        (52, b"20090107-18:15:16"),
        (98, b"0"),
        (108, b"30"),
    ]

    assert encode_fields(b"FIX.4.2", fields) == LOGON


def test_encode_computes_length_and_checksum_from_scratch() -> None:
    message = parse(LOGON)
    message.set(9, b"999")
    message.set(10, b"000")

    assert encode(message) == LOGON


def test_encode_checksum_is_the_byte_sum_modulo_256() -> None:
    data = frame(b"FIX.4.4", [*NEW_ORDER_42, (58, b"x" * 700)])
    body_end = data.rindex(b"10=")

    assert int(data[body_end + 3 : body_end + 6]) == sum(data[:body_end]) % 256
    assert int(data.split(b"\x01")[1][2:]) == body_end - data.index(b"\x0135=") - 1
    assert checksum(data[:body_end]) == sum(data[:body_end]) % 256


def test_encode_accepts_tags_beyond_the_precomputed_range() -> None:
    data = encode_fields(b"FIX.4.4", [(35, b"D"), (25001, b"x"), (11, b"A")])

    assert parse(data).fields[3:5] == [(25001, b"x"), (11, b"A")]


@pytest.mark.parametrize("tag", [0, -1])
def test_encode_refuses_an_invalid_tag_number(tag: int) -> None:
    with pytest.raises(ValueError, match="not a valid tag"):
        encode_fields(b"FIX.4.4", [(35, b"D"), (tag, b"x")])


def test_encode_requires_begin_string() -> None:
    with pytest.raises(ValueError, match="BeginString"):
        encode(FixMessage.of("D", (11, "A")))


def test_parse_keeps_wire_order_and_repeated_tags() -> None:
    message = parse(LOGON)

    assert [tag for tag, _ in message.fields] == [8, 9, 35, 49, 56, 34, 52, 98, 108, 10]
    assert message.msg_type == "A"
    assert message.get_int(108) == 30
    assert message.get(10) == b"062"


def test_parse_then_encode_is_identity_for_a_valid_frame() -> None:
    data = frame(b"FIX.4.2", NEW_ORDER_42)

    assert encode(parse(data)) == data


def test_parse_reads_raw_data_containing_soh_and_equals() -> None:
    raw = b"a\x01b=c\x0110=000\x01"
    data = encode_fields(b"FIX.4.4", [(35, b"A"), (95, b"%d" % len(raw)), (96, raw), (98, b"0")])

    message = parse(data)

    assert message.get(96) == raw
    assert message.get(98) == b"0"
    assert encode(message) == data


def test_parse_reads_every_length_data_pair() -> None:
    data = encode_fields(
        b"FIX.4.4", [(35, b"B"), (354, b"3"), (355, b"\x01\x01\x01"), (93, b"2"), (89, b"=\x01")]
    )

    message = parse(data)

    assert message.get(355) == b"\x01\x01\x01"
    assert message.get(89) == b"=\x01"


def test_parse_reads_tags_with_leading_zeros_and_large_numbers() -> None:
    message = parse(soh("8=FIX.4.4|9=5|035=D|30001=x|10=000|"))

    assert message.fields[2:4] == [(35, b"D"), (30001, b"x")]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("8=FIX.4.4|9=5|35=D|abc=1|10=000|", "malformed tag"),
        ("8=FIX.4.4|9=5|35=D|55|10=000|", "malformed tag"),
        ("8=FIX.4.4|9=5|35=D|=1|10=000|", "malformed tag"),
        ("8=FIX.4.4|9=5|35=D|10=000", "does not end with SOH"),
        ("8=FIX.4.4|9=5|35=D|95=10|96=short|10=000|", "does not match its length"),
        ("8=FIX.4.4|9=5|35=D|95=1|96=toolong|10=000|", "does not match its length"),
        ("8=FIX.4.4|9=5|35=D|55=A", "does not end with SOH"),
        ("8=FIX.4.4|9=5|35", "without '='"),
    ],
)
def test_parse_refuses_malformed_fields(text: str, match: str) -> None:
    with pytest.raises(FixParseError, match=match):
        parse(soh(text))


def test_raw_data_length_that_is_not_a_number_reads_data_as_ordinary_field() -> None:
    message = parse(soh("8=FIX.4.4|9=5|35=D|95=x|96=abc|10=000|"))

    assert message.get(96) == b"abc"


def test_message_accessors_convert_on_demand() -> None:
    message = FixMessage.of("D", (44, Decimal("190.25")), (38, 100), (43, True), (58, "héllo"))

    assert message.get_decimal(44) == Decimal("190.25")
    assert message.get_int(38) == 100
    assert message.get_bool(43) is True
    assert message.get_str(58) == "héllo"
    assert message.get(9999) is None
    assert 44 in message
    assert 9999 not in message


def test_add_group_writes_count_then_instances_in_order() -> None:
    message = FixMessage.of("D", (11, "A"))

    message.add_group(453, [[(448, "P1"), (447, "D"), (452, 1)], [(448, "P2"), (452, 3)]])

    assert message.fields[2:] == [
        (453, b"2"),
        (448, b"P1"),
        (447, b"D"),
        (452, b"1"),
        (448, b"P2"),
        (452, b"3"),
    ]
    assert message.get_all(448) == [b"P1", b"P2"]


def test_set_index_is_used_by_getters() -> None:
    message = parse(LOGON)

    message.set_index(dict(message.fields))

    assert message.get(49) == b"SERVER"
    message.set(49, "OTHER")
    assert message.get(49) == b"OTHER"
