"""FIX 4.2 and 4.4 data dictionaries and the validation of inbound messages."""

from ordergate.fix.dictionary.reasons import (
    BusinessRejectReason,
    SessionRejectReason,
    ValidationIssue,
)

__all__ = ["BusinessRejectReason", "SessionRejectReason", "ValidationIssue"]
