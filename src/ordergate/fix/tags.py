"""Tag numbers the engine itself reads or writes, by their FIX names."""

from __future__ import annotations

from typing import Final

__all__ = ["ADMIN_MSG_TYPES", "MsgType", "Tag"]


class Tag:
    """Tag numbers of the standard header, trailer and session-level messages."""

    BeginSeqNo: Final = 7
    BeginString: Final = 8
    BodyLength: Final = 9
    CheckSum: Final = 10
    ClOrdID: Final = 11
    EndSeqNo: Final = 16
    MsgSeqNum: Final = 34
    MsgType: Final = 35
    NewSeqNo: Final = 36
    OrigClOrdID: Final = 41
    PossDupFlag: Final = 43
    RefSeqNum: Final = 45
    SenderCompID: Final = 49
    SenderSubID: Final = 50
    SendingTime: Final = 52
    TargetCompID: Final = 56
    TargetSubID: Final = 57
    Text: Final = 58
    PossResend: Final = 97
    EncryptMethod: Final = 98
    HeartBtInt: Final = 108
    TestReqID: Final = 112
    OnBehalfOfCompID: Final = 115
    DeliverToCompID: Final = 128
    OrigSendingTime: Final = 122
    GapFillFlag: Final = 123
    ResetSeqNumFlag: Final = 141
    SenderLocationID: Final = 142
    RefTagID: Final = 371
    RefMsgType: Final = 372
    SessionRejectReason: Final = 373
    BusinessRejectRefID: Final = 379
    BusinessRejectReason: Final = 380
    NextExpectedMsgSeqNum: Final = 789
    Username: Final = 553
    Password: Final = 554


class MsgType:
    """MsgType(35) values of the session-level (admin) messages."""

    Heartbeat: Final = "0"
    TestRequest: Final = "1"
    ResendRequest: Final = "2"
    Reject: Final = "3"
    SequenceReset: Final = "4"
    Logout: Final = "5"
    Logon: Final = "A"
    BusinessMessageReject: Final = "j"


ADMIN_MSG_TYPES: Final = frozenset({"0", "1", "2", "3", "4", "5", "A"})
