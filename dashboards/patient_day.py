"""The patient-day dashboard: one patient's day at a glance, judged by one clinical profile.

Grafana thresholds cannot follow a variable, so there is one patient-day
dashboard per profile (uid ``spinewatch-day-<profile>``): its flexion bands,
targets and limits are that profile's, and its ``patient`` variable lists the
patients whose results carry that profile. The clinic overview links each
patient to the dashboard of their profile.
"""

from __future__ import annotations

from typing import Final

from dashboards.common import (
    BLUE,
    GREEN,
    JSON,
    ORANGE,
    PURPLE,
    RED,
    UID_DAY,
    YELLOW,
    annotation,
    dashboard,
    patient_variable,
    raw,
    raw_rp_variable,
    stat,
    state_timeline,
    steps,
    table,
    target,
    timeseries,
)
from processing.profile import ClinicalProfile

WHERE: Final = "\"patient\" = '$patient' AND $timeFilter"
WAKING_HOURS: Final = 12
"""Hours a day's step target is spread over for the steps-per-hour guide line."""
POSTURE_COLORS: Final = {
    "lying": BLUE,
    "not_worn": "transparent",
    "other": PURPLE,
    "sitting": ORANGE,
    "standing": GREEN,
    "walking": "dark-green",
}


def day_uid(profile: ClinicalProfile) -> str:
    """The uid of the patient-day dashboard of ``profile``."""
    return f"{UID_DAY}-{profile.name}"


def count_query(kind: str, extra: str = "") -> str:
    """Events of ``kind`` (with an extra condition) of the patient in the time range."""
    return (
        f"SELECT count(\"duration_s\") FROM \"events\" "
        f"WHERE \"kind\" = '{kind}'{extra} AND {WHERE}"
    )


RISKY_BENDS: Final = count_query("bend", ' AND "violates_profile" = true')
LIFTS_STOOP: Final = count_query("lift", " AND \"technique\" = 'stoop'")
LIFTS_SQUAT: Final = count_query("lift", " AND \"technique\" = 'squat'")
FALLS: Final = count_query("fall")
STEPS: Final = f'SELECT sum("count") FROM "steps" WHERE {WHERE}'
WALKING_MIN: Final = (
    f"SELECT sum(\"duration_s\") / 60 FROM \"posture\" WHERE \"zone\" = 'walking' AND {WHERE}"
)
LONGEST_SITTING_MIN: Final = (
    f"SELECT max(\"duration_s\") / 60 FROM \"posture\" WHERE \"zone\" = 'sitting' AND {WHERE}"
)
WEAR_H: Final = (
    f"SELECT sum(\"duration_s\") / 3600 FROM \"posture\" WHERE \"zone\" != 'not_worn' AND {WHERE}"
)
FLEXION: Final = (
    f'SELECT mean("flexion_deg") AS "flexion", max("flexion_deg") AS "peak flexion" '
    f'FROM {raw("trunk_angles")} WHERE {WHERE} GROUP BY time($__interval) fill(null)'
)
POSTURE: Final = f'SELECT "duration_s", "zone" FROM "posture" WHERE {WHERE}'
STEPS_PER_HOUR: Final = (
    f'SELECT sum("count") AS "steps" FROM "steps" WHERE {WHERE} GROUP BY time(1h) fill(0)'
)
SITTING_BOUTS: Final = (
    f"SELECT \"duration_s\" / 60 AS \"sitting bout\" FROM \"posture\" "
    f"WHERE \"zone\" = 'sitting' AND {WHERE}"
)
EXERCISE_SETS: Final = (
    f'SELECT "reps", "range_deg", "hold_s", "wobble_deg", "duration_s" FROM "exercise_sets" '
    f'WHERE {WHERE} GROUP BY "exercise"'
)
ALERTS: Final = f'SELECT "level", "message", "rule" FROM "alerts" WHERE {WHERE}'
EVENT_NOTES: Final = (
    f'SELECT "peak_flexion_deg", "technique", "kind" FROM "events" WHERE {WHERE}'
)


def _at_most(limit: float) -> JSON:
    """Green up to ``limit`` (inclusive for counts), red above."""
    return steps((None, GREEN), (limit + 1, RED))


def _at_least(target_value: float) -> JSON:
    """Red below half the target, yellow below it, green at or above."""
    return steps((None, RED), (target_value / 2, YELLOW), (target_value, GREEN))


