"""Scenario 14 (a-m): invalid application and session messages; optional 15 and 18;
19 (a-b) PossResend."""

from __future__ import annotations

from ordergate.fix.dictionary import BusinessRejectReason
from ordergate.fix.message import FieldValue
from ordergate.fix.session.events import AppMessage, MessageRejected
from ordergate.fix.session.timefmt import format_utc_timestamp
from ordergate.fix.tags import Tag
from tests.fix.session.scenarios.peer import OUR_ID, THEIR_ID, ScriptedPeer, order_fields


def _without(fields: list[tuple[int, FieldValue]], tag: int) -> list[tuple[int, FieldValue]]:
    return [(t, v) for t, v in fields if t != tag]


def _replaced(
    fields: list[tuple[int, FieldValue]], tag: int, value: FieldValue
) -> list[tuple[int, FieldValue]]:
    return [(t, value if t == tag else v) for t, v in fields]


def _rejected_and_consumed(
    peer: ScriptedPeer, reason: int, ref_tag: int | None, msg_type: str = "D"
) -> None:
    """Reject(3) for message 2 with ``reason``/RefTagID; NextNumIn + 1; session goes on."""
    assert not peer.app_messages()
    reject = peer.expect_reject(2, reason, ref_tag)
    assert reject.get(Tag.RefMsgType) in (None, msg_type.encode())
    assert peer.next_num_in == 3
    rejected = [e for e in peer.events if isinstance(e, MessageRejected)]
    assert rejected
    assert rejected[-1].reason == reason
    peer.send("1", (Tag.TestReqID, "NEXT"))
    peer.expect_sent("0", {Tag.TestReqID: "NEXT"})
    peer.expect_connected()


def test_14a_undefined_tag_is_rejected(peer: ScriptedPeer) -> None:
    """14a: a tag the specification does not define (999): Reject(3), RefTagID 999,
    NextNumIn + 1.

    The test-case document names reason 0 (Invalid tag number); the engine's documented
    choice (FIX_PLAN, dictionary interface) is 3 (Undefined tag) for a tag that is a valid
    number but defined nowhere, which is what FIX 4.2/4.4 define 3 for.
    """
    peer.send("D", *order_fields(), (999, "HI"))
    _rejected_and_consumed(peer, 3, 999)


def test_14b_required_tag_missing_is_rejected(peer: ScriptedPeer) -> None:
    """14b: NewOrderSingle without Side(54): Reject(3) 373=1, RefTagID 54, NextNumIn + 1."""
    peer.send("D", *_without(order_fields(), 54))
    _rejected_and_consumed(peer, 1, 54)


def test_14c_tag_not_defined_for_message_type_is_rejected(peer: ScriptedPeer) -> None:
    """14c: HeartBtInt(108) in a NewOrderSingle: Reject(3) 373=2, RefTagID 108."""
    peer.send("D", *order_fields(), (Tag.HeartBtInt, 30))
    _rejected_and_consumed(peer, 2, 108)


def test_14d_tag_without_value_is_rejected(peer: ScriptedPeer) -> None:
    """14d: "55=<SOH>": Reject(3) 373=4, RefTagID 55, NextNumIn + 1."""
    peer.send("D", *_replaced(order_fields(), 55, ""))
    _rejected_and_consumed(peer, 4, 55)


def test_14e_value_out_of_range_is_rejected(peer: ScriptedPeer) -> None:
    """14e: Side(54)=Z, not one of its values: Reject(3) 373=5, RefTagID 54."""
    peer.send("D", *_replaced(order_fields(), 54, "Z"))
    _rejected_and_consumed(peer, 5, 54)


def test_14f_value_in_wrong_format_is_rejected(peer: ScriptedPeer) -> None:
    """14f: OrderQty(38)=abc: Reject(3) 373=6, RefTagID 38."""
    peer.send("D", *_replaced(order_fields(), 38, "abc"))
    _rejected_and_consumed(peer, 6, 38)


def test_14g_header_field_after_body_is_rejected(peer: ScriptedPeer) -> None:
    """14g: a header field (SenderSubID(50)) after body fields: Reject(3) 373=14."""
    peer.send("D", *order_fields(), (Tag.SenderSubID, "DESK"))
    _rejected_and_consumed(peer, 14, Tag.SenderSubID)


def test_14h_repeated_tag_is_rejected(peer: ScriptedPeer) -> None:
    """14h: Symbol(55) twice outside a group: Reject(3) 373=13, RefTagID 55."""
    peer.send("D", *order_fields(), (55, "MSFT"))
    _rejected_and_consumed(peer, 13, 55)


def test_14i_group_count_mismatch_is_rejected(peer: ScriptedPeer) -> None:
    """14i: NoAllocs(78)=2 with one entry: Reject(3) 373=16, RefTagID 78."""
    peer.send("D", *order_fields(), (78, 2), (79, "ACC-A"), (80, 100))
    _rejected_and_consumed(peer, 16, 78)


def test_14j_group_fields_out_of_order_are_rejected(peer: ScriptedPeer) -> None:
    """14j: a News(B) NoRelatedSym(146) entry with SecurityID(48) before SymbolSfx(65):
    Reject(3) 373=15, RefTagID 65, NextNumIn + 1."""
    delimiter = 46 if peer.begin_string == "FIX.4.2" else 55
    peer.send(
        "B",
        (148, "Headline"),
        (146, 1),
        (delimiter, "IBM"),
        (48, "459200101"),
        (65, "WI"),
        (33, 1),
        (58, "text"),
    )
    _rejected_and_consumed(peer, 15, 65, "B")


