"""The quick paths of parsing, framing and validation agree with the careful ones."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.fix import codec
from ordergate.fix.codec import (
    RAW_DATA_TAGS,
    FixParseError,
    FrameParser,
    Garbled,
    checksum,
    encode,
    encode_fields,
    parse,
)
from ordergate.fix.dictionary import DictionaryExtensions, SessionRejectReason, load_dictionary
from ordergate.fix.dictionary import dictionary as dictionary_module
from ordergate.fix.dictionary.checker import find_issue
from ordergate.fix.message import FixMessage
from tests.fix.codec.helpers import EXECUTION_REPORT_42, EXECUTION_REPORT_44, NEW_ORDER_44, soh
from tests.fix.codec.test_properties import mutated_messages

_RAW = set(RAW_DATA_TAGS) | set(RAW_DATA_TAGS.values())
tags = st.integers(min_value=1, max_value=30_000).filter(lambda t: t not in _RAW | {8, 9, 10})
# Values with "=" (a field-by-field split) and empty values included.
values = st.binary(max_size=12).filter(lambda v: b"\x01" not in v)


def wire(fields: list[tuple[int, bytes]]) -> bytes:
    """Fields as they are, without recomputing BodyLength or CheckSum."""
    return b"".join(b"%d=%s\x01" % (tag, value) for tag, value in fields)


@settings(max_examples=300)
@given(body=st.lists(st.tuples(tags, values), max_size=30))
def test_every_parse_path_reads_the_same_fields(body: list[tuple[int, bytes]]) -> None:
    data = encode(FixMessage([(8, b"FIX.4.4"), *body]))

    message = parse(data)

    assert message.fields == codec._parse_careful(data)
    for tag, _ in message.fields:
        assert message.get(tag) == next(v for t, v in message.fields if t == tag)


def test_a_plain_frame_keeps_its_tag_line_and_values() -> None:
    message = parse(wire([(8, b"FIX.4.4"), (9, b"5"), (35, b"0"), (10, b"000")]))

    assert message.wire_layout() == (b"8\x019\x0135\x0110", [b"FIX.4.4", b"5", b"0", b"000"])


@pytest.mark.parametrize(
    "text",
    [
        "8=FIX.4.4|9=5|35=D|58=a=b|10=000|",  # "=" in a value
        "8=FIX.4.4|9=5|35=D|95=3|96=a\x01b|10=000|",  # raw data
        "8=FIX.4.4|9=5|035=D|10=000|",  # a tag with a leading zero
    ],
)
def test_frames_off_the_quickest_path_parse_the_same(text: str) -> None:
    data = soh(text)

    message = parse(data)

    assert message.fields == codec._parse_careful(data)
    assert message.wire_layout() is None


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("8=FIX.4.4|9=5|35=D|58=a=b|55|10=000|", "malformed tag"),  # as many "=" as SOH
        ("8=FIX.4.4|9=5|35=D|55=A|10=000|x", "without '='"),  # bytes after the last SOH
    ],
)
def test_a_field_without_equals_is_refused_even_when_the_counts_add_up(
    text: str, match: str
) -> None:
    with pytest.raises(FixParseError, match=match):
        parse(soh(text))


def test_layout_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_LAYOUTS", {})
    monkeypatch.setattr(codec, "_MAX_LAYOUTS", 3)
    frames = [wire([(8, b"FIX.4.4"), (9, b"1"), (35, b"0"), (tag, b"x")]) for tag in range(1, 9)]

    for data in frames * 2:
        assert parse(data).fields[3][1] == b"x"
        assert len(codec._LAYOUTS) <= 3


def test_changing_a_parsed_message_drops_its_wire_layout() -> None:
    dictionary = load_dictionary("FIX.4.4")
    message = parse(encode(FixMessage([(8, b"FIX.4.4"), *NEW_ORDER_44])))
    assert message.wire_layout() is not None
    assert dictionary.validate(message) is None

    message.set(54, "Z")

    assert message.wire_layout() is None
    issue = dictionary.validate(message)
    assert issue is not None
    assert issue.reason is SessionRejectReason.VALUE_IS_INCORRECT
    message.fields = [(t, v) for t, v in message.fields if t != 11]
    assert message.get(11) is None
    issue = dictionary.validate(message)
    assert issue is not None
    assert issue.reason is SessionRejectReason.REQUIRED_TAG_MISSING


@settings(max_examples=500)
@given(case=mutated_messages())
def test_validating_a_parsed_message_agrees_with_the_complete_walk(
    case: tuple[bytes, list[tuple[int, bytes]]],
) -> None:
    begin, fields = case
    dictionary = load_dictionary(begin.decode())
    try:
        message = parse(wire(fields))
    except FixParseError:
        return

    issue = dictionary.validate(message)

    assert issue == find_issue(message.fields, dictionary._messages, dictionary._tables)
    assert dictionary.validate(FixMessage(list(message.fields))) == issue


@pytest.mark.parametrize("fields", [EXECUTION_REPORT_42, EXECUTION_REPORT_44])
@pytest.mark.parametrize("count", [b"02", b"2"])
def test_group_count_with_a_leading_zero_is_valid(
    fields: list[tuple[int, bytes]], count: bytes
) -> None:
    begin = b"FIX.4.2" if fields is EXECUTION_REPORT_42 else b"FIX.4.4"
    count_tag = 382 if fields is EXECUTION_REPORT_42 else 453
    changed = [(t, count if t == count_tag else v) for t, v in fields]
    dictionary = load_dictionary(begin.decode())
    message = parse(encode(FixMessage([(8, begin), *changed])))

    assert dictionary.validate(message) is None
    assert find_issue(message.fields, dictionary._messages, dictionary._tables) is None


def test_plan_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictionary_module, "_MAX_PLANS", 2)
    dictionary = load_dictionary("FIX.4.4", DictionaryExtensions())  # a fresh one
    extra = [(58, b"x"), (207, b"XNAS"), (15, b"USD"), (21, b"1")]
    for i in range(len(extra) + 1):
        message = parse(encode(FixMessage([(8, b"FIX.4.4"), *NEW_ORDER_44, *extra[:i]])))
        assert dictionary.validate(message) is None
        _, plans = dictionary._by_wire_type[b"D"]
        assert len(plans) <= 2


@pytest.mark.parametrize("size", [1, 255, 256, 257, 515, 516, 1030, 1031, 4000])
@pytest.mark.parametrize("top", [0x7F, 0xFF])
def test_checksum_is_exact_at_every_length(size: int, top: int) -> None:
    data = bytes(top - (i % 7) for i in range(size))

    for form in (data, bytearray(data), memoryview(data)):
        assert checksum(form) == sum(data) % 256


@pytest.mark.parametrize(
    ("trailer", "reason"),
    [
        (b"10=256\x01", "CheckSum(10) does not match"),
        (b"10=2a5\x01", "CheckSum(10) does not match"),
        (b"10=-12\x01", "CheckSum(10) does not match"),
        (b"11=000\x01", "BodyLength(9) does not lead to CheckSum(10)"),
        (b"10=000x", "BodyLength(9) does not lead to CheckSum(10)"),
    ],
)
def test_trailers_that_do_not_parse_are_garbled(trailer: bytes, reason: str) -> None:
    good = encode_fields(b"FIX.4.4", [(35, b"0")])
    parser = FrameParser()
    parser.append(good[:-7] + trailer + good)

    first, second = parser.next_frame(), parser.next_frame()

    assert isinstance(first, Garbled)
    assert first.reason == reason
    assert second == good


def test_long_frames_pass_the_checksum() -> None:
    for text in (b"x" * 600, bytes(range(128, 256)) * 5):
        data = encode_fields(b"FIX.4.4", [(35, b"0"), (58, text.replace(b"\x01", b"y"))])
        parser = FrameParser()
        parser.append(data)
        assert parser.next_frame() == data
