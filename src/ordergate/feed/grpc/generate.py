"""Regenerate the gRPC modules from ``feed.proto``: ``python -m ordergate.feed.grpc.generate``.

The generated modules (``feed_pb2.py``, ``feed_pb2_grpc.py`` and their ``.pyi`` stubs) are
committed beside the proto, so the platform needs no code generator at run time; a test
regenerates them into a scratch directory and compares. The output depends on the exact
``grpcio-tools`` and ``mypy-protobuf`` versions, which the ``dev`` extra pins.

The proto is compiled with ``src`` as its root, so its name in the descriptor pool is
``ordergate/feed/grpc/feed.proto`` and the generated modules import each other by their
full package path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["GENERATED", "PROTO", "SOURCE_ROOT", "generate"]

PROTO = Path(__file__).with_name("feed.proto")
"""The service definition."""

SOURCE_ROOT = PROTO.parents[3]
"""The directory holding the ``ordergate`` package (``src``): the proto's import root."""

GENERATED = ("feed_pb2.py", "feed_pb2.pyi", "feed_pb2_grpc.py", "feed_pb2_grpc.pyi")
"""The generated modules, beside the proto."""


def _plugin(name: str) -> Path:
    # mypy-protobuf installs its protoc plugins as scripts beside the interpreter; the venv's
    # bin directory need not be on PATH.
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise RuntimeError(f"{name} not found beside {sys.executable}: install mypy-protobuf")
    return path


def generate(out_dir: Path = SOURCE_ROOT) -> list[Path]:
    """Compile ``feed.proto`` into ``out_dir`` and return the files written.

    Parameters
    ----------
    out_dir
        The output root; the modules are written under ``ordergate/feed/grpc/`` in it.
        The default, the source root, overwrites the committed modules.

    Raises
    ------
    RuntimeError
        If ``grpcio-tools`` or ``mypy-protobuf`` is not installed, or protoc fails.
    """
    try:
        from grpc_tools import protoc
    except ImportError as e:
        raise RuntimeError("grpcio-tools is not installed: install the dev extra") from e
    arguments = [
        "grpc_tools.protoc",
        f"--proto_path={SOURCE_ROOT}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        str(PROTO),
    ]
    status = protoc.main(arguments)
    if status != 0:
        raise RuntimeError(f"protoc failed with status {status}")
    package = out_dir.joinpath(*PROTO.parent.relative_to(SOURCE_ROOT).parts)
    return [package / name for name in GENERATED]


def main(argv: list[str] | None = None) -> int:
    """Regenerate the modules (into ``--out``, default the source tree); return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SOURCE_ROOT, help="output root")
    arguments = parser.parse_args(argv)
    for path in generate(arguments.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
