"""Write the package's compact JSON dictionary from a QuickFIX-format FIX spec XML.

    .venv/bin/python tools/gen_fix_dictionary.py /tmp/qfx/quickfix-1.16.0/spec/FIX44.xml \
        src/ordergate/fix/dictionary/data/fix44.json

Components are expanded and groups keep their member order (see
``ordergate.fix.dictionary.spec``). The output is deterministic, so regenerating from the
same XML gives the same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ordergate.fix.dictionary.spec import SpecError, encode_spec, spec_from_xml


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xml", type=Path, help="QuickFIX-format spec, e.g. FIX44.xml")
    parser.add_argument("output", type=Path, help="JSON file to write")
    args = parser.parse_args(argv)
    try:
        spec = spec_from_xml(args.xml.read_bytes())
    except (OSError, SpecError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    args.output.write_bytes(encode_spec(spec))
    print(
        f"{args.output}: {spec.begin_string}, {len(spec.fields)} fields, "
        f"{len(spec.messages)} messages"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
