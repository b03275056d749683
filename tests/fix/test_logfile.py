"""The tag=value message log: format, reading back, framing checks, and the CLI tools."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from ordergate.cli import main
from ordergate.fix.cli.logs import replay
from ordergate.fix.codec import encode_fields
from ordergate.fix.logfile import (
    decode_fields,
    dictionary_namer,
    format_line,
    format_timestamp,
    frame_problems,
    parse_timestamp,
    read_log,
    render,
)
from ordergate.fix.store import Direction, open_message_store

TS = 1_700_000_000_123_456_789  # 2023-11-14 22:13:20.123456789 UTC
SESSION = "FIX.4.4:ORDERGATE->BROKER"


def order(seq: int, cl_ord_id: str = "c1") -> bytes:
    return encode_fields(
        b"FIX.4.4",
        [
            (35, b"D"),
            (34, b"%d" % seq),
            (49, b"ORDERGATE"),
            (56, b"BROKER"),
            (11, cl_ord_id.encode()),
        ],
    )


def test_timestamps_are_utc_with_microseconds_and_read_back():
    assert format_timestamp(TS) == "20231114-22:13:20.123456"
    assert parse_timestamp(b"20231114-22:13:20.123456") == TS // 1000 * 1000
    assert parse_timestamp(b"20231114-22:13:20.123") == 1_700_000_000_123_000_000
    assert parse_timestamp(b"20231114-22:13:20") == 1_700_000_000_000_000_000
    assert parse_timestamp(b"20231114-22:13:20.123456789") == TS


@pytest.mark.parametrize("text", [b"2023-11-14 22:13:20", b"20231314-22:13:20", b"", b"x"])
def test_bad_timestamps_are_refused(text: bytes):
    with pytest.raises(ValueError, match="not a log timestamp"):
        parse_timestamp(text)


def test_a_line_is_timestamp_colon_message_with_either_delimiter():
    raw = order(1)

    assert format_line(TS, raw) == b"20231114-22:13:20.123456 : " + raw + b"\n"
    assert (
        format_line(TS, raw, b"|")
        == b"20231114-22:13:20.123456 : " + raw.replace(b"\x01", b"|") + b"\n"
    )
    assert render(raw).startswith("8=FIX.4.4|9=")


def test_lines_in_either_delimiter_read_back_byte_exact():
    raw = order(1)
    lines = [format_line(TS, raw), format_line(TS + 1000, raw, b"|"), b"\n", raw + b"\r\n"]

    entries = list(read_log(lines))

    assert [(e.line, e.raw, e.error) for e in entries] == [
        (1, raw, None),
        (2, raw, None),
        (4, raw, None),
    ]
    assert [e.ts_ns for e in entries] == [TS // 1000 * 1000, TS // 1000 * 1000 + 1000, None]


def test_lines_without_a_message_are_reported():
    entries = list(read_log([b"hello world\n", b"20231114-22:13:20.000 : not fix\n"]))

    assert [e.error for e in entries] == [
        "no timestamp and message at line start",
        "no message after the timestamp",
    ]


def test_a_well_formed_frame_has_no_problems():
    assert frame_problems(order(1)) == []


def test_wrong_body_length_and_checksum_are_reported():
    raw = order(1)
    wrong_sum = raw[:-4] + b"000\x01" if not raw.endswith(b"=000\x01") else raw[:-4] + b"001\x01"
    wrong_length = raw.replace(b"\x019=", b"\x019=1", 1)

    assert [p.split(" is ")[0] for p in frame_problems(wrong_sum)] == ["CheckSum(10)"]
    assert "BodyLength(9)" in frame_problems(wrong_length)[0]
    assert frame_problems(b"35=D\x01") == ["does not start with BeginString(8)"]
    assert frame_problems(b"8=FIX.4.4\x0135=D\x01") == ["BodyLength(9) is not the second field"]
    assert frame_problems(b"8=FIX.4.4\x019=5\x0135=D\x01") == ["no CheckSum(10) field"]


def test_fields_are_named_from_the_dictionary():
    field_name, message_name = dictionary_namer("FIX.4.4")

    fields = decode_fields(order(1) + b"", field_name)

    assert [(f.tag, f.name, f.value) for f in fields][:3] == [
        (8, "BeginString", "FIX.4.4"),
        (9, "BodyLength", fields[1].value),
        (35, "MsgType", "D"),
    ]
    assert message_name("D") == "NewOrderSingle"


def test_an_unknown_version_names_nothing():
    field_name, message_name = dictionary_namer("FIX.9.9")

    assert field_name(11) is None
    assert message_name("D") is None


# -- replay ------------------------------------------------------------------------------


def test_replay_prints_messages_decoded_and_flags_bad_frames():
    good = order(1)
    bad = good[:-4] + (b"001\x01" if not good.endswith(b"=001\x01") else b"002\x01")
    log = io.BytesIO(format_line(TS, good, b"|") + format_line(TS, bad) + b"garbage\n")
    out = io.StringIO()

    status = replay(log, out, None, None)

    text = out.getvalue()
    assert status == 1
    assert "line 1  20231114-22:13:20.123456  NewOrderSingle (D)" in text
    assert "ClOrdID" in text
    assert "= c1" in text
    assert text.count("! CheckSum(10)") == 1
    assert "line 3: unreadable" in text
    assert text.endswith("2 messages shown, 2 flagged\n")


def test_replay_filters_by_message_type_and_uses_the_given_version():
    heartbeat = encode_fields(b"FIX.4.2", [(35, b"0"), (34, b"2")])
    log = io.BytesIO(format_line(TS, order(1)) + format_line(TS, heartbeat))
    out = io.StringIO()

    status = replay(log, out, "FIX.4.2", "0")

    assert status == 0
    assert "Heartbeat (0)" in out.getvalue()
    assert "NewOrderSingle" not in out.getvalue()
    assert out.getvalue().endswith("1 messages shown, 0 flagged\n")


def test_replay_reports_fields_that_do_not_parse():
    broken = b"8=FIX.4.4\x019=9\x01x5=D\x0110=000\x01"
    out = io.StringIO()

    assert replay(io.BytesIO(broken + b"\n"), out, None, None) == 1
    assert "! malformed" in out.getvalue()


# -- the CLI -----------------------------------------------------------------------------


def fill_store(path: Path) -> list[bytes]:
    async def fill() -> list[bytes]:
        store = await open_message_store(f"sqlite:///{path}", SESSION, now=TS)
        frames = [order(i, f"c{i}") for i in range(1, 4)]
        for i, raw in enumerate(frames):
            store.log_message(Direction.OUT, raw, TS + i * 1000)
        await store.close()
        return frames

    return asyncio.run(fill())


def test_export_then_replay_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = fill_store(tmp_path / "fix.db")
    out = tmp_path / "session.log"

    status = main(
        [
            "fix",
            "export",
            "--store",
            f"sqlite:///{tmp_path / 'fix.db'}",
            "--session",
            SESSION,
            "--out",
            str(out),
        ]
    )

    assert status == 0
    lines = out.read_bytes().splitlines(keepends=True)
    assert lines == [format_line(TS + i * 1000, raw) for i, raw in enumerate(frames)]
    assert main(["fix", "replay", str(out), "--msg-type", "D"]) == 0
    assert "3 messages shown, 0 flagged" in capsys.readouterr().out


def test_export_with_pipes_to_standard_output(
    tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    fill_store(tmp_path / "fix.db")
    url = f"sqlite:///{tmp_path / 'fix.db'}"

    assert main(["fix", "export", "--store", url, "--session", SESSION, "--delimiter", "|"]) == 0

    out = capfdbinary.readouterr().out
    assert out.count(b"\n") == 3
    assert b"\x01" not in out
    assert out.startswith(b"20231114-22:13:20.123456 : 8=FIX.4.4|9=")


def test_export_of_an_unknown_session_or_store_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_store(tmp_path / "fix.db")
    url = f"sqlite:///{tmp_path / 'fix.db'}"

    assert main(["fix", "export", "--store", url, "--session", "FIX.4.4:X->Y"]) == 2
    assert f"no session 'FIX.4.4:X->Y' (sessions: {SESSION})" in capsys.readouterr().err
    missing = f"sqlite:///{tmp_path / 'nope.db'}"
    assert main(["fix", "export", "--store", missing, "--session", SESSION]) == 2
    assert "no message store at" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()
    assert main(["fix", "export", "--store", "mysql://x", "--session", SESSION]) == 2
    assert "unknown message store URL" in capsys.readouterr().err


def test_replay_of_a_missing_file_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fix", "replay", str(tmp_path / "missing.log")]) == 2
    assert "cannot read" in capsys.readouterr().err
