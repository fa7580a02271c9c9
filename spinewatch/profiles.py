"""Patient profiles as data: the shipped TOML profiles, choosing one, overrides.

A profile (:class:`processing.profile.ClinicalProfile`) holds every clinical
threshold for one stage of recovery. The shipped ones live in
``spinewatch/profiles/<name>.toml``, each value commented with its source; a
profile can also be a TOML file of the same keys given by path. A therapist's
overrides are applied on top and checked like the file itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib.resources
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

from processing.profile import ClinicalProfile
from spinewatch.config import build, convert_partial, format_value, read_toml
from spinewatch.errors import ConfigError

Surgery = Literal["fusion", "discectomy"]

PROFILE_SCHEDULE: Final[Mapping[str, tuple[tuple[float, str], ...]]] = {
    # (weeks since surgery up to which the profile applies, exclusive; profile name)
    "fusion": ((6.0, "fusion_weeks_0_6"), (12.0, "fusion_weeks_6_12"), (math.inf, "maintenance")),
    "discectomy": (
        (2.0, "discectomy_weeks_0_2"),
        (6.0, "discectomy_weeks_2_6"),
        (math.inf, "maintenance"),
    ),
}
"""Which shipped profile applies in which week after which surgery."""

SURGERY_ALIASES: Final[Mapping[str, Surgery]] = {
    "fusion": "fusion",
    "spinal_fusion": "fusion",
    "discectomy": "discectomy",
    "microdiscectomy": "discectomy",
}


def _profiles_dir() -> Any:
    return importlib.resources.files("spinewatch") / "profiles"


@functools.cache
def profile_names() -> tuple[str, ...]:
    """Names of the shipped profiles, sorted."""
    return tuple(sorted(p.name[:-5] for p in _profiles_dir().iterdir() if p.name.endswith(".toml")))


def _read_file(path: Path, name: str, shown: str) -> ClinicalProfile:
    data, text = read_toml(path)
    # The name defaults to the file's stem, so that a profile file need not repeat it.
    data.setdefault("name", name)
    return build(ClinicalProfile, data, source=shown, text=text)


@functools.cache
def _read_shipped(name: str) -> ClinicalProfile:
    # Shipped profiles never change while running: read each once.
    with importlib.resources.as_file(_profiles_dir() / f"{name}.toml") as path:
        return _read_file(path, name, f"spinewatch/profiles/{name}.toml")


def read_profile(profile: str | Path) -> ClinicalProfile:
    """A shipped profile by name, or a profile TOML file by path, without overrides.

    Raises ConfigError with ``where="profile"`` for an unknown name, or naming
    the file and line for an invalid profile file.
    """
    text = str(profile)
    if isinstance(profile, str) and text in profile_names():
        return _read_shipped(text)
    path = Path(text).expanduser()
    if path.suffix == ".toml" or path.is_file():
        return _read_file(path, path.stem, text)
    raise ConfigError(
        "no such profile",
        where="profile",
        value=text,
        advice=f"use one of {', '.join(profile_names())}, or the path of a .toml profile file",
    )


def load_profile(
    profile: str | Path, overrides: Mapping[str, Any] | None = None
) -> ClinicalProfile:
    """Profile ``profile`` (name or path) with a therapist's ``overrides`` applied.

    Unknown keys, values of the wrong type or out of range, and overrides that
    break a rule between fields (caution below limit, …) raise ConfigError
    whose ``where`` is ``overrides.<key>``.
    """
    base = read_profile(profile)
    if not overrides:
        return base
    changes = convert_partial(ClinicalProfile, overrides, key="overrides")
    try:
        return dataclasses.replace(base, **changes)
    except ConfigError as exc:
        # Blame an overridden key: the broken field itself, or the one its rule names.
        broken = exc.where or ""
        blamed = (
            broken if broken in changes else next((k for k in changes if k in exc.message), None)
        )
        if blamed is None:  # pragma: no cover - every rule names both of its fields
            raise
        problem = (
            exc.message
            if blamed == broken
            else (
                f"makes the profile's {broken} = {format_value(exc.value)} break its rule: "
                f"{broken} {exc.message}"
            )
        )
        raise ConfigError(
            problem,
            where=f"overrides.{blamed}",
            value=overrides[blamed],
            advice=f"profile {base.name} with these overrides",
        ) from exc


def profile_for(surgery: str, weeks_since_surgery: float) -> str:
    """Name of the shipped profile for ``surgery`` (fusion, discectomy) in that week.

    Weeks count from the day of surgery: week 6.0 after a fusion is already
    ``fusion_weeks_6_12``.
    """
    kind = SURGERY_ALIASES.get(surgery.strip().lower())
    if kind is None:
        raise ConfigError(
            "unknown surgery",
            where="surgery",
            value=surgery,
            advice=f"use one of {', '.join(SURGERY_ALIASES)}",
        )
    if not math.isfinite(weeks_since_surgery) or weeks_since_surgery < 0:
        raise ConfigError(
            "must be a number of weeks ≥ 0",
            where="weeks_since_surgery",
            value=weeks_since_surgery,
        )
    return next(name for end, name in PROFILE_SCHEDULE[kind] if weeks_since_surgery < end)


def weeks_since(surgery_date: dt.date, today: dt.date) -> float:
    """Weeks from ``surgery_date`` to ``today`` (negative if the date is ahead)."""
    return (today - surgery_date).days / 7.0
