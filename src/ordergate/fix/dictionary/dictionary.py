"""A FIX data dictionary: names, types, message layouts, and validation of inbound messages.

Validation has two paths. The fast path proves a clean message clean: the structure of a
layout (its tags in wire order) is checked once per message type and kept as a plan
(:mod:`.plans`), so a message is checked with a lookup, a test that no value is empty and
one C-level pass over the values that have a format or allowed values. Anything it cannot
prove clean takes the complete walk in :mod:`.checker`, which finds the most important
problem. Both paths accept exactly the same messages (the property tests check that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import call

from ordergate.fix.dictionary.checker import FieldTables, find_issue
from ordergate.fix.dictionary.extensions import DictionaryExtensions
from ordergate.fix.dictionary.plans import Plan, make_plan
from ordergate.fix.dictionary.reasons import ValidationIssue
from ordergate.fix.dictionary.spec import Entry, FieldDef, MessageDef, SpecData
from ordergate.fix.dictionary.structure import GroupSpec, MessageSpec
from ordergate.fix.dictionary.types import ValueCheck, check_for_type, enum_check
from ordergate.fix.message import FixMessage

__all__ = ["Dictionary", "DictionaryError"]


_MAX_PLANS = 1024  # per message type


class DictionaryError(ValueError):
    """Extensions that do not fit the dictionary (unknown tag or message type)."""


class Dictionary:
    """One FIX version's dictionary, optionally extended for a counterparty.

    Build it with :func:`~ordergate.fix.dictionary.load_dictionary` (the packaged FIX 4.2 and
    4.4) or :func:`~ordergate.fix.dictionary.load_dictionary_xml` (a QuickFIX-format file).
    """

    def __init__(self, spec: SpecData, extensions: DictionaryExtensions | None = None) -> None:
        self.begin_string = spec.begin_string
        fields = dict(spec.fields)
        messages = dict(spec.messages)
        if extensions is not None:
            _extend(fields, messages, extensions)
        self._fields: dict[int, FieldDef] = fields
        self._tags = {field.name: tag for tag, field in fields.items()}
        formats: dict[int, ValueCheck | None] = {}
        enums: dict[int, ValueCheck] = {}
        fast: dict[int, ValueCheck] = {}
        for tag, field in fields.items():
            formats[tag] = check_for_type(field.type)
            if field.values:
                values = frozenset(v.encode("latin-1") for v in field.values)
                enums[tag] = enum_check(field.type, values)
            # An allowed enumerated value needs no separate format check; a value with no
            # format to check only has to be non-empty (len() is falsy for b"").
            fast[tag] = enums.get(tag) or formats[tag] or len
        self._tables = FieldTables(fields, formats, enums)
        top = [*spec.header, *spec.trailer]
        self._messages: dict[str, MessageSpec] = {
            msg_type: MessageSpec(
                msg_type,
                message.name,
                message.category == "admin",
                [*spec.header, *message.entries, *spec.trailer],
                fast,
            )
            for msg_type, message in messages.items()
        }
        # MsgType(35) as on the wire -> its tables and its plans by tag line (see .plans).
        self._by_wire_type: dict[bytes, tuple[MessageSpec, dict[bytes, Plan | None]]] = {
            t.encode("latin-1"): (m, {}) for t, m in self._messages.items()
        }
        self._field_checks = fast
        self._header_groups = MessageSpec("", "header", True, top, fast)

    # -- names and layout -----------------------------------------------------------------

    def field_name(self, tag: int) -> str | None:
        """Return the name of ``tag`` (e.g. 54 -> "Side"), or None when undefined."""
        field = self._fields.get(tag)
        return field.name if field is not None else None

    def field_tag(self, name: str) -> int | None:
        """Return the tag of the field called ``name``, or None."""
        return self._tags.get(name)

    def field_type(self, tag: int) -> str | None:
        """Return the FIX type of ``tag`` (e.g. "PRICE"), or None when undefined."""
        field = self._fields.get(tag)
        return field.type if field is not None else None

    def field_values(self, tag: int) -> Mapping[str, str] | None:
        """Return the enumerated values of ``tag`` (value -> description), or None."""
        field = self._fields.get(tag)
        return field.values if field is not None else None

    def message_name(self, msg_type: str) -> str | None:
        """Return the name of MsgType(35) ``msg_type`` (e.g. "D" -> "NewOrderSingle")."""
        message = self._messages.get(msg_type)
        return message.name if message is not None else None

    def message_types(self) -> list[str]:
        """Return every MsgType(35) the dictionary defines."""
        return list(self._messages)

    def is_admin(self, msg_type: str) -> bool:
        """Return whether ``msg_type`` is a session-level (admin) message."""
        message = self._messages.get(msg_type)
        return message is not None and message.admin

    def message_fields(self, msg_type: str) -> frozenset[int]:
        """Return the tags allowed at the top level of ``msg_type`` (header/trailer included).

        Raises:
            KeyError: ``msg_type`` is not defined.
        """
        return self._messages[msg_type].top

    def required_fields(self, msg_type: str) -> tuple[int, ...]:
        """Return the top-level required tags of ``msg_type`` in dictionary order.

        Raises:
            KeyError: ``msg_type`` is not defined.
        """
        return self._messages[msg_type].required_order

    def group(self, msg_type: str, count_tag: int) -> GroupSpec | None:
        """Return the repeating group counted by ``count_tag`` in ``msg_type`` (any depth).

        Groups of the standard header (e.g. NoHops(627)) are found for every message.
        """
        message = self._messages.get(msg_type)
        found = message.find_group(count_tag) if message is not None else None
        return found if found is not None else self._header_groups.find_group(count_tag)

    def groups(self, message: FixMessage, count_tag: int) -> list[list[tuple[int, bytes]]]:
        """Return the instances of the group ``count_tag`` in ``message``, fields in order.

        For a nested group, read the outer instances first and then
        ``dictionary.group(msg_type, nested_count_tag).instances(instance)``.

        Raises:
            KeyError: the message type has no such group.
        """
        spec = self.group(message.msg_type, count_tag)
        if spec is None:
            raise KeyError(f"{message.msg_type!r} has no repeating group {count_tag}")
        return spec.instances(message.fields)

    # -- validation -----------------------------------------------------------------------

    def validate(self, message: FixMessage) -> ValidationIssue | None:
        """Check ``message`` (as parsed, with 8, 9, 10) against the dictionary.

        Checks, in order of precedence: MsgType(35) known; every tag defined, and defined
        for this message; no empty value; no tag repeated outside repeating groups; required
        tags present; value formats; enumerated values; repeating group counts and member
        order; 8, 9, 35 first and 10 last. CompIDs, MsgSeqNum(34) and SendingTime(52) are the
        session's business.

        Returns:
            None when the message is valid, else the most important problem.
        """
        fields = message.fields
        if len(fields) > 3:
            entry = self._by_wire_type.get(fields[2][1])
            if entry is not None:
                spec, plans = entry
                wire = message.wire_layout()
                if wire is None:
                    line = b"\x01".join([b"%d" % tag for tag, _ in fields])
                    values = [value for _, value in fields]
                else:
                    line, values = wire
                try:
                    plan = plans[line]
                except KeyError:
                    plan = make_plan([tag for tag, _ in fields], spec, self._field_checks)
                    if len(plans) >= _MAX_PLANS:
                        plans.clear()  # bounded: ever new layouts only lose the shortcut
                    plans[line] = plan
                if plan is not None:
                    pick, checks = plan
                    if all(values) and all(map(call, checks, pick(values))):
                        return None
        return find_issue(fields, self._messages, self._tables)

    def __repr__(self) -> str:
        return f"Dictionary({self.begin_string}, {len(self._messages)} messages)"


def _extend(
    fields: dict[int, FieldDef], messages: dict[str, MessageDef], extensions: DictionaryExtensions
) -> None:
    for custom in extensions.fields:
        if custom.tag <= 0:
            raise DictionaryError(f"custom field {custom.name} has tag {custom.tag}")
        values = {value: value for value in custom.enums} or None
        fields[custom.tag] = FieldDef(custom.name, custom.type.upper(), values)
    for msg_type, tags in extensions.message_fields.items():
        if msg_type not in messages:
            raise DictionaryError(f"extensions name unknown MsgType(35) {msg_type!r}")
        unknown = [tag for tag in tags if tag not in fields]
        if unknown:
            raise DictionaryError(f"extensions allow undefined tags {unknown} in {msg_type!r}")
        _add(messages, msg_type, _optional(tags))
    for group in extensions.groups:
        tags = [group.count_tag, *group.members]
        unknown = [tag for tag in tags if tag not in fields]
        if unknown or not group.members:
            raise DictionaryError(f"group {group.count_tag} has undefined or no members")
        entry = Entry(group.count_tag, False, _optional(group.members))
        for msg_type in group.msg_types:
            if msg_type not in messages:
                raise DictionaryError(f"extensions name unknown MsgType(35) {msg_type!r}")
            _add(messages, msg_type, [entry])


def _add(messages: dict[str, MessageDef], msg_type: str, entries: list[Entry]) -> None:
    message = messages[msg_type]
    messages[msg_type] = MessageDef(message.name, message.category, [*message.entries, *entries])


def _optional(tags: Iterable[int]) -> list[Entry]:
    return [Entry(tag, False) for tag in tags]
