"""The ``spinewatch`` command itself: each command loads only what it runs."""

from __future__ import annotations

import subprocess
import sys

from spinewatch.cli import COMMAND_MODULES, build_parser


def test_a_light_command_does_not_load_the_analysis_stack() -> None:
    # Start-up time is what a user feels on every call: `config` must not pay for scipy,
    # numba, bumble and matplotlib, which other commands load.
    code = (
        "import sys; from spinewatch.cli import main; rc = main(['config', 'profiles']); "
        "heavy = [m for m in ('scipy', 'numba', 'bumble', 'matplotlib') if m in sys.modules]; "
        "print(rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_every_command_is_listed_and_registers_its_options() -> None:
    full = build_parser()
    for name in COMMAND_MODULES:
        # Each command's own parser has its options (a bare placeholder has only --help).
        sub = build_parser(name)._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
        assert len(sub._actions) > 1, name
    assert set(full._subparsers._group_actions[0].choices) == set(COMMAND_MODULES)  # type: ignore[union-attr]
