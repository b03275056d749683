"""Per-counterparty additions to a standard dictionary, as read from configuration.

Counterparties add their own fields (user-defined tags 5000-9999 and beyond) and send some
fields in messages the standard does not list them in. A :class:`DictionaryExtensions`
says both; nothing else is allowed, so a tag not configured is still refused.

Example (TOML)::

    [[fix.dictionary.fields]]
    tag = 5001
    name = "ClientStrategy"
    type = "STRING"
    enums = ["VWAP", "TWAP"]

    [fix.dictionary.message_fields]
    D = [5001]
    8 = [5001]

    [[fix.dictionary.groups]]   # NoMiscFees(136) in a FIX 4.2 ExecutionReport(8)
    count_tag = 136
    members = [137, 138, 139]
    msg_types = ["8"]
"""

from __future__ import annotations

import msgspec

__all__ = ["CustomField", "CustomGroup", "DictionaryExtensions"]


class CustomField(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A field the counterparty defines, or a redefinition of a standard one (same tag).

    ``enums`` lists the allowed values (empty: any value of the type).
    """

    tag: int
    name: str
    type: str = "STRING"
    enums: list[str] = []


class CustomGroup(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An optional repeating group added at the end of the given messages.

    ``members`` are in order, the first being the delimiter; all are optional.
    """

    count_tag: int
    members: list[int]
    msg_types: list[str]


class DictionaryExtensions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Custom fields, extra (optional) top-level fields per MsgType(35), extra groups."""

    fields: list[CustomField] = []
    message_fields: dict[str, list[int]] = {}
    groups: list[CustomGroup] = []
