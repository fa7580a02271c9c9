"""From an analysis folder to the storage schema's points: the project's own writer.

``spinewatch analyze`` (:func:`spinewatch.analysis.analyze_recording`) writes
``timeline.csv``, ``steps.csv``, ``events.csv``, ``alerts.csv``, ``reps.csv``,
``reps_detail.csv`` and ``summary.json``, with times in seconds from the start
of the recording. This module turns them into checked points of
:data:`spinewatch.storage.schema.MEASUREMENTS` (pure functions:
:func:`read_output`, :func:`points_from_output`), then commits them to the
local store and uploads them (:func:`commit`, :func:`upload`).

Mapping (one analysis folder = one recording, normally one day):

* ``trunk_angles``: every timeline row (10 Hz by default): ``flexion_deg``, ``lateral_deg``.
* ``posture``: one point per run of the same posture label, stamped at its
  start, tag ``zone`` = the posture (``sitting``, ``standing``, ``walking``,
  ``lying``, ``other``, ``not_worn``).
* ``steps``: steps per UTC minute, stamped at the minute, ``interval_s`` = 60.
* ``events``: one per event, stamped at its start, tag ``kind`` = its type;
  ``violates_profile`` is true for severities past the profile's limit.
* ``alerts``: one per alert, tag ``rule`` = its kind, ``level`` 1–4.
* ``exercise_sets``: one per set, hold and wobble averaged over its reps.
* ``daily_summary``: the recording's totals, stamped at local midnight of its start.
* ``device_status``: a heartbeat every ``heartbeat_s``; ``worn`` when most of
  the timeline in that window is not ``not_worn``; battery from the collector's samples.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from spinewatch.errors import StorageError
from spinewatch.storage.lineprotocol import Point
from spinewatch.storage.schema import make_point
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import DrainReport, Uploader

NS_PER_S: Final = 1_000_000_000
STEP_BUCKET_S: Final = 60
VIOLATING_SEVERITIES: Final = frozenset({"beyond", "far_beyond", "critical"})
ALERT_LEVELS: Final = {"reminder": 1, "warning": 2, "clinic": 3, "urgent": 4}
LATERAL_KINDS: Final = frozenset({"lateral_bend"})
FLEXION_KINDS: Final = frozenset({"bend", "lift", "fall", "prolonged_sitting"})


@dataclass(frozen=True, slots=True)
class FeedContext:
    """Who and when: the pseudonymous patient id, device, profile name, recording start (UTC).

    ``timezone`` is the patient's IANA zone, for the daily summary's local
    midnight. ``battery`` holds the collector's ``(t_s, battery_pct)`` samples,
    in recording seconds; without them heartbeats carry no battery field.
    """

    patient: str
    device: str
    profile: str
    start_utc: dt.datetime
    timezone: str = "UTC"
    heartbeat_s: float = 60.0
    battery: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise StorageError(
                "the recording start must be timezone-aware (UTC)", where="start_utc"
            )
        if not self.heartbeat_s > 0:
            raise StorageError("must be > 0 s", where="heartbeat_s", value=self.heartbeat_s)

    @property
    def start_ns(self) -> int:
        """The recording start in ns since the Unix epoch."""
        delta = self.start_utc - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000

    def at(self, t_s: float) -> int:
        """Recording seconds → ns since the epoch (rounded to the ms, as the files are)."""
        return self.start_ns + round(t_s * 1000) * 1_000_000


@dataclass(frozen=True, slots=True)
class AnalysisOutput:
    """The rows of one analysis folder, as read from its files (strings kept as read)."""

    timeline: tuple[dict[str, str], ...]
    steps_t_s: tuple[float, ...]
    events: tuple[dict[str, str], ...]
    alerts: tuple[dict[str, str], ...]
    sets: tuple[dict[str, str], ...]
    reps: tuple[dict[str, str], ...]
    summary: dict[str, Any] = field(default_factory=dict)


def _rows(path: Path, required: bool = True) -> tuple[dict[str, str], ...]:
    if not path.is_file():
        if required:
            raise StorageError(
                "missing analysis output", where=str(path), advice="run spinewatch analyze first"
            )
        return ()
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def read_summary(folder: Path) -> dict[str, Any]:
    """An analysis folder's ``summary.json``."""
    try:
        summary: dict[str, Any] = json.loads(
            (folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot read summary.json: {exc}", where=str(folder)) from exc
    return summary


def read_output(folder: Path) -> AnalysisOutput:
    """Read the analysis folder written by :func:`spinewatch.analysis.analyze_recording`."""
    summary = read_summary(folder)
    return AnalysisOutput(
        timeline=_rows(folder / "timeline.csv"),
        steps_t_s=tuple(float(r["t"]) for r in _rows(folder / "steps.csv")),
        events=_rows(folder / "events.csv"),
        alerts=_rows(folder / "alerts.csv"),
        sets=_rows(folder / "reps.csv", required=False),
        reps=_rows(folder / "reps_detail.csv", required=False),
        summary=summary,
    )


def read_totals(folder: Path, summary: dict[str, Any]) -> AnalysisOutput:
    """What :func:`summary_point` needs of an analysis folder whose ``summary`` was read
    (no timeline, steps or reps)."""
    return AnalysisOutput(timeline=(), steps_t_s=(), events=_rows(folder / "events.csv"),
                          alerts=_rows(folder / "alerts.csv"),
                          sets=_rows(folder / "reps.csv", required=False), reps=(),
                          summary=summary)


def _num(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def angle_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """``trunk_angles`` at the timeline's rate."""
    return [
        make_point(
            "trunk_angles",
            ctx.at(float(r["t"])),
            patient=ctx.patient,
            device=ctx.device,
            flexion_deg=float(r["flexion_deg"]),
            lateral_deg=float(r["lateral_deg"]),
        )
        for r in out.timeline
    ]


def posture_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """One ``posture`` point per bout (run of the same posture label)."""
    rows = out.timeline
    if not rows:
        return []
    t = [float(r["t"]) for r in rows]
    step = (t[-1] - t[0]) / (len(t) - 1) if len(t) > 1 else 0.0
    points: list[Point] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i < len(rows) and rows[i]["posture"] == rows[start]["posture"]:
            continue
        end_s = t[i] if i < len(rows) else t[-1] + step
        flex = [float(r["flexion_deg"]) for r in rows[start:i]]
        points.append(
            make_point(
                "posture",
                ctx.at(t[start]),
                patient=ctx.patient,
                device=ctx.device,
                tags={"profile": ctx.profile, "zone": rows[start]["posture"]},
                duration_s=round(end_s - t[start], 3),
                mean_flexion_deg=round(_mean(flex), 2),
                max_flexion_deg=max(flex),
            )
        )
        start = i
    return points


def step_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """Steps counted per UTC minute, stamped at the minute's start."""
    bucket_ns = STEP_BUCKET_S * NS_PER_S
    counts = Counter(ctx.at(t) // bucket_ns for t in out.steps_t_s)
    return [
        make_point(
            "steps",
            minute * bucket_ns,
            patient=ctx.patient,
            device=ctx.device,
            count=n,
            interval_s=float(STEP_BUCKET_S),
            cadence_steps_min=n * 60.0 / STEP_BUCKET_S,
        )
        for minute, n in sorted(counts.items())
    ]


def _unique_times(stamps: Iterable[tuple[str, int]]) -> list[int]:
    """Times made unique per series key (same kind, same ms): later ones moved by 1 ns."""
    seen: set[tuple[str, int]] = set()
    out = []
    for key, t in stamps:
        while (key, t) in seen:
            t += 1
        seen.add((key, t))
        out.append(t)
    return out


def event_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """One ``events`` point per event, stamped at its start."""
    times = _unique_times((e["type"], ctx.at(float(e["start"]))) for e in out.events)
    points = []
    for e, t in zip(out.events, times, strict=True):
        fields: dict[str, Any] = {
            "duration_s": round(float(e["end"]) - float(e["start"]), 3),
            "violates_profile": e["severity"] in VIOLATING_SEVERITIES,
        }
        peak = _num(e["peak_deg"])
        if peak is not None and e["type"] in FLEXION_KINDS:
            fields["peak_flexion_deg"] = peak
        elif peak is not None and e["type"] in LATERAL_KINDS:
            fields["peak_lateral_deg"] = peak
        if e["technique"]:
            fields["technique"] = e["technique"]
        points.append(
            make_point(
                "events",
                t,
                patient=ctx.patient,
                device=ctx.device,
                tags={"profile": ctx.profile, "kind": e["type"]},
                **fields,
            )
        )
    return points


def alert_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """One ``alerts`` point per alert given."""
    times = _unique_times((a["kind"], ctx.at(float(a["at"]))) for a in out.alerts)
    return [
        make_point(
            "alerts",
            t,
            patient=ctx.patient,
            device=ctx.device,
            tags={"profile": ctx.profile, "rule": a["kind"], "audience": a["audience"]},
            level=ALERT_LEVELS.get(a["level"], 1),
            message=a["message"],
        )
        for a, t in zip(out.alerts, times, strict=True)
    ]


def exercise_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """One ``exercise_sets`` point per set; hold and wobble are the means of its reps."""
    reps: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    for r in out.reps:
        reps[(r["exercise"], int(r["set"]))].append(r)
    index: Counter[str] = Counter()
    points = []
    for s in out.sets:
        name = s["exercise"]
        mine = reps.get((name, index[name]), [])
        index[name] += 1
        fields: dict[str, Any] = {
            "reps": int(s["reps"]),
            "duration_s": round(float(s["end"]) - float(s["start"]), 3),
        }
        rng = _num(s["mean_range_deg"])
        if rng is not None:
            fields["range_deg"] = rng
        for key in ("hold_s", "wobble_deg"):
            values = [v for v in (_num(r[key]) for r in mine) if v is not None]
            if values:
                fields[key] = round(_mean(values), 3)
        points.append(
            make_point(
                "exercise_sets",
                ctx.at(float(s["start"])),
                patient=ctx.patient,
                device=ctx.device,
                tags={"exercise": name},
                **fields,
            )
        )
    return points


def local_midnight_ns(ctx: FeedContext) -> int:
    """Local midnight (the patient's zone) of the day the recording starts, in ns."""
    local = ctx.start_utc.astimezone(zoneinfo.ZoneInfo(ctx.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp()) * NS_PER_S


def summary_point(out: AnalysisOutput, ctx: FeedContext) -> Point:
    """The recording's totals as one ``daily_summary`` point at local midnight."""
    s = out.summary
    posture = s.get("posture_s", {})
    kinds = Counter(e["type"] for e in out.events)
    risky = sum(
        1 for e in out.events if e["type"] == "bend" and e["severity"] in VIOLATING_SEVERITIES
    )
    return make_point(
        "daily_summary",
        local_midnight_ns(ctx),
        patient=ctx.patient,
        device=ctx.device,
        tags={"profile": ctx.profile},
        steps=int(s.get("steps", len(out.steps_t_s))),
        wear_time_s=float(s.get("wear_s", 0.0)),
        upright_time_s=float(posture.get("standing", 0.0)) + float(posture.get("walking", 0.0)),
        sitting_time_s=float(posture.get("sitting", 0.0)),
        lying_time_s=float(posture.get("lying", 0.0)),
        bends_over_limit=risky,
        lift_like_events=kinds.get("lift", 0),
        alerts=len(out.alerts),
        exercise_sets=len(out.sets),
    )


def heartbeat_points(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """``device_status`` every ``heartbeat_s`` over the recording: worn, connected, battery."""
    if not out.timeline:
        return []
    t = [float(r["t"]) for r in out.timeline]
    windows: dict[int, list[bool]] = defaultdict(list)
    for ti, r in zip(t, out.timeline, strict=True):
        windows[int((ti - t[0]) // ctx.heartbeat_s)].append(r["posture"] != "not_worn")
    battery = sorted(ctx.battery)
    points = []
    for k in sorted(windows):
        at_s = t[0] + k * ctx.heartbeat_s
        fields: dict[str, Any] = {
            "connected": True,
            "worn": sum(windows[k]) * 2 > len(windows[k]),
            "heartbeat": k,
        }
        known = [pct for when, pct in battery if when <= at_s]
        if known:
            fields["battery_pct"] = known[-1]
        points.append(
            make_point("device_status", ctx.at(at_s), patient=ctx.patient, device=ctx.device,
                       **fields)
        )
    return points


def points_from_output(out: AnalysisOutput, ctx: FeedContext) -> list[Point]:
    """Every schema point of one analysis: angles, bouts, steps, events, alerts, sets, summary."""
    return [
        *angle_points(out, ctx),
        *posture_points(out, ctx),
        *step_points(out, ctx),
        *event_points(out, ctx),
        *alert_points(out, ctx),
        *exercise_points(out, ctx),
        summary_point(out, ctx),
        *heartbeat_points(out, ctx),
    ]


def commit(store: LocalStore, points: Sequence[Point], chunk: int = 20_000) -> int:
    """Commit ``points`` to the local store in chunks (one fsync each); the number new."""
    return sum(store.append(points[i : i + chunk]) for i in range(0, len(points), chunk))


def upload(
    store: LocalStore, settings: StorageSettings, give_up_after_s: float = 60.0
) -> DrainReport:
    """Upload everything pending in ``store`` through the project's uploader."""
    uploader = Uploader(store, settings)
    try:
        return uploader.drain(give_up_after_s=give_up_after_s)
    finally:
        uploader.close()


def feed_folder(
    folder: Path, ctx: FeedContext, store: LocalStore, settings: StorageSettings | None = None
) -> tuple[int, DrainReport | None]:
    """Read, convert, commit and (with ``settings``) upload one analysis folder."""
    added = commit(store, points_from_output(read_output(folder), ctx))
    return added, (upload(store, settings) if settings is not None else None)
