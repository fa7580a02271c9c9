"""Every dashboard query, macros substituted, against the real InfluxDB loaded with patient days.

The numbers the panels show must be those of the analysis output (events.csv,
summary.json, reps.csv) of that patient and day.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

import pytest
from dashboard_fixtures import DATABASE, DAY, Patient
from grafana_checks import dashboard_queries, substitute
from storage_servers import InfluxServer

from dashboards import clinic_overview, device_health, patient_day, patient_trends
from dashboards.build import BuildOptions, all_dashboards
from spinewatch.profiles import read_profile

DAY_START = DAY.replace(hour=0)
FROM_MS = int(DAY_START.timestamp() * 1000)
TO_MS = int((DAY_START + dt.timedelta(days=1)).timestamp() * 1000) - 1
VIOLATING = {"beyond", "far_beyond", "critical"}
PRESCRIBED = 14


def run(server: InfluxServer, query: str, patient: str = "", start_ms: int = FROM_MS,
        end_ms: int = TO_MS) -> list[dict[str, Any]]:
    """Rows of ``query`` after Grafana's substitution (AssertionError on an InfluxQL error)."""
    text = substitute(query, start_ms, end_ms, {"patient": patient, "raw_rp": "autogen"})
    return server.rows(text, DATABASE)


def one(server: InfluxServer, query: str, patient: str) -> float | None:
    """The single value a stat panel's query returns (None: no rows, shown as no data)."""
    rows = run(server, query, patient)
    if not rows:
        return None
    assert len(rows) == 1, rows
    values = [v for k, v in rows[0].items() if k != "time"]
    assert len(values) == 1, rows
    return float(values[0])


def events(p: Patient) -> list[dict[str, str]]:
    with (p.out / "events.csv").open() as fh:
        return list(csv.DictReader(fh))


def summary(p: Patient) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((p.out / "summary.json").read_text())
    return data


def expected_counts(p: Patient) -> dict[str, int]:
    ev = events(p)
    return {
        "risky bends": sum(e["type"] == "bend" and e["severity"] in VIOLATING for e in ev),
        "stoop": sum(e["type"] == "lift" and e["technique"] == "stoop" for e in ev),
        "squat": sum(e["type"] == "lift" and e["technique"] == "squat" for e in ev),
        "falls": sum(e["type"] == "fall" for e in ev),
    }


def test_every_query_of_every_dashboard_runs(loaded: InfluxServer, patients) -> None:
    boards = all_dashboards(BuildOptions(prescribed_sets_per_week=PRESCRIBED))
    seen = 0
    for board in boards.values():
        for _title, _ref, query in dashboard_queries(board):
            run(loaded, query, patients[0].id)  # raises on any InfluxQL error
            seen += 1
    assert seen > 100


def test_patient_day_numbers_equal_the_analysis(loaded: InfluxServer, patients) -> None:
    checked = 0
    for p in patients:
        want = expected_counts(p)
        s = summary(p)
        for query, key in ((patient_day.RISKY_BENDS, "risky bends"), (patient_day.LIFTS_STOOP,
                           "stoop"), (patient_day.LIFTS_SQUAT, "squat"),
                           (patient_day.FALLS, "falls")):
            got = one(loaded, query, p.id)
            assert (got or 0) == want[key], (p.id, key)
            checked += want[key]
        assert one(loaded, patient_day.STEPS, p.id) == s["steps"]
        assert one(loaded, patient_day.WALKING_MIN, p.id) == pytest.approx(
            s["posture_s"]["walking"] / 60, abs=0.05)
        assert one(loaded, patient_day.LONGEST_SITTING_MIN, p.id) == pytest.approx(
            s["longest_sitting_bout_s"] / 60, abs=0.05)
        assert one(loaded, patient_day.WEAR_H, p.id) == pytest.approx(s["wear_s"] / 3600, abs=0.01)
    assert checked > 0  # the simulated days do have risky movements


