"""FIX 4.2 and 4.4 data dictionaries and the validation of inbound messages."""

from ordergate.fix.dictionary.dictionary import Dictionary, DictionaryError
from ordergate.fix.dictionary.extensions import CustomField, CustomGroup, DictionaryExtensions
from ordergate.fix.dictionary.loader import (
    SUPPORTED_VERSIONS,
    load_dictionary,
    load_dictionary_xml,
)
from ordergate.fix.dictionary.reasons import (
    BusinessRejectReason,
    SessionRejectReason,
    ValidationIssue,
)
from ordergate.fix.dictionary.spec import SpecError
from ordergate.fix.dictionary.structure import GroupSpec

__all__ = [
    "SUPPORTED_VERSIONS",
    "BusinessRejectReason",
    "CustomField",
    "CustomGroup",
    "Dictionary",
    "DictionaryError",
    "DictionaryExtensions",
    "GroupSpec",
    "SessionRejectReason",
    "SpecError",
    "ValidationIssue",
    "load_dictionary",
    "load_dictionary_xml",
]
