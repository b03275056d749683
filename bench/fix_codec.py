"""FIX codec throughput: encode, and parse with dictionary validation, against simplefix and
the QuickFIX binding.

Messages: a typical NewOrderSingle(D), an ExecutionReport(8), and an ExecutionReport with a
NoPartyIDs(453) group holding a nested NoPartySubIDs(802) group, all FIX 4.4.

- encode: a built message object to wire bytes (BodyLength and CheckSum computed).
- parse+validate: wire bytes to a message validated against the FIX 4.4 dictionary
  (ours: FrameParser + parse + Dictionary.validate; QuickFIX: Message(str, dd, True) +
  DataDictionary.validate). simplefix has no dictionary: its row is framing + parsing only.

Each figure is the best of three runs of ``--n`` messages, in messages per second. The same
frame is parsed over and over, so our per-layout caches (the tags of a layout, the
dictionary's plan for it) are warm, as in a session after its first few messages; nothing
is cached per value.

    .venv/bin/python bench/fix_codec.py --n 100000 [--spec /path/to/FIX44.xml]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ordergate.fix.codec import FrameParser, encode, encode_fields, parse
from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.message import FixMessage

NOW = b"20240102-10:11:12.123"
HEADER = [(49, b"CLIENT1"), (56, b"BROKER1"), (34, b"123456"), (52, NOW)]
MESSAGES: dict[str, list[tuple[int, bytes]]] = {
    "NewOrderSingle": [
        (35, b"D"),
        *HEADER,
        (11, b"ORD-000123"),
        (1, b"ACCT1"),
        (55, b"AAPL"),
        (54, b"1"),
        (60, NOW),
        (38, b"100"),
        (40, b"2"),
        (44, b"190.25"),
        (59, b"0"),
    ],
    "ExecutionReport": [
        (35, b"8"),
        *HEADER,
        (37, b"EX-000123"),
        (11, b"ORD-000123"),
        (17, b"EXEC-000456"),
        (150, b"F"),
        (39, b"1"),
        (55, b"AAPL"),
        (54, b"1"),
        (38, b"100"),
        (44, b"190.25"),
        (32, b"40"),
        (31, b"190.25"),
        (151, b"60"),
        (14, b"40"),
        (6, b"190.25"),
        (60, NOW),
    ],
}
MESSAGES["ExecutionReport+groups"] = [
    *MESSAGES["ExecutionReport"][:7],
    (453, b"2"),
    (448, b"BROKER-A"),
    (447, b"D"),
    (452, b"1"),
    (802, b"1"),
    (523, b"DESK-7"),
    (803, b"1"),
    (448, b"CLIENT-B"),
    (447, b"D"),
    (452, b"3"),
    *MESSAGES["ExecutionReport"][7:],
]


def rate(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def ours(fields: list[tuple[int, bytes]]) -> dict[str, Callable[[], object]]:
    message = FixMessage([(8, b"FIX.4.4"), *fields])
    data = encode(message)
    dictionary = load_dictionary("FIX.4.4")
    parser = FrameParser()

    def parse_validate() -> object:
        parser.append(data)
        frame = parser.next_frame()
        assert isinstance(frame, bytes)
        parsed = parse(frame)
        issue = dictionary.validate(parsed)
        assert issue is None, issue
        return parsed

    def build_encode() -> object:
        # A new message from Python values, field by field, then encoded.
        built = FixMessage([(8, b"FIX.4.4")])
        for tag, value in text_fields:
            built.append(tag, value)
        return encode(built)

    text_fields = [(tag, value.decode()) for tag, value in fields]
    return {
        "encode": lambda: encode(message),
        "build+encode": build_encode,
        "parse+validate": parse_validate,
    }


def simplefix_cases(fields: list[tuple[int, bytes]]) -> dict[str, Callable[[], object]]:
    import simplefix

    message = simplefix.FixMessage()
    message.append_pair(8, "FIX.4.4", header=True)
    for tag, value in fields:
        message.append_pair(tag, value, header=tag in (35, 49, 56, 34, 52))
    data = encode_fields(b"FIX.4.4", fields)
    parser = simplefix.FixParser()

    def parse_only() -> object:
        parser.append_buffer(data)
        parsed = parser.get_message()
        assert parsed is not None
        return parsed

    return {"encode": message.encode, "parse (no validation)": parse_only}


def quickfix_cases(fields: list[tuple[int, bytes]], spec: Path) -> dict[str, Callable[[], object]]:
    import quickfix

    dictionary = quickfix.DataDictionary(str(spec))
    text = encode_fields(b"FIX.4.4", fields)
    built: Any = quickfix.Message(text.decode(), dictionary, True)
    dictionary.validate(built)

    def parse_validate() -> object:
        parsed = quickfix.Message(text.decode(), dictionary, True)
        dictionary.validate(parsed)
        return parsed

    text_fields = [(tag, value.decode()) for tag, value in fields]

    def build_encode() -> object:
        # A new message from Python values, field by field, then encoded.
        message = quickfix.Message()
        header = message.getHeader()
        header.setField(8, "FIX.4.4")
        for tag, value in text_fields:
            if tag in (35, 49, 56, 34, 52):
                header.setField(tag, value)
            else:
                message.setField(tag, value)
        return message.toString()

    return {
        "encode": built.toString,
        "build+encode": build_encode,
        "parse+validate": parse_validate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="messages per run")
    parser.add_argument(
        "--spec",
        type=Path,
        # The quickfix package installs its spec files under <prefix>/share/quickfix.
        default=Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml",
        help="QuickFIX FIX44.xml for the QuickFIX DataDictionary",
    )
    args = parser.parse_args()
    libraries: list[tuple[str, Callable[[list[tuple[int, bytes]]], dict[str, Any]]]] = [
        ("ordergate", ours)
    ]
    try:
        import simplefix  # noqa: F401

        libraries.append(("simplefix", simplefix_cases))
    except ImportError:
        print("note: simplefix is not installed; skipped")
    try:
        import quickfix  # noqa: F401

        if args.spec.exists():
            libraries.append(("quickfix", lambda f: quickfix_cases(f, args.spec)))
        else:
            print(f"note: {args.spec} not found; QuickFIX skipped (pass --spec)")
    except ImportError:
        print("note: quickfix is not installed; skipped")

    print(f"{'message':<24}{'operation':<24}{'library':<12}{'msgs/s':>12}")
    print("-" * 72)
    for name, fields in MESSAGES.items():
        for library, make in libraries:
            for operation, fn in make(fields).items():
                figure = rate(fn, args.n)
                print(f"{name:<24}{operation:<24}{library:<12}{figure:>12,.0f}")
        print()


if __name__ == "__main__":
    main()
