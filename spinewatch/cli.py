"""The ``spinewatch`` command: one entry point, one module per subcommand.

Each module in :mod:`spinewatch.commands` has ``register(subparsers)``, which
adds its parser and sets ``func`` to a function ``(args) -> int`` (exit code).
Project errors become one line on stderr and exit code 2; nothing else is
caught, so bugs still show their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Sequence
from typing import Final

from spinewatch import __version__
from spinewatch.errors import SpinewatchError

COMMAND_MODULES: Final = (
    "analyze",
    "simulate",
    "config",
    "decode",
    "scan",
    "collect",
    "upload",
    "doctor",
    "report",
    "dashboards",
    "run",
    "demo",
)
EXIT_USER_ERROR: Final = 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or, with ``only``, with just that command's options.

    Command modules import what they run (scipy, numba, bumble, matplotlib): loading all of
    them takes seconds, so a command loads only its own; the others stay bare names.
    """
    parser = argparse.ArgumentParser(
        prog="spinewatch",
        description="Lower-back movement monitoring after lumbar spine surgery.",
    )
    parser.add_argument("--version", action="version", version=f"spinewatch {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        if only is None or name == only:
            module = importlib.import_module(f"spinewatch.commands.{name}")
            module.register(subparsers)
        else:
            subparsers.add_parser(name)
    return parser


class _OneLine(logging.Handler):
    """Log records as ``PROG: warning: message`` on the current stderr, one line each."""

    def __init__(self, prog: str) -> None:
        super().__init__(logging.WARNING)
        self.prog = prog

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip().replace("\n", " ")
        print(f"{self.prog}: {record.levelname.lower()}: {text}", file=sys.stderr)


def _one_line_warnings(prog: str) -> None:
    """Warnings and log records as one line each on stderr, without source paths."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _OneLine)]:
        root.removeHandler(h)
    root.addHandler(_OneLine(prog))
    root.setLevel(logging.WARNING)
    # Warnings go through logging too, as their bare message. Re-installed on every call:
    # whoever ran main before (a test runner) may have put its own hook back.
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    warnings.formatwarning = lambda message, *_args, **_kw: str(message)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command if command in COMMAND_MODULES else None)
    args = parser.parse_args(words)
    _one_line_warnings(f"spinewatch {args.command}")
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
