"""Builders of the session-level (admin) messages, bodies only.

Each function returns a :class:`~ordergate.fix.message.FixMessage` holding MsgType(35) and
the body fields; the session adds the standard header (see ``outbound.py``).
"""

from __future__ import annotations

from ordergate.fix.dictionary.reasons import BusinessRejectReason, SessionRejectReason
from ordergate.fix.message import FixMessage
from ordergate.fix.tags import MsgType, Tag

__all__ = [
    "BUSINESS_REJECT_REF_ID_TAGS",
    "business_reject",
    "heartbeat",
    "logon",
    "logout",
    "reject",
    "resend_request",
    "sequence_reset",
    "test_request",
]

#: Where BusinessRejectRefID(379) comes from: the first of these the refused message holds
#: (ClOrdID, OrderID, QuoteID, QuoteReqID, MDReqID, SecurityReqID, TradeRequestID...).
BUSINESS_REJECT_REF_ID_TAGS: tuple[int, ...] = (11, 37, 117, 131, 262, 320, 335, 568, 584, 710)


def logon(
    heartbeat_interval: int,
    *,
    reset: bool,
    username: str | None = None,
    password: str | None = None,
) -> FixMessage:
    """Build Logon(A): EncryptMethod(98)=0, HeartBtInt(108), ResetSeqNumFlag(141), 553/554."""
    message = FixMessage.of(
        MsgType.Logon, (Tag.EncryptMethod, 0), (Tag.HeartBtInt, heartbeat_interval)
    )
    if reset:
        message.append(Tag.ResetSeqNumFlag, True)
    if username is not None:
        message.append(Tag.Username, username)
    if password is not None:
        message.append(Tag.Password, password)
    return message


def heartbeat(test_req_id: bytes | None = None) -> FixMessage:
    """Build Heartbeat(0), answering a TestRequest(1) when ``test_req_id`` is given."""
    message = FixMessage.of(MsgType.Heartbeat)
    if test_req_id is not None:
        message.append(Tag.TestReqID, test_req_id)
    return message


def test_request(test_req_id: str) -> FixMessage:
    """Build TestRequest(1) with TestReqID(112)."""
    return FixMessage.of(MsgType.TestRequest, (Tag.TestReqID, test_req_id))


def resend_request(begin: int, end: int) -> FixMessage:
    """Build ResendRequest(2) for ``begin..end`` (EndSeqNo(16)=0: everything after begin)."""
    return FixMessage.of(MsgType.ResendRequest, (Tag.BeginSeqNo, begin), (Tag.EndSeqNo, end))


def sequence_reset(new_seq_no: int, *, gap_fill: bool) -> FixMessage:
    """Build SequenceReset(4): GapFillFlag(123)=Y in gap-fill mode, NewSeqNo(36)."""
    message = FixMessage.of(MsgType.SequenceReset)
    if gap_fill:
        message.append(Tag.GapFillFlag, True)
    message.append(Tag.NewSeqNo, new_seq_no)
    return message


def logout(text: str = "") -> FixMessage:
    """Build Logout(5), with Text(58) when ``text`` is not empty."""
    message = FixMessage.of(MsgType.Logout)
    if text:
        message.append(Tag.Text, text)
    return message


def reject(
    ref_seq_num: int,
    reason: SessionRejectReason,
    text: str,
    *,
    ref_tag: int | None = None,
    ref_msg_type: str = "",
) -> FixMessage:
    """Build Reject(3): RefSeqNum(45), RefTagID(371), RefMsgType(372), reason(373), Text(58)."""
    message = FixMessage.of(MsgType.Reject, (Tag.RefSeqNum, ref_seq_num))
    if ref_tag is not None:
        message.append(Tag.RefTagID, ref_tag)
    if ref_msg_type:
        message.append(Tag.RefMsgType, ref_msg_type)
    message.append(Tag.SessionRejectReason, int(reason))
    if text:
        message.append(Tag.Text, text)
    return message


def business_reject(
    ref_message: FixMessage, reason: BusinessRejectReason, text: str = ""
) -> FixMessage:
    """Build BusinessMessageReject(j) refusing ``ref_message`` (an inbound application message).

    RefSeqNum(45) and RefMsgType(372) come from the refused message; BusinessRejectRefID(379)
    from its first identifier in :data:`BUSINESS_REJECT_REF_ID_TAGS`, when it has one.
    """
    message = FixMessage.of(MsgType.BusinessMessageReject)
    ref_seq = ref_message.get(Tag.MsgSeqNum)
    if ref_seq is not None:
        message.append(Tag.RefSeqNum, ref_seq)
    message.append(Tag.RefMsgType, ref_message.msg_type)
    for tag in BUSINESS_REJECT_REF_ID_TAGS:
        ref_id = ref_message.get(tag)
        if ref_id:
            message.append(Tag.BusinessRejectRefID, ref_id)
            break
    message.append(Tag.BusinessRejectReason, int(reason))
    if text:
        message.append(Tag.Text, text)
    return message
