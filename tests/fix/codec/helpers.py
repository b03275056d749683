"""Valid FIX 4.2 / 4.4 messages to start tests from, and small builders."""

from __future__ import annotations

from ordergate.fix.codec import encode_fields, parse
from ordergate.fix.message import FixMessage

SENDING_TIME = b"20240102-10:11:12.123"

HEADER = [(49, b"CLIENT1"), (56, b"BROKER1"), (34, b"12"), (52, SENDING_TIME)]

NEW_ORDER_42 = [
    (35, b"D"),
    *HEADER,
    (11, b"ORD-1"),
    (1, b"ACCT1"),
    (21, b"1"),
    (55, b"AAPL"),
    (54, b"1"),
    (60, SENDING_TIME),
    (38, b"100"),
    (40, b"2"),
    (44, b"190.25"),
    (59, b"0"),
]

NEW_ORDER_44 = [
    (35, b"D"),
    *HEADER,
    (11, b"ORD-1"),
    (1, b"ACCT1"),
    (55, b"AAPL"),
    (54, b"1"),
    (60, SENDING_TIME),
    (38, b"100"),
    (40, b"2"),
    (44, b"190.25"),
    (59, b"0"),
]

EXECUTION_REPORT_42 = [
    (35, b"8"),
    *HEADER,
    (37, b"EX-1"),
    (11, b"ORD-1"),
    (17, b"EXEC-1"),
    (20, b"0"),
    (150, b"2"),
    (39, b"2"),
    (55, b"AAPL"),
    (54, b"1"),
    (38, b"100"),
    (32, b"100"),
    (31, b"190.25"),
    (151, b"0"),
    (14, b"100"),
    (6, b"190.25"),
    (382, b"2"),
    (375, b"BRKA"),
    (437, b"60"),
    (375, b"BRKB"),
    (337, b"T-9"),
    (437, b"40"),
]

#: NoMiscFees(136) as many FIX 4.2 counterparties add it to ExecutionReport(8) (the FIX 4.2
#: dictionary has it only inside Allocation(J) NoAllocs(78)).
MISC_FEES = [(136, b"2"), (137, b"1.50"), (138, b"USD"), (139, b"1"), (137, b"0.25"), (139, b"2")]

EXECUTION_REPORT_44 = [
    (35, b"8"),
    *HEADER,
    (37, b"EX-1"),
    (11, b"ORD-1"),
    (453, b"2"),
    (448, b"BROKER-A"),
    (447, b"D"),
    (452, b"1"),
    (802, b"2"),
    (523, b"DESK-7"),
    (803, b"1"),
    (523, b"+44 20 0000"),
    (803, b"9"),
    (448, b"CLIENT-B"),
    (447, b"D"),
    (452, b"3"),
    (17, b"EXEC-1"),
    (150, b"F"),
    (39, b"2"),
    (55, b"AAPL"),
    (54, b"1"),
    (38, b"100"),
    (32, b"100"),
    (31, b"190.25"),
    (151, b"0"),
    (14, b"100"),
    (6, b"190.25"),
    (136, b"1"),
    (137, b"0.75"),
    (139, b"4"),
    (891, b"0"),
]


def frame(begin: bytes, fields: list[tuple[int, bytes]]) -> bytes:
    """Encode ``fields`` (MsgType first) as a complete frame."""
    return encode_fields(begin, fields)


def message(begin: bytes, fields: list[tuple[int, bytes]]) -> FixMessage:
    """Return the parsed message of ``fields``: what validation sees from the wire."""
    return parse(frame(begin, fields))


def replace(
    fields: list[tuple[int, bytes]], tag: int, value: bytes | None
) -> list[tuple[int, bytes]]:
    """Return ``fields`` with the first ``tag`` given ``value`` (None: removed)."""
    out = list(fields)
    for i, (t, _) in enumerate(out):
        if t == tag:
            if value is None:
                del out[i]
            else:
                out[i] = (tag, value)
            return out
    raise AssertionError(f"no tag {tag}")


def soh(text: str) -> bytes:
    """Return ``text`` with | as the SOH delimiter, as bytes."""
    return text.replace("|", "\x01").encode("latin-1")
