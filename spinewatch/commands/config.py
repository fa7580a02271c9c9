"""``spinewatch config``: print the default settings, check a file, list profiles."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from processing.profile import ClinicalProfile
from spinewatch.config import dump_defaults, dump_toml, load_settings
from spinewatch.errors import ConfigError
from spinewatch.profiles import profile_names, read_profile

EXIT_OK = 0
EXIT_INVALID = 2

_PROFILE_COLUMNS: tuple[tuple[str, Callable[[ClinicalProfile], str]], ...] = (
    ("flexion caution/limit °", lambda p: f"{p.flexion_caution_deg:g}/{p.flexion_limit_deg:g}"),
    ("hold s", lambda p: f"{p.flexion_hold_s:g}"),
    ("lateral °", lambda p: f"{p.lateral_limit_deg:g}"),
    ("twist °", lambda p: f"{p.twist_limit_deg:g}"),
    ("lift", lambda p: f"{'yes' if p.lift_allowed else 'no'} ≤{p.lift_max_kg:g} kg"),
    ("sit min", lambda p: f"{p.sitting_max_min:g}"),
    ("steps/day", lambda p: f"{p.daily_steps_target}"),
)


def register(subparsers: Any) -> None:
    """Add ``config`` and its subcommands to the ``spinewatch`` parser."""
    parser = subparsers.add_parser("config", help="show, check and explain settings and profiles")
    sub = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")

    defaults = sub.add_parser("defaults", help="print every setting with its default as TOML")
    defaults.set_defaults(func=_defaults)

    check = sub.add_parser("check", help="load and validate a settings file")
    check.add_argument("file", help="settings TOML file")
    check.add_argument("--no-env", action="store_true", help="ignore SPINEWATCH__* variables")
    check.add_argument("--show", action="store_true", help="print the effective settings")
    check.set_defaults(func=_check)

    profiles = sub.add_parser("profiles", help="list the clinical profiles and key thresholds")
    profiles.set_defaults(func=_profiles)


def _defaults(args: argparse.Namespace) -> int:
    sys.stdout.write(dump_defaults())
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.file, {} if args.no_env else None)
    except ConfigError as exc:
        # One line, as the brief of this command: the file is the thing being judged.
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return EXIT_INVALID
    profile = settings.patient.clinical_profile()
    print(f"OK: {args.file} (patient {settings.patient.id}, profile {profile.name})")
    if args.show:
        sys.stdout.write(dump_toml(settings))
    return EXIT_OK


def _profiles(args: argparse.Namespace) -> int:
    rows = [("profile", *(title for title, _ in _PROFILE_COLUMNS))]
    for name in profile_names():
        profile = read_profile(name)
        rows.append((name, *(cell(profile) for _, cell in _PROFILE_COLUMNS)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK
