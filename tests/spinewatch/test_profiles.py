"""Shipped profiles, choosing one by surgery and week, and therapist overrides."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.resources
import itertools
import re
import tomllib
from pathlib import Path

import pytest

from processing.profile import ORDER_RULES, ClinicalProfile
from spinewatch.errors import ConfigError
from spinewatch.profiles import (
    PROFILE_SCHEDULE,
    load_profile,
    profile_for,
    profile_names,
    read_profile,
    weeks_since,
)

SHIPPED = (
    "discectomy_weeks_0_2",
    "discectomy_weeks_2_6",
    "fusion_weeks_0_6",
    "fusion_weeks_6_12",
    "maintenance",
)
PROFILE_KEYS = {f.name for f in dataclasses.fields(ClinicalProfile)} - {"name"}


def shipped_text(name: str) -> str:
    return (importlib.resources.files("spinewatch") / "profiles" / f"{name}.toml").read_text(
        "utf-8"
    )


def test_the_five_profiles_are_shipped() -> None:
    assert profile_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_profile_loads_and_keeps_its_rules(name: str) -> None:
    profile = read_profile(name)
    assert profile.name == name
    assert profile.description
    for low, high in ORDER_RULES:
        assert getattr(profile, low) < getattr(profile, high)
    assert profile.alert_cooldown_s * (profile.alert_escalation_count - 1) <= (
        profile.alert_escalation_window_min * 60
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_profile_sets_every_key_explicitly(name: str) -> None:
    assert set(tomllib.loads(shipped_text(name))) == PROFILE_KEYS


@pytest.mark.parametrize("name", SHIPPED)
def test_every_value_in_a_shipped_profile_has_a_comment_giving_its_source(name: str) -> None:
    block_has_comment = False
    for line in shipped_text(name).splitlines():
        if not line.strip():
            block_has_comment = False
        elif line.startswith("#"):
            block_has_comment = True
        elif re.match(r"\w+\s*=", line) and not line.startswith("description"):
            assert block_has_comment, f"{name}: no comment above {line!r}"


def test_profiles_relax_with_time_after_surgery() -> None:
    for stages in PROFILE_SCHEDULE.values():
        profiles = [read_profile(name) for _, name in stages]
        for earlier, later in itertools.pairwise(profiles):
            assert earlier.flexion_limit_deg <= later.flexion_limit_deg
            assert earlier.lift_max_kg <= later.lift_max_kg
            assert earlier.sitting_max_min <= later.sitting_max_min
            assert earlier.daily_steps_target <= later.daily_steps_target
            assert earlier.lift_allowed <= later.lift_allowed


def test_early_profiles_forbid_lifting() -> None:
    assert not read_profile("fusion_weeks_0_6").lift_allowed
    assert not read_profile("discectomy_weeks_0_2").lift_allowed
    assert read_profile("maintenance").flexion_limit_deg == 60.0  # ISO 11226


@pytest.mark.parametrize(
    ("surgery", "weeks", "expected"),
    [
        ("fusion", 0.0, "fusion_weeks_0_6"),
        ("fusion", 5.99, "fusion_weeks_0_6"),
        ("fusion", 6.0, "fusion_weeks_6_12"),
        ("fusion", 11.9, "fusion_weeks_6_12"),
        ("fusion", 12.0, "maintenance"),
        ("Spinal_Fusion", 1.0, "fusion_weeks_0_6"),
        ("discectomy", 0.0, "discectomy_weeks_0_2"),
        ("discectomy", 2.0, "discectomy_weeks_2_6"),
        ("microdiscectomy", 5.5, "discectomy_weeks_2_6"),
        ("discectomy", 6.0, "maintenance"),
        ("discectomy", 300.0, "maintenance"),
    ],
)
def test_profile_for_picks_by_surgery_and_week(surgery: str, weeks: float, expected: str) -> None:
    assert profile_for(surgery, weeks) == expected


def test_profile_for_rejects_unknown_surgery() -> None:
    with pytest.raises(ConfigError) as info:
        profile_for("laminectomy", 3.0)
    assert info.value.where == "surgery"
    assert "fusion" in (info.value.advice or "")


@pytest.mark.parametrize("weeks", [-1.0, float("nan")])
def test_profile_for_rejects_impossible_weeks(weeks: float) -> None:
    with pytest.raises(ConfigError, match="weeks_since_surgery"):
        profile_for("fusion", weeks)


def test_weeks_since_counts_days() -> None:
    assert weeks_since(dt.date(2025, 1, 1), dt.date(2025, 1, 15)) == 2.0


def test_overrides_apply_with_conversion() -> None:
    profile = load_profile("fusion_weeks_0_6", {"flexion_limit_deg": 30, "lift_allowed": True})
    assert profile.flexion_limit_deg == 30.0 and isinstance(profile.flexion_limit_deg, float)
    assert profile.lift_allowed is True
    assert profile.flexion_caution_deg == read_profile("fusion_weeks_0_6").flexion_caution_deg


def test_no_overrides_give_the_shipped_profile() -> None:
    assert load_profile("maintenance", {}) == read_profile("maintenance")


def test_unknown_override_key_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("fusion_weeks_0_6", {"flexion_limit_dg": 30})
    assert info.value.where == "overrides.flexion_limit_dg"
    assert info.value.message == "unknown key"
    assert info.value.advice == "did you mean 'flexion_limit_deg'?"


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("flexion_limit_deg", "abc", "must be a number"),
        ("flexion_hold_s", -3, "must be between 0 and 600 s"),
        ("lift_allowed", "yes", "must be true or false"),
        ("daily_steps_target", 2.5, "must be an integer"),
    ],
)
def test_bad_override_values_name_the_key(key: str, value: object, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("fusion_weeks_0_6", {key: value})
    assert info.value.where == f"overrides.{key}"
    assert info.value.message == problem
    assert info.value.value == value


def test_override_breaking_a_rule_blames_the_overridden_key() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("fusion_weeks_0_6", {"flexion_limit_deg": 10})
    assert info.value.where == "overrides.flexion_limit_deg"
    assert "flexion_caution_deg = 15.0" in info.value.message
    assert "fusion_weeks_0_6" in (info.value.advice or "")


def test_override_of_the_broken_field_itself_keeps_its_message() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("fusion_weeks_0_6", {"flexion_caution_deg": 40})
    assert info.value.where == "overrides.flexion_caution_deg"
    assert info.value.message == "must be below flexion_limit_deg = 25.0"


def test_overriding_both_ends_of_a_rule_together_works() -> None:
    profile = load_profile("fusion_weeks_0_6", {"flexion_caution_deg": 40, "flexion_limit_deg": 50})
    assert (profile.flexion_caution_deg, profile.flexion_limit_deg) == (40.0, 50.0)


def test_unknown_profile_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile("fusion_week_0_6")
    assert info.value.where == "profile"
    assert info.value.value == "fusion_week_0_6"
    assert "fusion_weeks_0_6" in (info.value.advice or "")


def test_profile_file_by_path(tmp_path: Path) -> None:
    text = shipped_text("maintenance").replace("sitting_max_min = 45.0", "sitting_max_min = 50.0")
    path = tmp_path / "clinic_a.toml"
    path.write_text(text, encoding="utf-8")
    profile = load_profile(str(path), {"lift_max_kg": 8})
    assert profile.name == "clinic_a"
    assert profile.sitting_max_min == 50.0
    assert profile.lift_max_kg == 8.0


def test_invalid_profile_file_names_file_line_and_key(tmp_path: Path) -> None:
    text = shipped_text("maintenance").replace("flexion_hold_s = 10.0", "flexion_hold_s = -2.0")
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("flexion_hold_s = -2.0") + 1
    with pytest.raises(ConfigError) as info:
        read_profile(path)
    assert str(info.value) == f"{path}:{line}: flexion_hold_s = -2.0: must be between 0 and 600 s"


def test_incomplete_profile_file_names_the_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text(
        "\n".join(
            line
            for line in shipped_text("maintenance").splitlines()
            if not line.startswith("twist_limit_deg")
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="twist_limit_deg: missing required key"):
        read_profile(path)


def test_profile_file_breaking_a_rule_names_its_line(tmp_path: Path) -> None:
    text = shipped_text("maintenance").replace(
        "flexion_caution_deg = 20.0", "flexion_caution_deg = 70.0"
    )
    path = tmp_path / "rule.toml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("flexion_caution_deg = 70.0") + 1
    with pytest.raises(ConfigError) as info:
        read_profile(path)
    assert str(info.value) == (
        f"{path}:{line}: flexion_caution_deg = 70.0: must be below flexion_limit_deg = 60.0"
    )


def test_missing_profile_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        read_profile(tmp_path / "nowhere.toml")
