"""Factories for report tests and the report benchmark.

``make_day`` builds a :class:`PatientDay` by hand with keyword overrides;
``analyse_simulated_days`` simulates the tests' patient-day (about 7 minutes) and
analyses it whole and with 60 s cut out (``GAP``);
``write_analysis_folder`` writes a synthetic ``spinewatch analyze`` folder (timeline
at 10 Hz, events, summary consistent with the timeline) with chosen gaps and
non-wear, fast enough for 24 h.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from processing.profile import ClinicalProfile
from spinewatch.profiles import load_profile
from spinewatch.report.model import (
    EVENT_TYPES,
    POSTURES,
    Event,
    ExerciseDone,
    ExerciseSet,
    Headline,
    PatientDay,
    Rep,
    Series,
    Span,
    Targets,
)

START = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 08:00 in Europe/Berlin
TZ = "Europe/Berlin"


def profile() -> ClinicalProfile:
    return load_profile("fusion_weeks_0_6", {})


def targets(**over: Any) -> Targets:
    return dataclasses.replace(Targets.from_profile(profile()), **over)


def headline(**over: Any) -> Headline:
    base: dict[str, Any] = {
        "duration_s": 8 * 3600.0,
        "measured_s": 8 * 3600.0,
        "wear_s": 8 * 3600.0,
        "gap_s": 0.0,
        "steps": 3000,
        "walking_s": 1800.0,
        "longest_sitting_s": 600.0,
        "longest_sitting_start_s": 3600.0,
        "event_counts": dict.fromkeys(EVENT_TYPES, 0),
        "zone_s": {"extension": 0.0, "neutral": 27000.0, "caution": 1500.0, "beyond": 300.0},
        "posture_s": dict.fromkeys(POSTURES, 4800.0),
    }
    base.update(over)
    return Headline(**base)


def event(type_: str, start_s: float, dur_s: float = 2.0, **over: Any) -> Event:
    base: dict[str, Any] = {
        "type": type_,
        "start_s": start_s,
        "end_s": start_s + dur_s,
        "peak_deg": 40.0,
        "technique": "",
        "severity": "beyond",
    }
    base.update(over)
    return Event(**base)


def exercise_set(name: str, start_s: float, ranges: list[float]) -> ExerciseSet:
    reps = tuple(
        Rep(start_s + 5 * i, start_s + 5 * i + 4, r, 0.0, False) for i, r in enumerate(ranges)
    )
    return ExerciseSet(
        name,
        start_s,
        start_s + 5 * len(ranges),
        len(ranges),
        float(np.mean(ranges)) if ranges else float("nan"),
        reps,
    )


def make_day(**over: Any) -> PatientDay:
    """A worn 8 h day from 08:00 local, no events; override any field."""
    events = tuple(over.pop("events", ()))
    counts = dict.fromkeys(EVENT_TYPES, 0)
    for e in events:
        counts[e.type] = counts.get(e.type, 0) + 1
    lifts: dict[str, int] = {}
    for e in events:
        if e.type == "lift":
            lifts[e.technique] = lifts.get(e.technique, 0) + 1
    t = np.arange(0, 8 * 3600, 10.0)
    base: dict[str, Any] = {
        "patient_id": "p-001",
        "date": dt.date(2026, 11, 27),
        "start_utc": START,
        "timezone": TZ,
        "headline": headline(event_counts=counts, lifts_by_technique=lifts),
        "series": Series(t, np.zeros_like(t), np.full(len(t), 2, dtype=np.int8)),
        "events": events,
        "gaps": (),
        "not_worn": (),
        "targets": targets(),
        "sets": (),
        "adherence": None,
    }
    base.update(over)
    return PatientDay(**base)


def done(
    name: str, sets_done: int, sets_prescribed: int, reps_done: int, reps_prescribed: int | None
) -> ExerciseDone:
    frac = reps_done / reps_prescribed if reps_prescribed else sets_done / sets_prescribed
    return ExerciseDone(
        name, sets_done, sets_prescribed, reps_done, reps_prescribed, min(1.0, frac)
    )


def write_analysis_folder(
    folder: Path,
    *,
    hours: float = 1.0,
    gaps: tuple[tuple[float, float], ...] = (),
    not_worn: tuple[tuple[float, float], ...] = (),
    exercises: bool = True,
    falls: tuple[float, ...] = (),
    seed: int = 0,
    start_utc: dt.datetime | None = START,
) -> dict[str, Any]:
    """A synthetic analysis folder at 10 Hz; returns its summary.

    ``gaps`` are (start, end) s with no rows; ``not_worn`` (start, end) s of posture
    ``not_worn``. The summary is computed from the written timeline.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t = np.round(np.arange(0.0, hours * 3600, 0.1), 4)
    keep = np.ones(len(t), dtype=bool)
    for a, b in gaps:
        keep &= ~((t > a) & (t < b))
    t = t[keep]
    block = (t // 600).astype(np.int64) % 4  # 10-min blocks: sitting, walking, standing, lying
    posture = np.array([1, 3, 2, 0], dtype=np.int8)[block]
    flex = np.where(posture == 0, -85.0, 5.0) + rng.normal(0, 2, len(t)).cumsum() * 0.02
    bend_at = np.arange(300.0, hours * 3600, 1800.0)
    for b in bend_at:
        sel = (t >= b) & (t < b + 4)
        flex[sel] = 50.0
        posture[sel] = 4
    for a, b in not_worn:
        sel = (t >= a) & (t <= b)
        posture[sel] = POSTURES.index("not_worn")
        flex[sel] = -80.0
    labels = np.asarray(POSTURES)[posture]
    lat = np.zeros(len(t))
    with (folder / "timeline.csv").open("w") as fh:
        fh.write("t,flexion_deg,lateral_deg,inclination_deg,posture\n")
        fh.writelines(
            f"{a:.1f},{f:.2f},{x:.2f},{abs(f):.2f},{p}\n"
            for a, f, x, p in zip(t, flex, lat, labels, strict=True)
        )
    worn = posture != POSTURES.index("not_worn")
    events = []
    for b in bend_at:
        if worn[np.searchsorted(t, b)]:
            events.append(("bend", b, b + 4, 50.0, "", "far_beyond"))
            events.append(("lift", b + 1, b + 3, 50.0, "stoop", "beyond"))
    events += [("fall", f, f + 1, 80.0, "", "critical") for f in falls]
    with (folder / "events.csv").open("w") as fh:
        fh.write("type,start,end,peak_deg,technique,severity\n")
        fh.writelines(f"{e[0]},{e[1]:.2f},{e[2]:.2f},{e[3]:.1f},{e[4]},{e[5]}\n" for e in events)
    (folder / "alerts.csv").write_text("at,kind,level,audience,suppressed_since_last,message\n")
    dt_s = np.diff(t, prepend=t[0])
    is_gap = dt_s > 0.15
    w = np.where(is_gap, 0.0, dt_s)
    posture_s = {p: round(float(w[posture == i].sum()), 3) for i, p in enumerate(POSTURES)}
    zones = {
        "extension": (-np.inf, -10.0),
        "neutral": (-10.0, 15.0),
        "caution": (15.0, 25.0),
        "beyond": (25.0, np.inf),
    }
    zone_s = {
        k: round(float(w[worn & (flex >= lo) & (flex < hi)].sum()), 3)
        for k, (lo, hi) in zones.items()
    }
    measured = float(w.sum())
    sitting = posture == 1
    steps = round(float(w[posture == 3].sum()) * 1.6)
    counts = dict.fromkeys(EVENT_TYPES, 0)
    for e in events:
        counts[e[0]] += 1
    summary: dict[str, Any] = {
        "start_s": float(t[0]) if len(t) else None,
        "end_s": float(t[-1]) if len(t) else None,
        "duration_s": round(float(t[-1] - t[0]), 3) if len(t) else 0.0,
        "measured_s": round(measured, 3),
        "gap_s": round(float(t[-1] - t[0]) - measured, 3) if len(t) else 0.0,
        "gaps": [
            {"start_s": float(t[i - 1]), "end_s": float(t[i])} for i in np.flatnonzero(is_gap)
        ],
        "wear_s": round(measured - posture_s["not_worn"], 3),
        "posture_s": posture_s,
        "flexion_zone_s": zone_s,
        "flexion_zones_deg": {
            "extension": [None, -10.0],
            "neutral": [-10.0, 15.0],
            "caution": [15.0, 25.0],
            "beyond": [25.0, None],
        },
        "steps": steps if worn.any() else 0,
        "walking_s": posture_s["walking"],
        "longest_sitting_bout_s": 599.9 if sitting.any() else 0.0,
        "longest_sitting_bout_start_s": float(t[sitting][0]) if sitting.any() else None,
        "events": {"count": counts, "seconds": dict.fromkeys(EVENT_TYPES, 0.0)},
        "alerts": {"to_patient": 0, "to_clinic": 0, "by_kind": {}},
        "samples": len(t) * 10,
        "sample_rate_hz": 100.0,
    }
    if start_utc is not None:
        summary["start_utc"] = start_utc.isoformat()
    if exercises:
        ranges = [24.0, 26.0, 25.0, 23.0, 20.0, 18.0, 16.0, 15.0]
        with (folder / "reps.csv").open("w") as fh:
            fh.write("exercise,start,end,reps,mean_range_deg,tempo_s\n")
            fh.write(f"bridge,120.00,170.00,{len(ranges)},{np.mean(ranges):.1f},6.00\n")
        with (folder / "reps_detail.csv").open("w") as fh:
            fh.write("exercise,set,rep,start,end,duration_s,range_deg,hold_s,wobble_deg,partial\n")
            for i, r in enumerate(ranges):
                fh.write(
                    f"bridge,0,{i},{120 + 6 * i:.2f},{125 + 6 * i:.2f},5.00,{r:.1f},3.0,0.30,0\n"
                )
        summary["exercises"] = {
            "sets": {"bridge": 1},
            "reps": {"bridge": len(ranges)},
            "adherence": {
                "days": [
                    {
                        "day": 0,
                        "exercises": {
                            "bridge": {
                                "sets_done": 1,
                                "sets_prescribed": 3,
                                "reps_done": len(ranges),
                                "reps_prescribed": 30,
                                "complete_sets": 0,
                                "fraction": round(len(ranges) / 30, 3),
                            }
                        },
                    }
                ],
                "weeks": [],
                "not_measured": [],
            },
        }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary


def spans(*pairs: tuple[float, float]) -> tuple[Span, ...]:
    return tuple(Span(a, b) for a, b in pairs)


# The report tests' simulated day, and the span cut out of its copy with a gap (s).
GAP = (200.0, 260.0)
ACTIVITIES: list[dict[str, Any]] = [
    {"type": "standing", "duration_s": 20},
    {"type": "walking", "duration_s": 60, "speed_mps": 0.9},
    {"type": "standing", "duration_s": 10},
    {"type": "lift", "count": 2, "technique": "stoop"},
    {"type": "bend", "count": 1},
    {"type": "walking", "duration_s": 40, "speed_mps": 0.8},
    {"type": "sitting", "duration_s": 120},
    {"type": "exercise", "exercise": "bridge", "reps": 6},
    {"type": "standing", "duration_s": 10},
    {"type": "walking", "duration_s": 40, "speed_mps": 0.9},
]


def analyse_recording(recording: Path, out: Path) -> dict[str, Any]:
    """``spinewatch analyze`` of ``recording`` into ``out`` with the default patient."""
    from spinewatch.analysis import AnalyzeOptions, analyze_recording
    from spinewatch.config import load_settings

    profile = load_settings(None).patient.clinical_profile()
    return analyze_recording(
        recording, out, AnalyzeOptions(zones=profile.flexion_zones(), profile=profile)
    )


def analyse_simulated_days(root: Path) -> dict[str, Path]:
    """The simulated day analysed into ``root/full``, and with ``GAP`` cut into ``root/gap``."""
    from processing.types import ImuSamples
    from simulator.engine import simulate
    from simulator.scenarios import from_activities
    from spinewatch.recordings import write_recording

    sim = simulate(from_activities(ACTIVITIES, name="report_day", seed=3), seed=3)
    s = sim.samples
    write_recording(root / "full.csv", s)
    keep = ~((s.t_s > GAP[0]) & (s.t_s < GAP[1]))
    write_recording(root / "gap.csv", ImuSamples(s.t_s[keep], s.acc_mps2[keep], s.gyr_rads[keep]))
    analyse_recording(root / "full.csv", root / "full")
    analyse_recording(root / "gap.csv", root / "gap")
    return {"full": root / "full", "gap": root / "gap"}
