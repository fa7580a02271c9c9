"""Rebuild a :class:`~spinewatch.report.model.PatientDay` from stored points.

Points of ``spinewatch/storage/SCHEMA.md`` come through a :class:`PointReader`: the
local SQLite store (:mod:`.load_store`) or InfluxDB (:mod:`.load_influx`). The day
is the patient's local calendar day in the clinic's time zone. From where:

* flexion series: ``trunk_angles`` (``flexion_deg``, °, 10 Hz); each sample's
  posture from the ``posture`` run (tag ``zone``) it falls in;
* gaps: intervals between ``trunk_angles`` longer than
  :data:`processing.quality.GAP_FACTOR` periods (as in the analysis); never filled with zeros. A gap
  in which every ``device_status`` heartbeat says connected but not worn is
  shown as not worn instead; so are not-worn heartbeats outside the angle data;
* events (``events``, tag ``kind``), steps (``steps.count``), exercise sets
  (``exercise_sets``, one per set, without per-rep detail);
* headline numbers: ``daily_summary`` (``steps``, ``wear_time_s``) where
  present, the rest computed from the series as the analysis computes them
  (:class:`processing.summary.SummaryAccumulator`).

Times on the day's clock are seconds from its first stored sample.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

import numpy as np

from processing.event_types import FAR_MARGIN_DEG
from processing.profile import Zone
from processing.quality import GAP_FACTOR
from processing.summary import SummaryAccumulator
from spinewatch.errors import ReportError, StorageError
from spinewatch.report.load_analysis import EPOCH, check_timezone, not_worn_spans
from spinewatch.report.model import (
    EVENT_TYPES,
    POSTURES,
    Event,
    ExerciseSet,
    Headline,
    PatientDay,
    Series,
    Span,
    Targets,
)
from spinewatch.storage.lineprotocol import Point

NS_PER_S: Final = 1_000_000_000
TIMELINE_PERIOD_S: Final = 0.1  # analysis.timeline_hz = 10 Hz, when too few samples to tell
HEARTBEAT_S: Final = 60.0  # the feed's heartbeat interval, when too few heartbeats to tell
# How far a stored daily wear time may exceed the day's measured angle time (s): the
# analysis measures at the sensor's rate, the stored angles are its 10 Hz timeline.
SUMMARY_SLACK_S: Final = 1.0
# Posture runs that started up to this long before midnight may reach into the day, s.
RUN_LOOKBACK_S: Final = 86_400


class PointReader(Protocol):
    """Reads stored points; :class:`~spinewatch.storage.store.LocalStore` is one.

    ``columns`` is ``query`` as columns (times in ns, then each named field, None
    where absent), for the 10 Hz angles.
    """

    def query(
        self,
        measurement: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[Point]: ...

    def columns(
        self,
        measurement: str,
        names: Sequence[str],
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> tuple[list[int], dict[str, list[Any]]]: ...


def day_bounds_ns(date: dt.date, timezone: str) -> tuple[int, int]:
    """``[local midnight, next local midnight)`` of ``date`` in ``timezone``, ns since epoch."""
    zone = ZoneInfo(timezone)
    lo = dt.datetime.combine(date, dt.time(), tzinfo=zone)
    hi = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return int(lo.timestamp()) * NS_PER_S, int(hi.timestamp()) * NS_PER_S


def flexion_zones(t: Targets) -> tuple[Zone, ...]:
    """The profile's flexion zones, as :meth:`ClinicalProfile.flexion_zones` makes them, °."""
    return (
        Zone("extension", -math.inf, -t.extension_limit_deg),
        Zone("neutral", -t.extension_limit_deg, t.flexion_caution_deg),
        Zone("caution", t.flexion_caution_deg, t.flexion_limit_deg),
        Zone("beyond", t.flexion_limit_deg, math.inf),
    )


def _num(p: Point, key: str) -> float | None:
    v = p.fields.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _int(p: Point, key: str) -> int | None:
    v = _num(p, key)
    return None if v is None else int(v)


