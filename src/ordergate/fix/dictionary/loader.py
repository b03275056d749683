"""Load the packaged FIX 4.2 / 4.4 dictionaries, or a QuickFIX-format XML dictionary."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from ordergate.fix.dictionary.dictionary import Dictionary
from ordergate.fix.dictionary.extensions import DictionaryExtensions
from ordergate.fix.dictionary.spec import SpecData, decode_spec, spec_from_xml

__all__ = ["SUPPORTED_VERSIONS", "load_dictionary", "load_dictionary_xml"]

#: BeginString(8) -> packaged data file.
SUPPORTED_VERSIONS = {"FIX.4.2": "fix42.json", "FIX.4.4": "fix44.json"}


def load_dictionary(
    begin_string: str, extensions: DictionaryExtensions | None = None
) -> Dictionary:
    """Return the packaged dictionary of ``begin_string``, with ``extensions`` if given.

    Without extensions the dictionary is built once per version and shared.

    Raises:
        ValueError: ``begin_string`` is not FIX.4.2 or FIX.4.4.
        DictionaryError: the extensions name unknown tags or message types.
    """
    if extensions is None:
        return _standard(begin_string)
    return Dictionary(_packaged(begin_string), extensions)


def load_dictionary_xml(
    source: str | Path | bytes, extensions: DictionaryExtensions | None = None
) -> Dictionary:
    """Build a dictionary from a QuickFIX-format XML file (a path) or document (bytes).

    Raises:
        OSError: the file cannot be read.
        SpecError: the document is not a usable dictionary.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return Dictionary(spec_from_xml(data), extensions)


@cache
def _standard(begin_string: str) -> Dictionary:
    return Dictionary(_packaged(begin_string))


@cache
def _packaged(begin_string: str) -> SpecData:
    name = SUPPORTED_VERSIONS.get(begin_string)
    if name is None:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise ValueError(f"no dictionary for {begin_string!r} (supported: {supported})")
    return decode_spec((resources.files("ordergate.fix.dictionary") / "data" / name).read_bytes())
