"""Properties: round trips, no crash on hostile bytes, fast and complete validation agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ordergate.fix.codec import RAW_DATA_TAGS, FixParseError, FrameParser, Garbled, encode, parse
from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.dictionary.checker import find_issue
from ordergate.fix.message import FixMessage
from tests.fix.codec.helpers import (
    EXECUTION_REPORT_42,
    EXECUTION_REPORT_44,
    NEW_ORDER_42,
    NEW_ORDER_44,
    frame,
)

_RAW = set(RAW_DATA_TAGS) | set(RAW_DATA_TAGS.values())
tags = st.integers(min_value=1, max_value=100_000).filter(lambda t: t not in _RAW | {8, 9, 10})
values = st.binary(max_size=30).filter(lambda v: b"\x01" not in v)

SAMPLES = [
    (b"FIX.4.2", NEW_ORDER_42),
    (b"FIX.4.4", NEW_ORDER_44),
    (b"FIX.4.2", EXECUTION_REPORT_42),
    (b"FIX.4.4", EXECUTION_REPORT_44),
]
VALID_FRAMES = [frame(begin, fields) for begin, fields in SAMPLES]


@settings(max_examples=300)
@given(
    begin=st.sampled_from([b"FIX.4.2", b"FIX.4.4", b"FIXT.1.1"]),
    body=st.lists(st.tuples(tags, values), max_size=40),
)
def test_parse_inverts_encode(begin: bytes, body: list[tuple[int, bytes]]) -> None:
    message = FixMessage([(8, begin), *body])

    data = encode(message)

    assert parse(data) == message
    parser = FrameParser()
    parser.append(data)
    assert parser.next_frame() == data


def _consume(data: bytes, pieces: list[int]) -> None:
    parser = FrameParser()
    dictionaries = [load_dictionary("FIX.4.2"), load_dictionary("FIX.4.4")]
    start = 0
    for size in [*pieces, len(data)]:
        parser.append(data[start : start + size])
        start += size
        while (item := parser.next_frame()) is not None:
            if isinstance(item, Garbled):
                continue
            try:
                message = parse(item)
            except FixParseError:
                continue
            for dictionary in dictionaries:
                dictionary.validate(message)
                if dictionary.group(message.msg_type, 453) is not None:
                    dictionary.groups(message, 453)


@settings(max_examples=300)
@given(data=st.binary(max_size=400), pieces=st.lists(st.integers(0, 64), max_size=8))
def test_random_bytes_never_crash(data: bytes, pieces: list[int]) -> None:
    _consume(data, pieces)


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID_FRAMES)) * draw(st.integers(1, 2)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from([b"\x01", b"=", b"8=FIX.4.4\x01", b"9=", b"10=", b"x"])
            )
        elif at < len(data):
            del data[at]
    return bytes(data)


@settings(max_examples=400)
@given(data=mutated_frames(), pieces=st.lists(st.integers(0, 64), max_size=8))
def test_mutated_frames_never_crash(data: bytes, pieces: list[int]) -> None:
    _consume(data, pieces)


POOL_TAGS = [0, 1, 11, 38, 44, 54, 55, 60, 108, 382, 375, 448, 447, 452, 453, 523, 802, 803, 7777]
POOL_VALUES = [b"", b"x", b"0", b"1", b"2", b"-1", b"1.5", b"D", b"Z", b"20240102-10:11:12"]


@st.composite
def mutated_messages(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, bytes]]]:
    begin, fields = draw(st.sampled_from(SAMPLES))
    wire = list(parse(frame(begin, fields)).fields)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["delete", "duplicate", "value", "insert", "swap"]))
        at = draw(st.integers(0, len(wire) - 1))
        if kind == "delete":
            del wire[at]
        elif kind == "duplicate":
            wire.insert(at, wire[at])
        elif kind == "value":
            wire[at] = (wire[at][0], draw(st.sampled_from(POOL_VALUES)))
        elif kind == "insert":
            tag = draw(st.sampled_from(POOL_TAGS))
            wire.insert(at, (tag, draw(st.sampled_from(POOL_VALUES))))
        elif at + 1 < len(wire):
            wire[at], wire[at + 1] = wire[at + 1], wire[at]
        if not wire:
            break
    return begin, wire


@settings(max_examples=500)
@given(case=mutated_messages())
def test_fast_path_agrees_with_the_complete_walk(
    case: tuple[bytes, list[tuple[int, bytes]]],
) -> None:
    begin, fields = case
    dictionary = load_dictionary(begin.decode())

    issue = dictionary.validate(FixMessage(list(fields)))

    # The complete walk alone (the fast path only ever proves a message clean).
    assert issue == find_issue(fields, dictionary._messages, dictionary._tables)
