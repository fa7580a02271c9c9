"""The clinic overview: every patient, today and the last 7 days, those needing attention first.

Three tables, one row per patient each (queries grouped by ``patient`` and
joined on it), all sorted by the same ``attention`` column: the sum of the
levels of today's alerts (1 reminder … 4 urgent, so a fall outweighs
reminders). A table has one unit and one set of thresholds (the schema allows
no per-column overrides, see :func:`dashboards.common.table`), hence three:
counts where anything above zero needs a look, activity against targets, and
the devices. Every cell links to the patient's day on the dashboard of the
patient's profile.

"Today" is the dashboard's time range (default: today so far); "7 d" is the
7 days up to its end (``${__to}``).
"""

from __future__ import annotations

from typing import Final

from dashboards.common import (
    BLUE,
    GREEN,
    JSON,
    ORANGE,
    RED,
    UID_DAY,
    UID_OVERVIEW,
    YELLOW,
    dashboard,
    join_by,
    link,
    raw,
    raw_rp_variable,
    steps,
    table,
    target,
)

TODAY: Final = "$timeFilter"
WEEK: Final = "time >= ${__to}ms - 7d AND time <= ${__to}ms"
BY: Final = 'GROUP BY "patient"'
ATTENTION: Final = f'SELECT sum("level") AS "attention" FROM "alerts" WHERE {TODAY} {BY}'
DAY_LINK: Final = link(
    "Patient day",
    f"/d/{UID_DAY}-${{__data.fields.profile}}?var-patient=${{__data.fields.patient}}"
    "&${__url_time_range}",
)


def events(alias: str, kind: str, extra: str, when: str) -> str:
    """Count of events of ``kind`` per patient in ``when``."""
    return (
        f"SELECT count(\"duration_s\") AS \"{alias}\" FROM \"events\" "
        f"WHERE \"kind\" = '{kind}'{extra} AND {when} {BY}"
    )


RISKY = ' AND "violates_profile" = true'
COUNTS: Final = {
    "B": events("risky bends today", "bend", RISKY, TODAY),
    "C": events("stoop lifts today", "lift", " AND \"technique\" = 'stoop'", TODAY),
    "D": events("squat lifts today", "lift", " AND \"technique\" = 'squat'", TODAY),
    "E": events("falls today", "fall", "", TODAY),
    "F": events("risky bends 7 d", "bend", RISKY, WEEK),
    "G": events("falls 7 d", "fall", "", WEEK),
}


def posture(alias: str, expr: str, zone_cond: str) -> str:
    return f'SELECT {expr} AS "{alias}" FROM "posture" WHERE {zone_cond} AND {TODAY} {BY}'


ACTIVITY: Final = {
    "B": f'SELECT sum("count") AS "steps today" FROM "steps" WHERE {TODAY} {BY}',
    "C": posture("walking today (min)", 'sum("duration_s") / 60', "\"zone\" = 'walking'"),
    "D": posture("longest sitting today (min)", 'max("duration_s") / 60', "\"zone\" = 'sitting'"),
    "E": (
        f'SELECT sum("duration_s") / 3600 AS "wear today (h)" FROM "posture" '
        f"WHERE \"zone\" != 'not_worn' AND {TODAY} {BY}"
    ),
    "F": f'SELECT mean("steps") AS "steps/day 7 d" FROM "daily_summary" WHERE {WEEK} {BY}',
}


def adherence_query(prescribed_sets_per_week: int) -> str:
    """Exercise sets done in the 7 days as a percentage of the prescription."""
    return (
        f'SELECT sum("exercise_sets") * 100 / {prescribed_sets_per_week} AS '
        f'"exercise adherence 7 d (%)" FROM "daily_summary" WHERE {WEEK} {BY}'
    )


DEVICE: Final = {
    # The first query's time column is the gateway's last heartbeat (last() keeps it).
    "B": f'SELECT last("heartbeat") AS "last heartbeat" FROM {raw("device_status")} '
    f"WHERE {WEEK} {BY}",
    "C": f'SELECT last("battery_pct") AS "battery (%)" FROM {raw("device_status")} '
    f"WHERE {WEEK} {BY}",
    "D": f'SELECT count("heartbeat") AS "heartbeats today" FROM {raw("device_status")} '
    f"WHERE {TODAY} {BY}",
    "E": f'SELECT count("worn") AS "not-worn heartbeats today" FROM {raw("device_status")} '
    f'WHERE "worn" = false AND {TODAY} {BY}',
}
PROFILE: Final = (
    f'SELECT last("steps") AS "steps last summary" FROM "daily_summary" '
    f'WHERE {WEEK} GROUP BY "patient", "profile"'
)
"""Brings each patient's ``profile`` column, which the links to the patient day need."""


def _targets(queries: dict[str, str]) -> list[JSON]:
    every = {"A": ATTENTION, "P": PROFILE, **queries}
    return [target(q, ref, "table") for ref, q in sorted(every.items())]


def build(raw_rp: str, prescribed_sets_per_week: int) -> JSON:
    """The clinic overview dashboard."""
    joined = [join_by("patient")]
    activity = {**ACTIVITY, "G": adherence_query(prescribed_sets_per_week)}
    panels = [
        table("Needs attention: risky movements and falls",
              "counts of today and the last 7 days; anything above zero is red. "
              "attention = sum of today's alert levels (1 reminder … 4 urgent)",
              _targets(COUNTS), "short", steps((None, GREEN), (1, RED)), (0, 0, 24, 9),
              sort_by="attention", links=[DAY_LINK], transformations=joined),
        table("Activity: today and the last 7 days",
              "steps, walking, wear time, the longest sitting bout; 7-day step mean and "
              f"exercise sets done against {prescribed_sets_per_week} prescribed a week",
              _targets(activity), "none", steps((None, BLUE)), (0, 9, 24, 9),
              sort_by="attention", links=[DAY_LINK], transformations=joined),
        table("Devices: battery and gateway",
              "last heartbeat (time = gateway last seen), battery, heartbeats today "
              "(none: gateway offline), heartbeats that said not worn",
              _targets(DEVICE), "none",
              steps((None, RED), (20, ORANGE), (40, YELLOW), (60, GREEN)), (0, 18, 24, 8),
              sort_by="attention", links=[DAY_LINK], transformations=joined),
    ]
    return dashboard(
        UID_OVERVIEW,
        "Clinic overview",
        "Every patient: today and the last 7 days, those needing attention first.",
        panels,
        variables=[raw_rp_variable(raw_rp)],
    )
