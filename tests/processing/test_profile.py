"""ClinicalProfile: its rules between fields and its zones."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import pytest

from processing.profile import ORDER_RULES, ClinicalProfile, Zone
from spinewatch.errors import ConfigError

BASE: dict[str, Any] = {
    "flexion_caution_deg": 15.0,
    "flexion_limit_deg": 25.0,
    "flexion_hold_s": 3.0,
    "flexion_hysteresis_deg": 5.0,
    "extension_limit_deg": 10.0,
    "lateral_neutral_deg": 10.0,
    "lateral_limit_deg": 15.0,
    "lateral_max_per_min": 1,
    "twist_limit_deg": 10.0,
    "twist_rate_limit_dps": 30.0,
    "twist_max_per_min": 1,
    "lift_allowed": False,
    "lift_max_kg": 2.0,
    "sitting_max_min": 20.0,
    "daily_steps_target": 2500,
    "walking_target_min": 30.0,
    "alert_cooldown_s": 120.0,
    "alert_escalation_count": 3,
    "alert_escalation_window_min": 30.0,
    "daily_risky_bend_allowance": 0,
}


def make_profile(**changes: Any) -> ClinicalProfile:
    return ClinicalProfile(**{**BASE, **changes})


def test_a_valid_profile_keeps_its_values() -> None:
    profile = make_profile(name="test")
    assert profile.flexion_limit_deg == 25.0
    assert profile.name == "test"
    assert profile.description == ""


def test_profile_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_profile().flexion_limit_deg = 90.0  # type: ignore[misc]


def test_every_field_but_name_and_description_is_required() -> None:
    required = {
        f.name
        for f in dataclasses.fields(ClinicalProfile)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert required == set(BASE)


def test_every_numeric_field_has_range_unit_and_help() -> None:
    for spec in dataclasses.fields(ClinicalProfile):
        assert spec.metadata.get("help"), spec.name
        if spec.name in ("lift_allowed", "name", "description"):
            continue
        assert "min" in spec.metadata and "max" in spec.metadata, spec.name
        assert "unit" in spec.metadata, spec.name


@pytest.mark.parametrize(("low", "high"), ORDER_RULES)
def test_order_rules_raise_naming_the_lower_field(low: str, high: str) -> None:
    value = BASE[high] if low != "flexion_hysteresis_deg" else BASE["flexion_caution_deg"]
    with pytest.raises(ConfigError) as info:
        make_profile(**{low: value})
    assert info.value.where == low
    assert high in info.value.message
    assert info.value.value == value


def test_caution_equal_to_limit_is_rejected() -> None:
    with pytest.raises(ConfigError, match="flexion_caution_deg: must be below flexion_limit_deg"):
        make_profile(flexion_caution_deg=25.0)


def test_escalation_impossible_within_window_is_rejected() -> None:
    with pytest.raises(ConfigError) as info:
        make_profile(
            alert_cooldown_s=1200.0, alert_escalation_count=3, alert_escalation_window_min=30.0
        )
    assert info.value.where == "alert_escalation_window_min"
    assert "never escalate" in info.value.message


def test_escalation_exactly_fitting_the_window_is_accepted() -> None:
    make_profile(alert_cooldown_s=900.0, alert_escalation_count=3, alert_escalation_window_min=30.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("flexion_hold_s", -1.0),
        ("flexion_limit_deg", 500.0),
        ("lift_max_kg", math.nan),
        ("daily_steps_target", -5),
    ],
)
def test_out_of_range_values_raise_even_without_the_loader(name: str, value: float) -> None:
    with pytest.raises(ConfigError) as info:
        make_profile(**{name: value})
    assert info.value.where == name


def test_flexion_zones_partition_all_angles() -> None:
    zones = make_profile().flexion_zones()
    assert [z.name for z in zones] == ["extension", "neutral", "caution", "beyond"]
    assert zones[0].lo_deg == -math.inf and zones[-1].hi_deg == math.inf
    for left, right in itertools.pairwise(zones):
        assert left.hi_deg == right.lo_deg
    assert zones[1] == Zone("neutral", -10.0, 15.0)
    assert zones[2] == Zone("caution", 15.0, 25.0)


@pytest.mark.parametrize(
    ("angle", "zone"),
    [
        (-30.0, "extension"),
        (-10.0, "neutral"),
        (0.0, "neutral"),
        (14.9, "neutral"),
        (15.0, "caution"),
        (24.99, "caution"),
        (25.0, "beyond"),
        (90.0, "beyond"),
        (math.nan, "unknown"),
    ],
)
def test_flexion_zone_edges_are_half_open(angle: float, zone: str) -> None:
    assert make_profile().flexion_zone(angle) == zone


def test_lateral_zones_follow_en_1005_4() -> None:
    zones = make_profile(lateral_limit_deg=20.0).lateral_zones()
    assert zones == (
        Zone("neutral", 0.0, 10.0),
        Zone("moderate", 10.0, 20.0),
        Zone("awkward", 20.0, math.inf),
    )
    assert zones[1].contains(10.0) and not zones[1].contains(20.0)
