"""FrameParser: partial and coalesced reads, garbled frames and resynchronisation."""

from __future__ import annotations

import pytest

from ordergate.fix.codec import FrameParser, Garbled, encode_fields
from tests.fix.codec.helpers import EXECUTION_REPORT_44, NEW_ORDER_42, frame

ORDER = frame(b"FIX.4.2", NEW_ORDER_42)
REPORT = frame(b"FIX.4.4", EXECUTION_REPORT_44)
RAW = encode_fields(b"FIX.4.4", [(35, b"A"), (95, b"7"), (96, b"8=FIX\x01x"), (98, b"0")])


def drain(parser: FrameParser) -> list[bytes | Garbled]:
    out: list[bytes | Garbled] = []
    while (item := parser.next_frame()) is not None:
        out.append(item)
    return out


def frames_of(items: list[bytes | Garbled]) -> list[bytes]:
    return [item for item in items if isinstance(item, bytes)]


def test_one_read_one_frame() -> None:
    parser = FrameParser()
    parser.append(ORDER)

    assert drain(parser) == [ORDER]
    assert parser.buffered() == 0


@pytest.mark.parametrize("data", [ORDER, REPORT, RAW], ids=["order", "report", "raw"])
def test_every_split_point_of_a_frame_yields_it_once(data: bytes) -> None:
    for cut in range(1, len(data)):
        parser = FrameParser()
        parser.append(data[:cut])
        first = drain(parser)
        parser.append(data[cut:])

        assert first == [], cut
        assert drain(parser) == [data], cut


def test_byte_by_byte_delivery_of_several_frames() -> None:
    stream = ORDER + RAW + REPORT
    parser = FrameParser()
    out: list[bytes | Garbled] = []
    for i in range(len(stream)):
        parser.append(stream[i : i + 1])
        out.extend(drain(parser))

    assert out == [ORDER, RAW, REPORT]


def test_coalesced_frames_in_one_read() -> None:
    parser = FrameParser()
    parser.append(ORDER + REPORT + ORDER + RAW[:20])

    assert drain(parser) == [ORDER, REPORT, ORDER]
    assert parser.buffered() == 20
    parser.append(RAW[20:])
    assert drain(parser) == [RAW]


def test_junk_before_begin_string_is_reported_then_skipped() -> None:
    parser = FrameParser()
    parser.append(b"hello\x01" + ORDER)

    first, second = drain(parser)

    assert isinstance(first, Garbled)
    assert first.data == b"hello\x01"
    assert first.reason == "bytes before BeginString"
    assert second == ORDER


def test_junk_without_begin_string_keeps_a_possible_start() -> None:
    parser = FrameParser()
    parser.append(b"noise8")

    (garbled,) = drain(parser)
    parser.append(ORDER[1:])

    assert isinstance(garbled, Garbled)
    assert garbled.data == b"noise"
    assert drain(parser) == [ORDER]


def test_bad_checksum_is_garbled_and_the_next_frame_survives() -> None:
    body_end = ORDER.rindex(b"10=")
    wrong = b"%03d" % ((int(ORDER[body_end + 3 : body_end + 6]) + 1) % 256)
    bad = ORDER[: body_end + 3] + wrong + b"\x01"
    parser = FrameParser()
    parser.append(bad + REPORT)

    first, second = drain(parser)

    assert isinstance(first, Garbled)
    assert first.reason == "CheckSum(10) does not match"
    assert first.data == bad
    assert second == REPORT


def test_checksum_above_255_is_garbled() -> None:
    body_end = ORDER.rindex(b"10=")
    stated = int(ORDER[body_end + 3 : body_end + 6])
    assert stated + 256 <= 999, "ORDER's checksum must have a three-digit alias"
    bad = ORDER[: body_end + 3] + b"%03d" % (stated + 256) + b"\x01"
    parser = FrameParser()
    parser.append(bad)

    (garbled,) = drain(parser)

    assert isinstance(garbled, Garbled)


@pytest.mark.parametrize("delta", [-3, -1, 1, 5])
def test_wrong_body_length_is_garbled_and_resynchronises(delta: int) -> None:
    length = int(ORDER.split(b"\x01")[1][2:])
    bad = ORDER.replace(b"\x019=%d\x01" % length, b"\x019=%d\x01" % (length + delta), 1)
    parser = FrameParser()
    parser.append(bad + REPORT)

    items = drain(parser)

    assert all(isinstance(item, Garbled) for item in items[:-1])
    assert items[-1] == REPORT
    assert b"".join(i.data for i in items if isinstance(i, Garbled)) == bad


@pytest.mark.parametrize(
    "bad",
    [
        b"8=FIX.4.2\x0135=D\x0110=000\x01",
        b"8=FIX.4.2\x019=abc\x0135=D\x0110=000\x01",
        b"8=FIX.4.2\x019=1234567890123\x0135=D\x0110=000\x01",
        b"8=\x019=5\x0135=D\x0110=000\x01",
        b"8=" + b"F" * 60 + b"\x019=5\x01",
        b"8=FIX.4.2\x019=" + b"1" * 20,
    ],
    ids=["no-9", "9-not-number", "9-too-long", "empty-8", "long-8", "9-unterminated"],
)
def test_malformed_headers_are_garbled_and_resynchronise(bad: bytes) -> None:
    parser = FrameParser()
    parser.append(bad + ORDER)

    items = drain(parser)

    assert items[-1] == ORDER
    assert all(isinstance(item, Garbled) for item in items[:-1])


def test_body_length_above_the_limit_is_garbled_without_waiting() -> None:
    parser = FrameParser(max_body_length=len(ORDER) - 8)
    assert len(REPORT) > len(ORDER) + 100
    parser.append(REPORT + ORDER)

    items = drain(parser)

    assert isinstance(items[0], Garbled)
    assert items[0].reason == "BodyLength(9) is not a number in range"
    assert items[-1] == ORDER


def test_a_partial_frame_waits_without_rescanning() -> None:
    parser = FrameParser()
    parser.append(REPORT[:30])
    assert parser.next_frame() is None
    for i in range(30, len(REPORT) - 1):
        parser.append(REPORT[i : i + 1])
        assert parser.next_frame() is None

    parser.append(REPORT[-1:])

    assert parser.next_frame() == REPORT
    assert parser.next_frame() is None
    assert parser.buffered() == 0


def test_garbled_frame_cut_before_next_begin_string_keeps_that_start() -> None:
    bad = ORDER.replace(b"35=D", b"35=E", 1)  # checksum no longer matches
    parser = FrameParser()
    parser.append(bad + ORDER[:3])

    (garbled,) = drain(parser)
    parser.append(ORDER[3:])

    assert isinstance(garbled, Garbled)
    assert drain(parser) == [ORDER]
