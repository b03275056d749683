"""The compact, version-independent form of a FIX data dictionary, and its JSON and XML readers.

A :class:`SpecData` holds the facts a dictionary is built from: every field (tag, name, type,
enumerated values), the standard header and trailer, and every message with its fields in
order. Components are already expanded, so a message is a flat list of :class:`Entry`; an
entry with ``members`` is a repeating group whose count field is ``tag`` and whose first
member is the delimiter. A field inside a component is required only when both the field
and every enclosing component are required (inside a group, "required" means required in
each instance).

Package data (``data/fix42.json``, ``data/fix44.json``) is this structure as JSON, written
by ``tools/gen_fix_dictionary.py`` from QuickFIX-format XML; :func:`spec_from_xml` reads
such XML at runtime too, for a counterparty's own dictionary.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import msgspec

__all__ = [
    "FORMAT_VERSION",
    "Entry",
    "FieldDef",
    "MessageDef",
    "SpecData",
    "SpecError",
    "decode_spec",
    "encode_spec",
    "spec_from_xml",
]

FORMAT_VERSION = 1


class SpecError(ValueError):
    """A dictionary source (JSON or XML) that does not describe a usable dictionary."""


class FieldDef(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """One field: its name, FIX type and enumerated values (value -> description)."""

    name: str
    type: str
    values: dict[str, str] | None = None


class Entry(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """One field of a message or group; ``members`` makes it a repeating group's count."""

    tag: int
    required: bool
    members: list[Entry] | None = None


class MessageDef(msgspec.Struct, array_like=True, frozen=True):
    """One message: name, category ("admin" or "app") and body entries in order."""

    name: str
    category: str
    entries: list[Entry]


class SpecData(msgspec.Struct, frozen=True):
    """A whole dictionary: fields by tag, header, trailer and messages by MsgType(35)."""

    format: int
    begin_string: str
    fields: dict[int, FieldDef]
    header: list[Entry]
    trailer: list[Entry]
    messages: dict[str, MessageDef]


_decoder = msgspec.json.Decoder(SpecData)
_encoder = msgspec.json.Encoder()


def decode_spec(data: bytes) -> SpecData:
    """Read the JSON form; SpecError when it is not one."""
    try:
        spec = _decoder.decode(data)
    except msgspec.DecodeError as e:
        raise SpecError(f"not a dictionary: {e}") from e
    if spec.format != FORMAT_VERSION:
        raise SpecError(f"dictionary format {spec.format}, expected {FORMAT_VERSION}")
    return spec


def encode_spec(spec: SpecData) -> bytes:
    """Write the JSON form with one field or message per line (reviewable diffs)."""
    enc = _encoder.encode
    lines = [
        b'{"format":%d,"begin_string":%s,' % (spec.format, enc(spec.begin_string)),
        b'"fields":{',
        b",\n".join(b'"%d":%s' % (tag, enc(spec.fields[tag])) for tag in sorted(spec.fields)),
        b'},\n"header":%s,\n"trailer":%s,' % (enc(spec.header), enc(spec.trailer)),
        b'"messages":{',
        b",\n".join(b"%s:%s" % (enc(t), enc(m)) for t, m in spec.messages.items()),
        b"}}\n",
    ]
    return b"\n".join(lines)


def spec_from_xml(text: str | bytes) -> SpecData:
    """Read a QuickFIX-format dictionary (``<fix major= minor=>``); SpecError if malformed."""
    try:
        # The document is operator configuration (a counterparty's dictionary), not
        # network input; the standard library parser does not expand external entities.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as e:
        raise SpecError(f"dictionary XML does not parse: {e}") from e
    return _XmlReader(root).read()


class _XmlReader:
    def __init__(self, root: ElementTree.Element) -> None:
        self.root = root
        self.tags: dict[str, int] = {}
        self.components: dict[str, ElementTree.Element] = {}

    def read(self) -> SpecData:
        root = self.root
        if root.tag != "fix":
            raise SpecError("dictionary XML root is not <fix>")
        kind = root.get("type", "FIX")
        begin_string = f"{kind}.{root.get('major', '')}.{root.get('minor', '')}"
        fields = self._fields()
        for component in _section(root, "components", required=False):
            self.components[_attr(component, "name")] = component
        header = self._entries(_section(root, "header"), True, ())
        trailer = self._entries(_section(root, "trailer"), True, ())
        messages: dict[str, MessageDef] = {}
        for message in _section(root, "messages"):
            msg_type = _attr(message, "msgtype")
            entries = self._entries(message, True, ())
            messages[msg_type] = MessageDef(
                _attr(message, "name"), message.get("msgcat", "app"), entries
            )
        return SpecData(FORMAT_VERSION, begin_string, fields, header, trailer, messages)

    def _fields(self) -> dict[int, FieldDef]:
        fields: dict[int, FieldDef] = {}
        for field in _section(self.root, "fields"):
            name = _attr(field, "name")
            number = _attr(field, "number")
            if not number.isdigit() or int(number) <= 0:
                raise SpecError(f"field {name} has number {number!r}")
            values = {_attr(v, "enum"): v.get("description", "") for v in field.iter("value")}
            tag = int(number)
            fields[tag] = FieldDef(name, _attr(field, "type"), values or None)
            self.tags[name] = tag
        return fields

    def _entries(
        self, parent: ElementTree.Element, required: bool, stack: tuple[str, ...]
    ) -> list[Entry]:
        entries: list[Entry] = []
        for child in parent:
            name = _attr(child, "name")
            here = required and child.get("required", "N") == "Y"
            if child.tag == "field":
                entries.append(Entry(self._tag(name), here))
            elif child.tag == "group":
                # Required members of a group are required in each instance, whether or
                # not the group itself is.
                members = self._entries(child, True, stack)
                if not members:
                    raise SpecError(f"group {name} has no members")
                entries.append(Entry(self._tag(name), here, members))
            elif child.tag == "component":
                if name in stack:
                    raise SpecError(f"component {name} includes itself")
                component = self.components.get(name)
                if component is None:
                    raise SpecError(f"component {name} is not defined")
                entries.extend(self._entries(component, here, (*stack, name)))
            else:
                raise SpecError(f"unexpected <{child.tag}> in {parent.get('name', parent.tag)}")
        return entries

    def _tag(self, name: str) -> int:
        tag = self.tags.get(name)
        if tag is None:
            raise SpecError(f"field {name} is used but not defined")
        return tag


def _attr(element: ElementTree.Element, name: str) -> str:
    value = element.get(name)
    if value is None:
        raise SpecError(f"<{element.tag}> without {name}=")
    return value


def _section(root: ElementTree.Element, name: str, required: bool = True) -> ElementTree.Element:
    section = root.find(name)
    if section is None:
        if required:
            raise SpecError(f"dictionary XML has no <{name}>")
        return ElementTree.Element(name)
    return section
