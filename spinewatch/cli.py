"""The ``spinewatch`` command: one entry point, one module per subcommand.

Each module in :mod:`spinewatch.commands` has ``register(subparsers)``, which
adds its parser and sets ``func`` to a function ``(args) -> int`` (exit code).
Project errors become one line on stderr and exit code 2; nothing else is
caught, so bugs still show their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Final

from spinewatch import __version__
from spinewatch.errors import SpinewatchError

COMMAND_MODULES: Final = ("analyze", "simulate", "config")
EXIT_USER_ERROR: Final = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinewatch",
        description="Lower-back movement monitoring after lumbar spine surgery.",
    )
    parser.add_argument("--version", action="version", version=f"spinewatch {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"spinewatch.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except SpinewatchError as exc:
        print(f"spinewatch {args.command}: error: {exc.one_line()}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"spinewatch {args.command}: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