def test_14k_embedded_soh_in_non_data_field(peer: ScriptedPeer) -> None:
    """14k: Text(58)="left<SOH>right": either Reject(3) 373=17 (NextNumIn + 1) or garbled
    and ignored (NextNumIn unchanged); the standard allows both. Nothing is delivered."""
    data = peer.build("D", *order_fields(), (58, "left\x01right"), seq=2)
    peer.send_raw(data)

    assert not peer.app_messages()
    if peer.outbox:
        peer.expect_reject(2, 17, 58)
        assert peer.next_num_in == 3
    else:
        assert peer.next_num_in == 2
    peer.next_seq = peer.next_num_in
    peer.send("1", (Tag.TestReqID, "NEXT"))
    peer.expect_sent("0", {Tag.TestReqID: "NEXT"})
    peer.expect_connected()


def _refused_by_application(
    peer: ScriptedPeer, reason: BusinessRejectReason, *, price: bool
) -> None:
    fields = order_fields("BMR-1")
    if not price:
        fields = _without(fields, 44)
    events = peer.send("D", *fields)

    apps = [e for e in events if isinstance(e, AppMessage)]
    assert len(apps) == 1
    assert peer.next_num_in == 3
    peer.session.business_reject(apps[0].message, reason, "refused", peer.now)
    peer.pump()
    peer.expect_sent(
        "j",
        {
            Tag.MsgSeqNum: 2,
            Tag.RefSeqNum: 2,
            Tag.RefMsgType: "D",
            Tag.BusinessRejectRefID: "BMR-1",
            Tag.BusinessRejectReason: int(reason),
        },
    )
    peer.expect_connected()


def test_14l_application_not_available_gets_business_message_reject(peer: ScriptedPeer) -> None:
    """14l (optional): the application cannot process a delivered message: it answers
    BusinessMessageReject(j) 380=4 with RefSeqNum(45), RefMsgType(372) and
    BusinessRejectRefID(379) = ClOrdID; NextNumIn + 1."""
    _refused_by_application(peer, BusinessRejectReason.APPLICATION_NOT_AVAILABLE, price=True)


def test_14m_conditionally_required_field_missing_gets_business_message_reject(
    peer: ScriptedPeer,
) -> None:
    """14m: a limit order without Price(44) (required only because OrdType(40)=2): the
    dictionary cannot know, so the session delivers it and the application answers
    BusinessMessageReject(j) 380=5; NextNumIn + 1."""
    _refused_by_application(
        peer, BusinessRejectReason.CONDITIONALLY_REQUIRED_FIELD_MISSING, price=False
    )


def test_15_fields_ordered_differently_are_accepted(peer: ScriptedPeer) -> None:
    """15 (optional): the same message type twice with header and body fields in another
    order: both accepted, and the following MsgSeqNums too."""
    stamp = format_utc_timestamp(peer.now)
    peer.send("D", *order_fields("ORDER-1"))
    reordered_body = list(reversed(order_fields("ORDER-2")))
    peer.send(
        "D",
        raw_fields=[
            (35, "D"),
            (52, stamp),
            (34, 3),
            (56, OUR_ID),
            (49, THEIR_ID),
            *reordered_body,
        ],
    )
    peer.next_seq = 4
    peer.send("0")

    assert [e.message.get(Tag.ClOrdID) for e in peer.app_messages()] == [b"ORDER-1", b"ORDER-2"]
    assert peer.next_num_in == 5
    peer.expect_nothing_sent()


def test_18_third_party_addressing_is_accepted(peer: ScriptedPeer) -> None:
    """18a (optional): OnBehalfOfCompID(115) and DeliverToCompID(128) are accepted and
    delivered to the application as sent."""
    peer.send(
        "D",
        *order_fields(),
        extra_header=[(Tag.OnBehalfOfCompID, "CLIENT-1"), (Tag.DeliverToCompID, "DESK-9")],
    )
    apps = peer.app_messages()
    assert len(apps) == 1
    assert apps[0].message.get(Tag.OnBehalfOfCompID) == b"CLIENT-1"
    assert apps[0].message.get(Tag.DeliverToCompID) == b"DESK-9"
    peer.expect_nothing_sent()


class _OrderDesk:
    """The application's side of 19: it ignores a PossResend(97)=Y order it already has."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        self.ignored: list[bytes] = []

    def on_message(self, event: AppMessage) -> None:
        cl_ord_id = event.message.get(Tag.ClOrdID) or b""
        if event.message.get_bool(Tag.PossResend) and cl_ord_id in self.accepted:
            self.ignored.append(cl_ord_id)
        else:
            self.accepted.append(cl_ord_id)


def test_19a_possresend_already_seen_is_ignored_by_the_application(peer: ScriptedPeer) -> None:
    """19a: PossResend(97)=Y for an order already seen: the session delivers it (a new
    MsgSeqNum, not a PossDup) with PossResend visible; the application ignores it."""
    desk = _OrderDesk()
    for event in peer.send("D", *order_fields("SAME")):
        desk.on_message(event)  # type: ignore[arg-type]
    for event in peer.send("D", *order_fields("SAME"), poss_resend=True):
        assert isinstance(event, AppMessage)
        assert not event.poss_dup
        desk.on_message(event)

    assert desk.accepted == [b"SAME"]
    assert desk.ignored == [b"SAME"]
    assert peer.next_num_in == 4
    peer.expect_nothing_sent()


def test_19b_possresend_not_seen_is_processed(peer: ScriptedPeer) -> None:
    """19b: PossResend(97)=Y for an order not seen before: accepted and processed."""
    desk = _OrderDesk()
    for event in peer.send("D", *order_fields("NEW"), poss_resend=True):
        desk.on_message(event)  # type: ignore[arg-type]

    assert desk.accepted == [b"NEW"]
    assert peer.next_num_in == 3
    peer.expect_nothing_sent()
