"""Header assembly and the admin message builders."""

from __future__ import annotations

from ordergate.fix.codec import parse
from ordergate.fix.dictionary import SessionRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.session import admin
from ordergate.fix.session.outbound import frame, reframe_for_resend
from tests.fix.session.pair import SECOND, START_NS


def test_frame_puts_header_fields_in_ascending_order_after_8_9_35() -> None:
    body = FixMessage.of("D", (11, "X"), (128, "DEST"), (115, "CLIENT"), (55, "ACME"))

    raw = frame(b"FIX.4.2", body, seq=7, sender=b"A", target=b"B", now=START_NS)

    message = parse(raw)
    assert [t for t, _ in message.fields] == [8, 9, 35, 34, 49, 52, 56, 115, 128, 11, 55, 10]


def test_reframe_for_resend_keeps_seq_and_marks_poss_dup() -> None:
    raw = frame(
        b"FIX.4.4", FixMessage.of("8", (37, "E")), seq=3, sender=b"A", target=b"B", now=START_NS
    )

    again = parse(reframe_for_resend(parse(raw), START_NS + SECOND))

    assert again.get(34) == b"3"
    assert again.get(43) == b"Y"
    assert again.get(122) == b"20261121-10:11:12.345"
    assert again.get(52) == b"20261121-10:11:13.345"
    assert [t for t, _ in again.fields][:9] == [8, 9, 35, 34, 43, 49, 52, 56, 122]


def test_admin_builders() -> None:
    assert admin.logon(30, reset=True, username="u", password="p").fields == [
        (35, b"A"),
        (98, b"0"),
        (108, b"30"),
        (141, b"Y"),
        (553, b"u"),
        (554, b"p"),
    ]
    assert admin.heartbeat(b"T1").get(112) == b"T1"
    assert 112 not in admin.heartbeat()
    assert admin.resend_request(4, 0).fields == [(35, b"2"), (7, b"4"), (16, b"0")]
    assert admin.sequence_reset(9, gap_fill=False).fields == [(35, b"4"), (36, b"9")]
    assert admin.logout().fields == [(35, b"5")]
    reject = admin.reject(
        4, SessionRejectReason.VALUE_IS_INCORRECT, "bad", ref_tag=36, ref_msg_type="4"
    )
    assert reject.fields == [
        (35, b"3"),
        (45, b"4"),
        (371, b"36"),
        (372, b"4"),
        (373, b"5"),
        (58, b"bad"),
    ]


def test_business_reject_without_an_id_leaves_379_out() -> None:
    from ordergate.fix.dictionary import BusinessRejectReason

    ref = FixMessage([(35, b"Z"), (34, b"5")])

    message = admin.business_reject(ref, BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE)

    assert message.fields == [(35, b"j"), (45, b"5"), (372, b"Z"), (380, b"3")]