def test_patient_day_series_panels(loaded: InfluxServer, patients) -> None:
    p = patients[1]
    s = summary(p)
    hours = run(loaded, patient_day.STEPS_PER_HOUR, p.id)
    assert len(hours) == 24 and sum(r["steps"] for r in hours) == s["steps"]
    bouts = run(loaded, patient_day.SITTING_BOUTS, p.id)
    assert max(r["sitting bout"] for r in bouts) == pytest.approx(
        s["longest_sitting_bout_s"] / 60, abs=0.05)
    with (p.out / "reps.csv").open() as fh:
        sets = list(csv.DictReader(fh))
    rows = run(loaded, patient_day.EXERCISE_SETS, p.id)
    assert sorted((r["exercise"], r["reps"]) for r in rows) == sorted(
        (x["exercise"], int(x["reps"])) for x in sets)
    with (p.out / "alerts.csv").open() as fh:
        assert len(run(loaded, patient_day.ALERTS, p.id)) == len(list(csv.DictReader(fh)))
    flex = run(loaded, patient_day.FLEXION, p.id)
    peak = max(r["peak flexion"] for r in flex if r["peak flexion"] is not None)
    assert peak > read_profile(p.profile).flexion_limit_deg  # the day's risky bend shows
    assert len(run(loaded, patient_day.EVENT_NOTES, p.id)) == len(events(p))  # annotations
    states = {r["zone"] for r in run(loaded, patient_day.POSTURE, p.id)}
    assert {"sitting", "walking", "standing"} <= states


def _table(server: InfluxServer, queries: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A joined overview table: patient → column → value, as joinByField would show it."""
    out: dict[str, dict[str, Any]] = {}
    for q in queries.values():
        for row in run(server, q):
            out.setdefault(row.pop("patient"), {}).update(
                {k: v for k, v in row.items() if k != "time"})
    return out


def test_clinic_overview_rows_equal_the_analysis(loaded: InfluxServer, patients) -> None:
    counts = _table(loaded, {**clinic_overview.COUNTS, "A": clinic_overview.ATTENTION,
                             "P": clinic_overview.PROFILE})
    activity = _table(loaded, {**clinic_overview.ACTIVITY,
                               "G": clinic_overview.adherence_query(PRESCRIBED)})
    for p in patients:
        want, s, row = expected_counts(p), summary(p), counts[p.id]
        assert row.get("risky bends today", 0) == want["risky bends"]
        assert row.get("stoop lifts today", 0) == want["stoop"]
        assert row.get("squat lifts today", 0) == want["squat"]
        assert row.get("falls today", 0) == want["falls"]
        assert row.get("risky bends 7 d", 0) == want["risky bends"] * len(p.starts)
        assert row["profile"] == p.profile  # the link to the right patient-day dashboard
        with (p.out / "alerts.csv").open() as fh:
            levels = {"reminder": 1, "warning": 2, "clinic": 3, "urgent": 4}
            assert row.get("attention", 0) == sum(levels[a["level"]] for a in csv.DictReader(fh))
        act = activity[p.id]
        assert act["steps today"] == s["steps"]
        assert act["walking today (min)"] == pytest.approx(s["posture_s"]["walking"] / 60, abs=0.05)
        assert act["steps/day 7 d"] == s["steps"]  # the same recording each day
        n_sets = sum(1 for _ in (p.out / "reps.csv").open()) - 1
        assert act["exercise adherence 7 d (%)"] == pytest.approx(
            100 * n_sets * len(p.starts) / PRESCRIBED)


def test_overview_devices_and_health(loaded: InfluxServer, patients) -> None:
    devices = _table(loaded, clinic_overview.DEVICE)
    for k, p in enumerate(patients):
        assert devices[p.id]["battery (%)"] == 89.0 - 30 * k
        minutes = summary(p)["duration_s"] / 60
        assert devices[p.id]["heartbeats today"] == pytest.approx(minutes, abs=1)
    last = {r["patient"]: r["time"] for r in run(loaded, device_health.LAST_SEEN)}
    for p in patients:
        start_ns = int(p.starts[0].timestamp()) * 10**9
        assert start_ns < last[p.id] <= start_ns + int(summary(p)["duration_s"] * 1e9)
    hb = run(loaded, device_health.HEARTBEATS)
    assert sum(r["count"] for r in hb) == sum(r["heartbeats today"] for r in devices.values())
    assert not any(r["count"] for r in run(loaded, device_health.LOSSES))


def test_trends_have_one_value_per_day(loaded: InfluxServer, patients) -> None:
    p = patients[0]
    week_ms = FROM_MS - 6 * 86_400_000
    rows = run(loaded, patient_trends.STEPS, p.id, start_ms=week_ms)
    assert [r["steps"] for r in rows] == [summary(p)["steps"]] * 2
    bends = run(loaded, patient_trends.RISKY_BENDS, p.id, start_ms=week_ms)
    assert [r["risky bends"] for r in bends] == [expected_counts(p)["risky bends"]] * 2
    walking = [r["walking"] for r in run(loaded, patient_trends.WALKING_MIN, p.id,
                                          start_ms=week_ms) if r["walking"]]
    assert walking == pytest.approx([summary(p)["posture_s"]["walking"] / 60] * 2, abs=0.05)
