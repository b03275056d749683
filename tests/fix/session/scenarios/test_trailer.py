"""Scenario 3 (a-e): receiving the standard trailer (CheckSum(10))."""

from __future__ import annotations

import pytest

from ordergate.fix.session.events import GarbledIgnored
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import ScriptedPeer, order_fields


def _next_message_is_accepted(peer: ScriptedPeer) -> None:
    """The message after the bad one, numbered NextNumIn, is processed normally."""
    peer.next_seq = peer.next_num_in
    peer.send("1", (Tag.TestReqID, "AFTER"))
    peer.expect_sent("0", {Tag.TestReqID: "AFTER"})
    assert peer.next_num_in == 3
    peer.expect_connected()


def test_3a_valid_checksum_is_accepted(peer: ScriptedPeer) -> None:
    """3a: a message with the right CheckSum(10) is accepted."""
    peer.send("D", *order_fields())
    assert len(peer.app_messages()) == 1
    assert peer.next_num_in == 3


@pytest.mark.parametrize("delta", [1, 128])
def test_3b_invalid_checksum_is_ignored(peer: ScriptedPeer, delta: int) -> None:
    """3b: wrong CheckSum(10): garbled, ignored, NextNumIn unchanged, keep accepting."""
    good = peer.build("D", *order_fields(), seq=2)
    stated = int(good[-4:-1])
    peer.send("D", *order_fields(), seq=2, check_sum=(stated + delta) % 256)

    assert not peer.app_messages()
    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    assert peer.events_of(GarbledIgnored)
    _next_message_is_accepted(peer)


@pytest.mark.parametrize("junk", ["noise", "truncated", "soh_in_tag"])
def test_3c_garbled_message_is_ignored(peer: ScriptedPeer, junk: str) -> None:
    """3c: garbled data (line noise, a frame cut short, a malformed field): ignored without
    consuming NextNumIn; the next message is accepted."""
    if junk == "noise":
        data = b"\x00\xff garbage 35=D\x01 34=2\x01"
    elif junk == "truncated":
        data = peer.build("D", *order_fields(), seq=2)[:-20]
    else:
        data = peer.build("D", *order_fields(), seq=2).replace(b"\x0155=", b"\x01x5=")
    peer.send_raw(data)

    assert not peer.app_messages()
    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    _next_message_is_accepted(peer)
    assert not peer.app_messages()


def test_3d_checksum_last_three_digits_with_soh_is_accepted(peer: ScriptedPeer) -> None:
    """3d: CheckSum(10) last, three digits (zero-padded), SOH-terminated: accepted."""
    for n in range(40):
        data = peer.build("0", (Tag.TestReqID, "P" * n), seq=2)
        if data.endswith(tuple(b"10=0%02d\x01" % i for i in range(100))):
            break
    else:  # pragma: no cover - some padding always gives a checksum below 100
        pytest.fail("no zero-padded checksum found")
    peer.next_seq = 3
    assert data[-8:-4] == b"\x0110="
    peer.send_raw(data)
    assert peer.next_num_in == 3
    peer.expect_connected()


@pytest.mark.parametrize("defect", ["two_digits", "not_last", "no_soh"])
def test_3e_malformed_checksum_field_is_ignored(peer: ScriptedPeer, defect: str) -> None:
    """3e: CheckSum(10) not last, not three digits or not SOH-terminated: garbled, ignored,
    NextNumIn unchanged, keep accepting."""
    good = peer.build("D", *order_fields(), seq=2)
    if defect == "two_digits":
        bad = good[:-4] + good[-3:]  # "10=123" -> "10=23"
    elif defect == "not_last":
        # A CheckSum(10) field inside the body, the real one after Text(58).
        bad = peer.build("D", *order_fields(), (10, "000"), (58, "x"), seq=2)
    else:
        bad = good[:-1]
    peer.send_raw(bad)

    assert not peer.app_messages()
    assert peer.next_num_in == 2
    peer.expect_nothing_sent()
    _next_message_is_accepted(peer)
    assert not peer.app_messages()
