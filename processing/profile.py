"""A patient's clinical profile: the thresholds the analysis, events and alerts use.

Every number here is a default chosen per patient (by surgery type and weeks
since surgery) and overridable by the therapist; none is a constant in code.
Profiles are data (``spinewatch/profiles/*.toml``, loaded by
:mod:`spinewatch.profiles`); this module only defines their shape and rules.

Angle conventions follow :mod:`processing.types`: flexion is positive forward,
so extension is negative flexion; lateral bend and twist are judged by size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Final

from spinewatch.errors import ConfigError


def _spec(lo: float, hi: float, unit: str, text: str) -> Any:
    """Field metadata: inclusive range, unit and help (read by the settings loader)."""
    return field(metadata={"min": lo, "max": hi, "unit": unit, "help": text})


@dataclass(frozen=True, slots=True)
class Zone:
    """A named half-open interval ``[lo_deg, hi_deg)`` of an angle, in degrees."""

    name: str
    lo_deg: float
    hi_deg: float

    def contains(self, angle_deg: float) -> bool:
        return self.lo_deg <= angle_deg < self.hi_deg


@dataclass(frozen=True, slots=True, kw_only=True)
class ClinicalProfile:
    """Movement limits and targets for one patient at one stage of recovery.

    Flexion zones: neutral below ``flexion_caution_deg``, caution from there
    up to ``flexion_limit_deg``, beyond from the limit up. Lateral bend zones
    follow EN 1005-4 (neutral, moderate, awkward). Rules between fields are
    checked on construction and raise ConfigError naming the field.
    """

    # Flexion (forward bend), degrees of trunk inclination forward of upright.
    flexion_caution_deg: float = _spec(0, 90, "°", "start of the caution zone of forward bending")
    flexion_limit_deg: float = _spec(1, 120, "°", "forward bend beyond this is a risky bend")
    flexion_hold_s: float = _spec(0, 600, "s", "time beyond the limit before it counts and alerts")
    flexion_hysteresis_deg: float = _spec(
        0, 30, "°", "a bend ends only this far below the edge it crossed, against chatter"
    )
    # Extension (backward bend beyond upright).
    extension_limit_deg: float = _spec(
        0, 60, "°", "backward bend beyond upright that counts as risky"
    )
    # Lateral bend (EN 1005-4 zones), size of the angle either side.
    lateral_neutral_deg: float = _spec(0, 45, "°", "lateral bend up to this is neutral")
    lateral_limit_deg: float = _spec(1, 60, "°", "lateral bend beyond this is awkward and alerts")
    lateral_max_per_min: int = _spec(
        0, 60, "1/min", "lateral bends past the neutral edge tolerated per minute"
    )
    # Twist (axial rotation of the trunk).
    twist_limit_deg: float = _spec(1, 90, "°", "trunk twist beyond this is a risky twist")
    twist_rate_limit_dps: float = _spec(1, 720, "°/s", "twisting faster than this is a risky twist")
    twist_max_per_min: int = _spec(0, 60, "1/min", "twists past the limit tolerated per minute")
    # Lifting: the sensor sees lift-like movements, it cannot weigh the load.
    lift_allowed: bool = field(metadata={"help": "false: every lift-like movement is an event"})
    lift_max_kg: float = _spec(0, 50, "kg", "heaviest load the patient may lift (advice only)")
    # Sitting and activity.
    sitting_max_min: float = _spec(1, 480, "min", "longest sitting at a stretch before a reminder")
    daily_steps_target: int = _spec(0, 50_000, "steps/day", "daily step target")
    walking_target_min: float = _spec(0, 600, "min/day", "daily walking time target")
    # Alerts: hold, hysteresis, cooldown and escalation instead of repeated buzzing.
    alert_cooldown_s: float = _spec(0, 3600, "s", "quiet time after an alert before the same alert")
    alert_escalation_count: int = _spec(1, 20, "", "alerts within the window that escalate")
    alert_escalation_window_min: float = _spec(1, 1440, "min", "window for counting escalations")
    daily_risky_bend_allowance: int = _spec(
        0, 1000, "1/day", "risky bends a day before the therapist report flags the day"
    )
    name: str = field(default="custom", metadata={"help": "profile name"})
    description: str = field(default="", metadata={"help": "what the profile is for"})

    def __post_init__(self) -> None:
        for spec in fields(self):
            lo, hi = spec.metadata.get("min"), spec.metadata.get("max")
            value = getattr(self, spec.name)
            if lo is None or isinstance(value, bool):
                continue
            if not (math.isfinite(value) and lo <= value <= hi):
                unit = spec.metadata.get("unit", "")
                raise ConfigError(
                    f"must be between {lo} and {hi} {unit}".rstrip(), where=spec.name, value=value
                )
        for low, high in ORDER_RULES:
            if not getattr(self, low) < getattr(self, high):
                raise ConfigError(
                    f"must be below {high} = {getattr(self, high)!r}",
                    where=low,
                    value=getattr(self, low),
                )
        span_s = self.alert_cooldown_s * (self.alert_escalation_count - 1)
        if span_s > self.alert_escalation_window_min * 60:
            raise ConfigError(
                f"is shorter than alert_escalation_count = {self.alert_escalation_count} alerts "
                f"spaced by alert_cooldown_s = {self.alert_cooldown_s!r}, so alerts never escalate",
                where="alert_escalation_window_min",
                value=self.alert_escalation_window_min,
            )

    def flexion_zones(self) -> tuple[Zone, ...]:
        """Zones of the flexion angle, covering all angles, for summaries.

        ``extension`` is backward beyond the extension limit (negative
        flexion); then ``neutral``, ``caution`` and ``beyond`` (the limit).
        """
        return (
            Zone("extension", -math.inf, -self.extension_limit_deg),
            Zone("neutral", -self.extension_limit_deg, self.flexion_caution_deg),
            Zone("caution", self.flexion_caution_deg, self.flexion_limit_deg),
            Zone("beyond", self.flexion_limit_deg, math.inf),
        )

    def lateral_zones(self) -> tuple[Zone, ...]:
        """EN 1005-4 zones of the size of the lateral bend angle, for summaries."""
        return (
            Zone("neutral", 0.0, self.lateral_neutral_deg),
            Zone("moderate", self.lateral_neutral_deg, self.lateral_limit_deg),
            Zone("awkward", self.lateral_limit_deg, math.inf),
        )

    def flexion_zone(self, flexion_deg: float) -> str:
        """Name of the flexion zone holding ``flexion_deg`` (NaN: ``unknown``)."""
        return next((z.name for z in self.flexion_zones() if z.contains(flexion_deg)), "unknown")


ORDER_RULES: Final = (
    ("flexion_caution_deg", "flexion_limit_deg"),
    # The caution zone is left at caution - hysteresis, which must stay above upright.
    ("flexion_hysteresis_deg", "flexion_caution_deg"),
    ("lateral_neutral_deg", "lateral_limit_deg"),
)
"""Pairs ``(a, b)`` of profile fields that must satisfy ``a < b``."""
