"""Grafana unified alerting rules for therapists, in the HTTP API's and file provisioning's shape.

Each rule is a :class:`RuleSpec`: InfluxQL queries (``$timeFilter`` is the
query's relative range), each reduced to its last value per ``patient``
series, and a math condition over the reduced values (``$A``, ``$B``). The
no-data and error states are chosen per rule, never left to defaults:

* events (falls, risky bends, lifts) and summaries only exist when something
  happened, so no data means "nothing to report": ``OK``;
* the gateway-offline rule is the one that watches for missing data: a query
  with no heartbeat from any gateway in a day means everything (or the data
  source) is down: ``Alerting``;
* a query error is always an ``Error`` state (Grafana notifies it as such),
  never a silent OK.

Heartbeats (``device_status``) tell "not worn" (heartbeats that say
``worn = false``) from "gateway offline" (no heartbeats at all: counts per
minute filled with zeros, so a stopped gateway shows zeros rather than
vanishing as a series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from dashboards.common import DATASOURCE_UID, JSON, UID_HEALTH, UID_OVERVIEW
from processing.profile import ClinicalProfile
from spinewatch.errors import DashboardError

FOLDER_UID: Final = "spinewatch"
FOLDER_TITLE: Final = "spinewatch"
ORG_ID: Final = 1
DAY_S: Final = 86_400
WEEK_S: Final = 7 * DAY_S
INACTIVE_BUCKETS: Final = 12
"""10-minute buckets in the inactivity window (2 h)."""
OFFLINE_MIN: Final = 10
"""Minutes without any heartbeat before a gateway counts as offline."""
NIGHT: Final = "spinewatch-night"
"""The mute timing for rules that mean nothing at night (not worn, inactivity)."""


@dataclass(frozen=True, slots=True)
class RuleQuery:
    """One InfluxQL query of a rule over the last ``range_s`` seconds."""

    ref: str
    query: str
    range_s: int


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One alert rule: queries, the condition over their reduced values, states and labels."""

    uid: str
    title: str
    group: str
    queries: tuple[RuleQuery, ...]
    condition: str
    for_s: int
    no_data: str
    exec_err: str
    kind: str
    severity: str
    summary: str
    dashboard_uid: str = UID_OVERVIEW

    def __post_init__(self) -> None:
        if not 1 <= len(self.uid) <= 40:
            raise DashboardError("alert rule uid must be 1-40 characters", value=self.uid)


@dataclass(frozen=True, slots=True)
class RuleGroupSpec:
    """A rule group: its name and evaluation interval."""

    name: str
    interval_s: int


GROUPS: Final = (
    RuleGroupSpec("patient-safety", 60),
    RuleGroupSpec("daily-limits", 300),
    RuleGroupSpec("weekly-adherence", 3600),
)


def _events(cond: str) -> str:
    return (
        f'SELECT count("duration_s") FROM "events" WHERE {cond} AND $timeFilter '
        'GROUP BY "patient"'
    )


def fall_rule() -> RuleSpec:
    return RuleSpec(
        "spinewatch-fall", "Fall detected", "patient-safety",
        (RuleQuery("A", _events("\"kind\" = 'fall'"), 900),),
        "$A > 0", 0, "OK", "Error", "fall", "critical",
        "{{ $labels.patient }} may have fallen: call the patient now.",
    )


def bends_rule(p: ClinicalProfile) -> RuleSpec:
    """Risky bends in the last 24 h above the daily allowance of profile ``p``."""
    cond = f"\"kind\" = 'bend' AND \"violates_profile\" = true AND \"profile\" = '{p.name}'"
    return RuleSpec(
        f"spinewatch-bends-{p.name}"[:40], f"Risky bends above allowance ({p.name})",
        "daily-limits", (RuleQuery("A", _events(cond), DAY_S),),
        f"$A > {p.daily_risky_bend_allowance}", 0, "OK", "Error", "risky_bends", "warning",
        "{{ $labels.patient }}: {{ $values.RA }} risky bends in 24 h "
        f"(allowance {p.daily_risky_bend_allowance}, profile {p.name}).",
    )


def lifts_rule() -> RuleSpec:
    """Lift-like movements the patient's profile does not allow, in the last 24 h."""
    cond = "\"kind\" = 'lift' AND \"violates_profile\" = true"
    return RuleSpec(
        "spinewatch-lifts", "Lift-like movements against the profile", "daily-limits",
        (RuleQuery("A", _events(cond), DAY_S),),
        "$A > 0", 0, "OK", "Error", "lifts", "warning",
        "{{ $labels.patient }}: {{ $values.RA }} lift-like movements in 24 h that the profile "
        "does not allow (load unknown: ask the patient).",
    )


def not_worn_rule(raw_rp: str) -> RuleSpec:
    """At least 90 % of the last 2 h of heartbeats say the sensor is not worn."""
    status = f'"{raw_rp}"."device_status"'
    return RuleSpec(
        "spinewatch-not-worn", "Sensor not worn", "patient-safety",
        (RuleQuery("A", f'SELECT count("worn") FROM {status} WHERE "worn" = false AND '
                   '$timeFilter GROUP BY "patient"', 7200),
         RuleQuery("B", f'SELECT count("heartbeat") FROM {status} WHERE $timeFilter '
                   'GROUP BY "patient"', 7200)),
        "$A / $B >= 0.9", 900, "OK", "Error", "not_worn", "info",
        "{{ $labels.patient }}: the sensor has not been worn for about 2 h (the gateway is "
        "online).", UID_HEALTH,
    )


