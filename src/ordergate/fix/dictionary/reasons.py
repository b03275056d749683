"""Why an inbound message is refused: SessionRejectReason(373) and BusinessRejectReason(380)."""

from __future__ import annotations

from enum import IntEnum

import msgspec

__all__ = ["BusinessRejectReason", "SessionRejectReason", "ValidationIssue"]


class SessionRejectReason(IntEnum):
    """SessionRejectReason(373) values (FIX 4.2 defines 0-11, FIX 4.4 adds 12-17 and 99)."""

    INVALID_TAG_NUMBER = 0
    REQUIRED_TAG_MISSING = 1
    TAG_NOT_DEFINED_FOR_MESSAGE_TYPE = 2
    UNDEFINED_TAG = 3
    TAG_SPECIFIED_WITHOUT_A_VALUE = 4
    VALUE_IS_INCORRECT = 5
    INCORRECT_DATA_FORMAT_FOR_VALUE = 6
    DECRYPTION_PROBLEM = 7
    SIGNATURE_PROBLEM = 8
    COMPID_PROBLEM = 9
    SENDINGTIME_ACCURACY_PROBLEM = 10
    INVALID_MSGTYPE = 11
    XML_VALIDATION_ERROR = 12
    TAG_APPEARS_MORE_THAN_ONCE = 13
    TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER = 14
    REPEATING_GROUP_FIELDS_OUT_OF_ORDER = 15
    INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP = 16
    NON_DATA_VALUE_INCLUDES_FIELD_DELIMITER = 17
    OTHER = 99


class BusinessRejectReason(IntEnum):
    """BusinessRejectReason(380) values."""

    OTHER = 0
    UNKNOWN_ID = 1
    UNKNOWN_SECURITY = 2
    UNSUPPORTED_MESSAGE_TYPE = 3
    APPLICATION_NOT_AVAILABLE = 4
    CONDITIONALLY_REQUIRED_FIELD_MISSING = 5
    NOT_AUTHORIZED = 6
    DELIVERTO_FIRM_NOT_AVAILABLE_AT_THIS_TIME = 7


class ValidationIssue(msgspec.Struct, frozen=True):
    """What is wrong with an inbound message: the reason, the tag at fault, and a text."""

    reason: SessionRejectReason
    ref_tag: int | None
    text: str
