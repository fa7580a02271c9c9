"""Patient trends: one patient's daily metrics over weeks, against the profile's targets.

One dashboard per profile, like the patient day, so that target lines are the
profile's. Daily values come from ``daily_summary`` (one point per day, at
local midnight), so no day bucketing is needed except for walking time,
summed per UTC day from the posture bouts.
"""

from __future__ import annotations

from typing import Final

from dashboards.common import (
    GREEN,
    JSON,
    RED,
    UID_TRENDS,
    YELLOW,
    dashboard,
    patient_variable,
    raw_rp_variable,
    steps,
    timeseries,
)
from dashboards.common import target as query
from processing.profile import ClinicalProfile

WHERE: Final = "\"patient\" = '$patient' AND $timeFilter"
WEAR_TARGET_H: Final = 8.0
"""Hours a day the sensor should be worn for the day's numbers to mean much."""


def daily(expr: str, alias: str) -> str:
    """One value per day from ``daily_summary``."""
    return f'SELECT {expr} AS "{alias}" FROM "daily_summary" WHERE {WHERE}'


STEPS: Final = daily('"steps"', "steps")
WALKING_MIN: Final = (
    f"SELECT sum(\"duration_s\") / 60 AS \"walking\" FROM \"posture\" "
    f"WHERE \"zone\" = 'walking' AND {WHERE} GROUP BY time(1d) fill(0)"
)
WEAR_H: Final = daily('"wear_time_s" / 3600', "wear time")
SITTING_H: Final = daily('"sitting_time_s" / 3600', "sitting")
RISKY_BENDS: Final = daily('"bends_over_limit"', "risky bends")
LIFTS: Final = daily('"lift_like_events"', "lift-like movements")
EXERCISE_SETS: Final = daily('"exercise_sets"', "exercise sets")


def _at_least(value: float) -> JSON:
    return steps((None, RED), (value / 2, YELLOW), (value, GREEN))


def build(p: ClinicalProfile, raw_rp: str, prescribed_sets_per_week: int) -> JSON:
    """The trends dashboard of profile ``p``; exercise against ``prescribed_sets_per_week``."""
    per_day = prescribed_sets_per_week / 7
    panels = [
        timeseries("Steps per day", f"target {p.daily_steps_target} steps/day",
                   [query(STEPS)], "short", _at_least(p.daily_steps_target), (0, 0, 12, 8),
                   bars=True),
        timeseries("Walking per day", f"target {p.walking_target_min:g} min/day",
                   [query(WALKING_MIN)], "m", _at_least(p.walking_target_min), (12, 0, 12, 8),
                   bars=True),
        timeseries("Risky bends per day", f"allowance {p.daily_risky_bend_allowance}/day",
                   [query(RISKY_BENDS)], "short",
                   steps((None, GREEN), (p.daily_risky_bend_allowance + 1, RED)), (0, 8, 12, 8),
                   bars=True),
        timeseries("Lift-like movements per day",
                   "none allowed" if not p.lift_allowed else f"loads up to {p.lift_max_kg:g} kg",
                   [query(LIFTS)], "short",
                   steps((None, GREEN), (1 if not p.lift_allowed else 1000, RED)), (12, 8, 12, 8),
                   bars=True),
        timeseries("Exercise sets per day",
                   f"prescribed {prescribed_sets_per_week} sets a week (≈ {per_day:.1f}/day)",
                   [query(EXERCISE_SETS)], "short", _at_least(per_day), (0, 16, 12, 8),
                   bars=True),
        timeseries("Wear and sitting per day",
                   f"wear time (guide {WEAR_TARGET_H:g} h) and total sitting time",
                   [query(WEAR_H), query(SITTING_H, "B")], "h", _at_least(WEAR_TARGET_H),
                   (12, 16, 12, 8), bars=True),
    ]
    return dashboard(
        f"{UID_TRENDS}-{p.name}",
        f"Patient trends — {p.name}",
        f"Daily metrics over weeks against the targets of profile {p.name}.",
        panels,
        variables=[patient_variable(p.name), raw_rp_variable(raw_rp)],
        time_from="now-42d",
        time_to="now",
        refresh="1h",
    )