class _Points:
    """The stored points of one patient-day, with the day's clock (``t0_ns``)."""

    def __init__(self, reader: PointReader, patient_id: str, lo: int, hi: int) -> None:
        tags = {"patient": patient_id}
        times, cols = reader.columns("trunk_angles", ("flexion_deg",), lo, hi, tags)
        self.angle_ns = np.asarray(times, dtype=np.int64)
        self.flexion = np.asarray(cols["flexion_deg"], dtype=np.float64)  # None: NaN
        runs = reader.query("posture", lo - RUN_LOOKBACK_S * NS_PER_S, hi, tags)
        self.runs = [r for r in runs if r.time_ns >= lo or r.time_ns + self._dur(r) > lo]
        self.events = reader.query("events", lo, hi, tags)
        self.steps = reader.query("steps", lo, hi, tags)
        self.sets = reader.query("exercise_sets", lo, hi, tags)
        self.summaries = reader.query("daily_summary", lo, hi, tags)
        self.beats = reader.query("device_status", lo, hi, tags)
        firsts = [pts[0].time_ns for pts in (self.beats, self.events) if pts]
        if len(self.angle_ns):
            firsts.append(int(self.angle_ns[0]))
        if self.runs:
            firsts.append(max(lo, self.runs[0].time_ns))
        self.t0_ns = min(firsts) if firsts else lo
        self.empty = not (
            len(self.angle_ns) or self.runs or self.events or self.summaries or self.beats
        )

    @staticmethod
    def _dur(p: Point) -> int:
        return round((_num(p, "duration_s") or 0.0) * NS_PER_S)

    def t(self, time_ns: int) -> float:
        """``time_ns`` on the day's clock, s."""
        return (time_ns - self.t0_ns) / NS_PER_S


