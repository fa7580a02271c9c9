"""The writer from analysis folders to the storage schema, checked in the real InfluxDB."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from dashboard_fixtures import DATABASE, Patient
from storage_servers import InfluxServer

from spinewatch.errors import StorageError
from spinewatch.storage_feed import (
    AnalysisOutput,
    FeedContext,
    local_midnight_ns,
    points_from_output,
    read_output,
    step_points,
)


def _csv(path):
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_every_point_follows_the_schema_and_counts_match_the_files(patients) -> None:
    p: Patient = patients[0]
    ctx = FeedContext(patient=p.id, device="d", profile=p.profile, start_utc=p.starts[0])
    points = points_from_output(read_output(p.out), ctx)
    by = {}
    for pt in points:
        by.setdefault(pt.measurement, []).append(pt)
    assert len(by["trunk_angles"]) == len(_csv(p.out / "timeline.csv"))
    assert len(by["events"]) == len(_csv(p.out / "events.csv"))
    assert len(by["alerts"]) == len(_csv(p.out / "alerts.csv"))
    assert len(by["exercise_sets"]) == len(_csv(p.out / "reps.csv"))
    assert sum(pt.fields["count"] for pt in by["steps"]) == len(_csv(p.out / "steps.csv"))
    summary = json.loads((p.out / "summary.json").read_text())
    sitting = [pt.fields["duration_s"] for pt in by["posture"] if pt.tags["zone"] == "sitting"]
    assert max(sitting) == pytest.approx(summary["longest_sitting_bout_s"], abs=0.2)
    assert len(by["daily_summary"]) == 1
    assert by["daily_summary"][0].fields["steps"] == summary["steps"]
    # The same input gives the same points (deterministic, so re-feeding is idempotent).
    assert points_from_output(read_output(p.out), ctx) == points


def test_local_midnight_is_in_the_patients_zone() -> None:
    start = dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)
    ctx = FeedContext("p", "d", "x", start, timezone="America/New_York")
    midnight = dt.datetime(2026, 11, 19, 5, 0, tzinfo=dt.UTC)  # 00:00 EST
    assert local_midnight_ns(ctx) == int(midnight.timestamp()) * 10**9


def test_a_naive_start_or_missing_folder_is_a_project_error(tmp_path) -> None:
    with pytest.raises(StorageError, match="timezone-aware"):
        FeedContext("p", "d", "x", dt.datetime(2026, 1, 1))
    with pytest.raises(StorageError, match=r"summary\.json"):
        read_output(tmp_path)


def test_influx_holds_what_the_analysis_found(loaded: InfluxServer, patients) -> None:
    for p in patients:
        events = _csv(p.out / "events.csv")
        rows = loaded.rows(
            f"SELECT count(duration_s) FROM events WHERE patient = '{p.id}' GROUP BY kind",
            DATABASE,
        )
        got = {r["kind"]: r["count"] for r in rows}
        want: dict[str, int] = {}
        for e in events:
            want[e["type"]] = want.get(e["type"], 0) + len(p.starts)
        assert got == want


def test_events_of_one_kind_at_the_same_millisecond_stay_two_points(patients) -> None:
    p: Patient = patients[0]
    out = read_output(p.out)
    twin = dict(out.events[0])
    doubled = AnalysisOutput(out.timeline, out.steps_t_s, (out.events[0], twin), (), (), ())
    ctx = FeedContext(patient=p.id, device="d", profile=p.profile, start_utc=p.starts[0])
    points = [q for q in points_from_output(doubled, ctx) if q.measurement == "events"]
    assert len({(q.time_ns, q.tags["kind"]) for q in points}) == 2


def test_steps_are_counted_per_utc_minute() -> None:
    start = dt.datetime(2026, 11, 20, 8, 0, 30, tzinfo=dt.UTC)
    ctx = FeedContext("p", "d", "x", start)
    data = AnalysisOutput((), (0.0, 10.0, 29.9, 30.0, 95.0), (), (), (), ())
    got = [(q.time_ns, q.fields["count"]) for q in step_points(data, ctx)]
    minute = int(start.replace(second=0).timestamp()) * 10**9
    assert got == [(minute, 3), (minute + 60 * 10**9, 1), (minute + 120 * 10**9, 1)]
