"""``spinewatch doctor``: check the settings, the local store and the InfluxDB server.

Prints one line per check (``ok`` or ``FAIL`` with advice) and exits 0 when
all pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from spinewatch.config import load_settings, read_toml
from spinewatch.errors import ConfigError
from spinewatch.storage.checks import Check, check_inline_secrets, check_server, check_store

EXIT_OK = 0
EXIT_PROBLEMS = 1


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="check settings, the local store and the InfluxDB server, with advice",
        description="Check that the settings load, the local result store is writable, and "
        "the InfluxDB of [storage] answers /ping and accepts writes with the credentials.",
    )
    p.add_argument("--config", type=Path, default=None, help="settings TOML")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        _print(Check("settings", False, exc.message, exc.one_line()))
        return EXIT_PROBLEMS
    checks = [Check("settings", True, str(args.config) if args.config else "defaults")]
    if args.config is not None:
        raw, _ = read_toml(args.config)
        storage_table = raw.get("storage")
        checks.append(
            check_inline_secrets(storage_table if isinstance(storage_table, dict) else {})
        )
    checks.append(check_store(settings.storage.store_file(settings.paths.data_path)))
    checks.extend(check_server(settings.storage))
    for check in checks:
        _print(check)
    return EXIT_OK if all(c.ok for c in checks) else EXIT_PROBLEMS


def _print(check: Check) -> None:
    mark = "ok  " if check.ok else "FAIL"
    print(f"{mark} {check.name}: {check.detail}")
    if not check.ok and check.advice:
        print(f"     advice: {check.advice}")