def build_day(
    reader: PointReader,
    patient_id: str,
    date: dt.date,
    *,
    targets: Targets,
    timezone: str,
    source: str = "",
) -> PatientDay | None:
    """The patient's local day ``date`` from ``reader``'s points; None when nothing is stored."""
    lo, hi = day_bounds_ns(date, check_timezone(timezone))
    try:
        pts = _Points(reader, patient_id, lo, hi)
    except StorageError as exc:
        raise ReportError(
            f"cannot be read: {exc.message}", where=source or "store", advice=exc.advice
        ) from exc
    if pts.empty:
        return None
    series = _series(pts)
    period = float(np.median(np.diff(series.t_s))) if len(series) > 1 else TIMELINE_PERIOD_S
    max_interval = GAP_FACTOR * max(period, 1e-3)
    acc = SummaryAccumulator(max_interval_s=max_interval, zones=flexion_zones(targets))
    if len(series):
        acc.update(series.t_s, series.flexion_deg, series.posture, 0)
    summary = acc.result()
    gaps, not_worn = _gaps_and_not_worn(pts, series, summary["gaps"])
    events = _events(pts, targets)
    return PatientDay(
        patient_id=patient_id,
        date=date,
        start_utc=EPOCH + dt.timedelta(microseconds=pts.t0_ns // 1000),
        timezone=timezone,
        headline=_headline(pts, summary, events),
        series=series,
        events=events,
        gaps=gaps,
        not_worn=not_worn,
        targets=targets,
        sets=_sets(pts),
        adherence=None,  # the store keeps sets done, not the prescription
        source=source,
    )


def _series(pts: _Points) -> Series:
    """Times (s), flexion (°, NaN when missing) and posture codes of the angle samples."""
    times, flex = pts.angle_ns, pts.flexion
    other = POSTURES.index("other")
    posture = np.full(len(times), other, dtype=np.int8)
    if pts.runs and len(times):
        starts = np.array([r.time_ns for r in pts.runs], dtype=np.int64)
        ends = starts + np.array([_Points._dur(r) for r in pts.runs], dtype=np.int64)
        code = {name: k for k, name in enumerate(POSTURES)}
        codes = np.array([code.get(r.tags.get("zone", ""), other) for r in pts.runs], np.int8)
        k = np.searchsorted(starts, times, side="right") - 1
        inside = (k >= 0) & (times < ends[np.maximum(k, 0)] + NS_PER_S)
        posture[inside] = codes[k[inside]]
    return Series(t_s=(times - pts.t0_ns) / NS_PER_S, flexion_deg=flex, posture=posture)


def _gaps_and_not_worn(
    pts: _Points, series: Series, found: list[dict[str, float]]
) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Gaps in the angles (s), and not-worn spans (s).

    Not worn: posture ``not_worn``; a gap whose heartbeats (at least one) all say
    connected but not worn; runs of such heartbeats before or after the angle data.
    """
    beats = [
        (pts.t(b.time_ns), b.fields["worn"] is False and b.fields.get("connected") is not False)
        for b in pts.beats
        if isinstance(b.fields.get("worn"), bool)
    ]
    step = float(np.median(np.diff([t for t, _ in beats]))) if len(beats) > 1 else HEARTBEAT_S

    def off(a: float, b: float) -> bool:
        inside = [o for t, o in beats if a < t < b]
        return bool(inside) and all(inside)

    spans = [Span(float(g["start_s"]), float(g["end_s"])) for g in found]
    not_worn = list(not_worn_spans(series)) + [g for g in spans if off(g.start_s, g.end_s)]
    first = float(series.t_s[0]) if len(series) else math.inf
    last = float(series.t_s[-1]) if len(series) else -math.inf
    runs: list[Span] = []
    for t, o in beats:
        if not o or first <= t <= last:
            continue
        if runs and t - runs[-1].end_s < 0.5 * step:
            runs[-1] = Span(runs[-1].start_s, t + step)
        else:
            runs.append(Span(t, t + step))
    not_worn += runs
    gaps = tuple(g for g in spans if not off(g.start_s, g.end_s))
    return gaps, tuple(sorted(not_worn, key=lambda s: s.start_s))


def _events(pts: _Points, targets: Targets) -> tuple[Event, ...]:
    """Events; the store keeps only ``violates_profile``, so the severity is re-graded."""
    out = []
    for p in pts.events:
        kind = p.tags.get("kind", "")
        start = pts.t(p.time_ns)
        flex = _num(p, "peak_flexion_deg")
        peak = flex if flex is not None else _num(p, "peak_lateral_deg")
        if kind == "fall":
            severity = "critical"
        elif p.fields.get("violates_profile") is True:
            limit = targets.flexion_limit_deg + FAR_MARGIN_DEG
            far = kind == "bend" and flex is not None and flex >= limit
            severity = "far_beyond" if far else "beyond"
        else:
            severity = "caution"
        technique = p.fields.get("technique")
        out.append(
            Event(
                type=kind,
                start_s=start,
                end_s=start + (_num(p, "duration_s") or 0.0),
                peak_deg=peak,
                technique=technique if isinstance(technique, str) else "",
                severity=severity,
            )
        )
    return tuple(sorted(out, key=lambda e: e.start_s))


def _sets(pts: _Points) -> tuple[ExerciseSet, ...] | None:
    """Exercise sets (no per-rep detail in the store); None when none is stored."""
    if not pts.sets:
        return None
    return tuple(
        ExerciseSet(
            exercise=p.tags.get("exercise", ""),
            start_s=pts.t(p.time_ns),
            end_s=pts.t(p.time_ns) + (_num(p, "duration_s") or 0.0),
            rep_count=_int(p, "reps") or 0,
            mean_range_deg=math.nan if (r := _num(p, "range_deg")) is None else r,
        )
        for p in pts.sets
    )


def _headline(pts: _Points, summary: Mapping[str, object], events: tuple[Event, ...]) -> Headline:
    """Steps and wear (s) from ``daily_summary`` when stored, the rest from ``summary``.

    A stored summary is that of the recording: when it claims more wear than the
    day's angles measured (a recording across midnight), the day's own numbers are used.
    """

    def f(key: str) -> float:
        v = summary.get(key)
        return float(v) if isinstance(v, int | float) else 0.0

    stored_wear = [w for p in pts.summaries if (w := _num(p, "wear_time_s")) is not None]
    stored_steps = [s for p in pts.summaries if (s := _int(p, "steps")) is not None]
    fits = bool(stored_wear) and (
        not len(pts.angle_ns) or sum(stored_wear) <= f("measured_s") + SUMMARY_SLACK_S
    )
    wear = sum(stored_wear) if fits else f("wear_s")
    worn = wear > 0
    counted = sum(_int(p, "count") or 0 for p in pts.steps)
    steps = sum(stored_steps) if fits and stored_steps else counted
    counts: Counter[str] = Counter({k: 0 for k in EVENT_TYPES})
    counts.update(e.type for e in events)
    lifts = Counter(e.technique or "unknown" for e in events if e.type == "lift")
    sitting_start = summary.get("longest_sitting_bout_start_s")
    zones = summary.get("flexion_zone_s")
    postures = summary.get("posture_s")
    return Headline(
        duration_s=f("duration_s"),
        measured_s=f("measured_s"),
        wear_s=wear,
        gap_s=f("gap_s"),
        steps=steps if worn else None,
        walking_s=f("walking_s") if worn else None,
        longest_sitting_s=f("longest_sitting_bout_s") if worn else None,
        longest_sitting_start_s=(
            float(sitting_start) if worn and isinstance(sitting_start, int | float) else None
        ),
        event_counts=dict(counts),
        zone_s=dict(zones) if isinstance(zones, dict) else {},
        posture_s=dict(postures) if isinstance(postures, dict) else {},
        lifts_by_technique=dict(lifts),
    )