def stats_row(p: ClinicalProfile, y: int) -> list[JSON]:
    """Today's numbers: risky bends, lift-like movements, falls, steps, walking, sitting, wear."""
    lift_limit = 1000 if p.lift_allowed else 0
    return [
        stat("Risky bends", f"bends past {p.flexion_limit_deg:g}° held {p.flexion_hold_s:g} s; "
             f"allowance {p.daily_risky_bend_allowance}/day",
             [target(RISKY_BENDS)], "short", _at_most(p.daily_risky_bend_allowance),
             (0, y, 3, 4)),
        stat("Lift-like, stoop", "lift-like movements with a rounded back (load unknown)",
             [target(LIFTS_STOOP)], "short", _at_most(0), (3, y, 3, 4)),
        stat("Lift-like, squat", "lift-like movements with bent knees (load unknown)",
             [target(LIFTS_SQUAT)], "short", _at_most(lift_limit), (6, y, 3, 4)),
        stat("Falls", "falls detected", [target(FALLS)], "short", _at_most(0), (9, y, 3, 4)),
        stat("Steps", f"target {p.daily_steps_target} steps/day", [target(STEPS)], "short",
             _at_least(p.daily_steps_target), (12, y, 3, 4)),
        stat("Walking", f"target {p.walking_target_min:g} min/day", [target(WALKING_MIN)], "m",
             _at_least(p.walking_target_min), (15, y, 3, 4), decimals=1),
        stat("Longest sitting bout", f"limit {p.sitting_max_min:g} min at a stretch",
             [target(LONGEST_SITTING_MIN)], "m",
             steps((None, GREEN), (p.sitting_max_min, RED)), (18, y, 3, 4), calc="max",
             decimals=1),
        stat("Wear time", "time the sensor was worn", [target(WEAR_H)], "h",
             _at_least(8), (21, y, 3, 4), decimals=1),
    ]


def flexion_row(p: ClinicalProfile, y: int) -> list[JSON]:
    """Trunk flexion over the day with the profile's zones as bands, and posture states."""
    zones = steps(
        (None, PURPLE),
        (-p.extension_limit_deg, GREEN),
        (p.flexion_caution_deg, YELLOW),
        (p.flexion_limit_deg, RED),
    )
    return [
        timeseries("Trunk flexion", "forward bend of the trunk; bands: extension beyond "
                   f"{p.extension_limit_deg:g}°, neutral, caution from {p.flexion_caution_deg:g}°, "
                   f"beyond the limit {p.flexion_limit_deg:g}°",
                   [target(FLEXION)], "degree", zones, (0, y, 24, 9), bands=True),
        state_timeline("Posture", "posture bouts: lying, sitting, standing, walking, not worn",
                       [target(POSTURE, result_format="table")], POSTURE_COLORS,
                       (0, y + 9, 24, 4), hide_fields=["duration_s"]),
    ]


def activity_row(p: ClinicalProfile, y: int) -> list[JSON]:
    """Steps per hour and sitting bouts."""
    per_hour = p.daily_steps_target / WAKING_HOURS
    return [
        timeseries("Steps per hour", f"guide line: the daily target over {WAKING_HOURS} hours",
                   [target(STEPS_PER_HOUR)], "short", steps((None, YELLOW), (per_hour, GREEN)),
                   (0, y, 12, 8), bars=True),
        timeseries("Sitting bouts", f"each sitting bout's length; limit {p.sitting_max_min:g} min",
                   [target(SITTING_BOUTS)], "m",
                   steps((None, GREEN), (p.sitting_max_min, RED)), (12, y, 12, 8),
                   points=True),
    ]


def exercise_row(y: int) -> list[JSON]:
    """Exercise sets with reps and range, and the alerts given."""
    return [
        table("Exercise sets", "sets of the home programme: reps, range of motion, holds",
              [target(EXERCISE_SETS, result_format="table")], "short",
              steps((None, GREEN)), (0, y, 14, 8)),
        table("Alerts", "alerts given to the patient and clinic (level 1 reminder … 4 urgent)",
              [target(ALERTS, result_format="table")], "short",
              steps((None, GREEN), (2, YELLOW), (3, ORANGE), (4, RED)), (14, y, 10, 8)),
    ]


def build(p: ClinicalProfile, raw_rp: str) -> JSON:
    """The patient-day dashboard of profile ``p``."""
    panels = [*stats_row(p, 0), *flexion_row(p, 4), *activity_row(p, 17), *exercise_row(25)]
    return dashboard(
        day_uid(p),
        f"Patient day — {p.name}",
        f"One patient's day judged by profile {p.name}: {p.description}",
        panels,
        variables=[patient_variable(p.name), raw_rp_variable(raw_rp)],
        annotations=[
            annotation("Events", EVENT_NOTES, ORANGE),
            annotation("Alerts", f'SELECT "message", "rule" FROM "alerts" WHERE {WHERE}', RED),
        ],
    )