def offline_rule(raw_rp: str) -> RuleSpec:
    """No heartbeat in the last 10 minutes: the gateway is offline.

    Heartbeats per minute, zero-filled, averaged over 10 minutes: a gateway
    seen in the last day keeps its series (at zero) instead of vanishing, and
    the current, partly elapsed minute cannot fake a zero on its own.
    """
    status = f'"{raw_rp}"."device_status"'
    return RuleSpec(
        "spinewatch-gateway-offline", "Gateway offline", "patient-safety",
        (RuleQuery("A", f'SELECT moving_average(count("heartbeat"), {OFFLINE_MIN}) FROM {status} '
                   'WHERE $timeFilter GROUP BY time(1m), "patient" fill(0)', DAY_S),),
        "$A == 0", 300, "Alerting", "Error", "gateway_offline", "warning",
        "{{ $labels.patient }}: no heartbeat from the gateway for 10 minutes or more "
        "(power, network or upload down; results wait in its local store).", UID_HEALTH,
    )


def inactivity_rule(raw_rp: str) -> RuleSpec:
    """No steps for about 2 h while the sensor is worn (10-minute means over 2 h)."""
    status = f'"{raw_rp}"."device_status"'
    n = INACTIVE_BUCKETS
    return RuleSpec(
        "spinewatch-inactivity", "Prolonged inactivity", "daily-limits",
        (RuleQuery("A", f'SELECT moving_average(sum("count"), {n}) FROM "steps" WHERE '
                   '$timeFilter GROUP BY time(10m), "patient" fill(0)', DAY_S),
         RuleQuery("B", f'SELECT moving_average(count("worn"), {n}) FROM {status} WHERE '
                   '"worn" = true AND $timeFilter GROUP BY time(10m), "patient" fill(0)',
                   DAY_S)),
        "$A < 1 && $B > 5", 0, "OK", "Error", "inactivity", "info",
        "{{ $labels.patient }}: hardly a step for about 2 h while wearing the sensor.",
    )


def adherence_rule(prescribed_sets_per_week: int) -> RuleSpec:
    """Exercise sets done in the last 7 days below the prescription."""
    return RuleSpec(
        "spinewatch-adherence", "Exercise adherence below prescription", "weekly-adherence",
        (RuleQuery("A", 'SELECT sum("exercise_sets") FROM "daily_summary" WHERE $timeFilter '
                   'GROUP BY "patient"', WEEK_S),),
        f"$A < {prescribed_sets_per_week}", 0, "OK", "Error", "adherence", "info",
        "{{ $labels.patient }}: {{ $values.RA }} exercise sets in 7 days, "
        f"{prescribed_sets_per_week} prescribed.",
    )


def all_rules(
    profiles: Sequence[ClinicalProfile], raw_rp: str, prescribed_sets_per_week: int
) -> tuple[RuleSpec, ...]:
    """Every rule: safety, per-profile limits, inactivity, adherence."""
    return (
        fall_rule(),
        offline_rule(raw_rp),
        not_worn_rule(raw_rp),
        *(bends_rule(p) for p in profiles),
        lifts_rule(),
        inactivity_rule(raw_rp),
        adherence_rule(prescribed_sets_per_week),
    )


def _data(rule: RuleSpec) -> list[JSON]:
    """Queries, one reduce per query (``R<ref>``), and the math condition ``C``."""
    out: list[JSON] = []
    for q in rule.queries:
        out.append({
            "refId": q.ref,
            "datasourceUid": DATASOURCE_UID,
            "relativeTimeRange": {"from": q.range_s, "to": 0},
            "model": {"refId": q.ref, "query": q.query, "rawQuery": True,
                      "resultFormat": "time_series", "intervalMs": 60_000,
                      "maxDataPoints": 43_200},
        })
    for q in rule.queries:
        out.append({
            "refId": f"R{q.ref}",
            "datasourceUid": "__expr__",
            "model": {"refId": f"R{q.ref}", "type": "reduce", "expression": q.ref,
                      "reducer": "last", "settings": {"mode": "dropNN"}},
        })
    condition = rule.condition
    for q in rule.queries:
        condition = condition.replace(f"${q.ref}", f"$R{q.ref}")
    out.append({
        "refId": "C",
        "datasourceUid": "__expr__",
        "model": {"refId": "C", "type": "math", "expression": condition},
    })
    return out


def _common(rule: RuleSpec) -> dict[str, Any]:
    return {
        "uid": rule.uid,
        "title": rule.title,
        "condition": "C",
        "data": _data(rule),
        "noDataState": rule.no_data,
        "execErrState": rule.exec_err,
        "isPaused": False,
        "labels": {"spinewatch_kind": rule.kind, "severity": rule.severity},
        "annotations": {"summary": rule.summary, "__dashboardUid__": rule.dashboard_uid},
    }


def _duration(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def api_rule_groups(rules: Sequence[RuleSpec]) -> list[JSON]:
    """Rule groups as ``PUT /api/v1/provisioning/folder/{uid}/rule-groups/{group}`` takes them."""
    out = []
    for g in GROUPS:
        mine = [r for r in rules if r.group == g.name]
        out.append({
            "title": g.name,
            "folderUid": FOLDER_UID,
            "interval": g.interval_s,
            "rules": [{**_common(r), "orgID": ORG_ID, "folderUID": FOLDER_UID,
                       "ruleGroup": g.name, "for": _duration(r.for_s)} for r in mine],
        })
    return out


def file_rule_groups(rules: Sequence[RuleSpec]) -> list[JSON]:
    """Rule groups in the file-provisioning shape (``groups:`` of an alerting YAML)."""
    return [
        {
            "orgId": ORG_ID,
            "name": g.name,
            "folder": FOLDER_TITLE,
            "interval": _duration(g.interval_s),
            "rules": [
                {**_common(r), "for": _duration(r.for_s)} for r in rules if r.group == g.name
            ],
        }
        for g in GROUPS
    ]
