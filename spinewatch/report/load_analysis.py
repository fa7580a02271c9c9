"""Load a :class:`~spinewatch.report.model.PatientDay` from a ``spinewatch analyze`` folder.

The folder holds ``summary.json``, ``timeline.csv``, ``events.csv`` and, when the
analysis recognised exercises, ``reps.csv`` and ``reps_detail.csv`` (their absence
means "no exercise data", not "no exercise done").

The recording's clock is seconds; wall-clock times come from, in this order, the
``start`` argument, ``summary.json``'s ``start_utc`` (top level or under
``recording``), or a clock that is already Unix time (first sample after 2001).

Other sources (the local SQLite store, InfluxDB) get a loader of their own
returning the same :class:`PatientDay`; see :mod:`spinewatch.report.sources`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from spinewatch.errors import ReportError
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

# A recording clock whose first sample is past this is taken as Unix time, s (2001-09-09).
UNIX_CLOCK_MIN_S: Final = 1.0e9
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse_start(text: str, where: str = "--start") -> dt.datetime:
    """An ISO 8601 time with an offset (``2026-11-27T07:00:00Z``) as an aware UTC datetime."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ReportError(
            "is not an ISO 8601 time",
            where=where,
            value=text,
            advice="give e.g. 2026-11-27T07:00:00Z or 2026-11-27T08:00:00+01:00",
        ) from exc
    if value.tzinfo is None:
        raise ReportError(
            "has no UTC offset",
            where=where,
            value=text,
            advice="add Z or +HH:MM so the time is unambiguous",
        )
    return value.astimezone(dt.UTC)


def check_timezone(name: str) -> str:
    """``name`` if it is a known IANA time zone, else ReportError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportError(
            "is not a known time zone", where="timezone", value=name, advice="e.g. Europe/Berlin"
        ) from exc
    return name


def load_analysis(
    folder: Path,
    *,
    patient_id: str,
    targets: Targets,
    timezone: str = "UTC",
    start: dt.datetime | None = None,
    date: dt.date | None = None,
) -> PatientDay:
    """The patient-day in analysis folder ``folder``.

    Args:
        folder: a ``spinewatch analyze`` output folder.
        patient_id: the pseudonymous id the day belongs to.
        targets: the patient's profile limits and targets.
        timezone: the clinic's IANA time zone for wall-clock times.
        start: wall-clock (aware) time of ``t = 0`` on the recording's clock; default
            from ``summary.json`` or a Unix-time clock.
        date: the calendar day shown; default the local date of the first sample.
    """
    summary = _read_summary(folder)
    check_timezone(timezone)
    start_utc = _start(summary, start, folder)
    series = _read_timeline(folder / "timeline.csv")
    events = _read_events(folder / "events.csv")
    first_s = _number(summary.get("start_s"), 0.0)
    headline = _headline(summary, events)
    gaps = tuple(
        Span(float(g["start_s"]), float(g["end_s"]))
        for g in summary.get("gaps", [])
        if isinstance(g, dict)
    )
    sets = _read_sets(folder)
    day = PatientDay(
        patient_id=patient_id,
        date=date
        or (start_utc + dt.timedelta(seconds=first_s)).astimezone(ZoneInfo(timezone)).date(),
        start_utc=start_utc,
        timezone=timezone,
        headline=headline,
        series=series,
        events=events,
        gaps=gaps,
        not_worn=not_worn_spans(series),
        targets=targets,
        sets=sets,
        adherence=_adherence(summary),
        source=str(folder),
    )
    return day


def not_worn_spans(series: Series) -> tuple[Span, ...]:
    """Runs of ``not_worn`` posture in the timeline, as spans (s)."""
    code = POSTURES.index("not_worn")
    off = series.posture == code
    if not off.any():
        return ()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], off.astype(np.int8), [0]])))
    t = series.t_s
    return tuple(
        Span(float(t[a]), float(t[b - 1])) for a, b in zip(edges[::2], edges[1::2], strict=True)
    )


def _read_summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(
            "has no summary.json",
            where=str(folder),
            advice="give a folder written by `spinewatch analyze`",
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(
            f"cannot be read: {exc}", where=str(path), advice="run the analysis again"
        ) from exc
    if not isinstance(data, dict):
        raise ReportError("is not a JSON object", where=str(path), advice="run the analysis again")
    return data


def _start(summary: dict[str, Any], start: dt.datetime | None, folder: Path) -> dt.datetime:
    if start is not None:
        return start.astimezone(dt.UTC)
    recording = summary.get("recording")
    for text in (
        summary.get("start_utc"),
        recording.get("start_utc") if isinstance(recording, dict) else None,
    ):
        if isinstance(text, str):
            return parse_start(text, where=f"{folder}/summary.json: start_utc")
    if _number(summary.get("start_s"), 0.0) > UNIX_CLOCK_MIN_S:
        return EPOCH
    raise ReportError(
        "has no wall-clock start time (its clock is seconds from the start)",
        where=str(folder),
        advice="give the recording's start, e.g. --start 2026-11-27T07:00:00Z",
    )


def _number(x: Any, default: float) -> float:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else default


def _headline(summary: dict[str, Any], events: tuple[Event, ...]) -> Headline:
    counts_in = summary.get("events", {}).get("count", {})
    counts = {k: int(counts_in.get(k, 0)) for k in EVENT_TYPES}
    for e in events:  # types the summary does not know yet
        if e.type not in counts:
            counts[e.type] = sum(1 for x in events if x.type == e.type)
    lifts: dict[str, int] = {}
    for e in events:
        if e.type == "lift":
            lifts[e.technique or "unknown"] = lifts.get(e.technique or "unknown", 0) + 1
    wear = _number(summary.get("wear_s"), 0.0)
    worn = wear > 0
    steps = summary.get("steps")
    sitting = summary.get("longest_sitting_bout_s")
    sitting_start = summary.get("longest_sitting_bout_start_s")
    return Headline(
        duration_s=_number(summary.get("duration_s"), 0.0),
        measured_s=_number(summary.get("measured_s"), 0.0),
        wear_s=wear,
        gap_s=_number(summary.get("gap_s"), 0.0),
        steps=int(steps) if worn and isinstance(steps, int) else None,
        walking_s=_number(summary.get("walking_s"), 0.0) if worn else None,
        longest_sitting_s=_number(sitting, 0.0) if worn else None,
        longest_sitting_start_s=(
            float(sitting_start) if worn and isinstance(sitting_start, int | float) else None
        ),
        event_counts=counts,
        zone_s={str(k): float(v) for k, v in summary.get("flexion_zone_s", {}).items()},
        posture_s={str(k): float(v) for k, v in summary.get("posture_s", {}).items()},
        lifts_by_technique=lifts,
    )


def _read_timeline(path: Path) -> Series:
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=["t", "flexion_deg", "posture"],
                column_types={
                    "t": pa.float64(),
                    "flexion_deg": pa.float64(),
                    "posture": pa.dictionary(pa.int32(), pa.string()),
                },
            ),
        )
    except FileNotFoundError as exc:
        raise ReportError(
            "is missing", where=str(path), advice="give a folder written by `spinewatch analyze`"
        ) from exc
    except (OSError, pa.ArrowInvalid, KeyError) as exc:
        raise ReportError(
            f"cannot be read: {exc}", where=str(path), advice="run the analysis again"
        ) from exc
    # Posture labels as codes into POSTURES (unknown labels: other), via the dictionary.
    column = table.column("posture").unify_dictionaries().combine_chunks()
    other = POSTURES.index("other")
    names = [str(x) for x in column.dictionary.to_pylist()]
    lookup = np.array([POSTURES.index(x) if x in POSTURES else other for x in names] or [other])
    codes = lookup[column.indices.to_numpy(zero_copy_only=False)].astype(np.int8)
    return Series(
        t_s=table.column("t").to_numpy(),
        flexion_deg=table.column("flexion_deg").to_numpy(),
        posture=codes,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise ReportError(
            f"cannot be read: {exc}", where=str(path), advice="run the analysis again"
        ) from exc


def _float(text: str | None, where: str) -> float:
    try:
        return float(text or "nan")
    except ValueError as exc:
        raise ReportError("is not a number", where=where, value=text) from exc


def _read_events(path: Path) -> tuple[Event, ...]:
    if not path.exists():
        raise ReportError("is missing", where=str(path), advice="run the analysis again")
    out = []
    for i, r in enumerate(_rows(path), start=2):
        where = f"{path}:{i}"
        peak = _float(r.get("peak_deg") or None, where)
        out.append(
            Event(
                type=r.get("type", ""),
                start_s=_float(r.get("start"), where),
                end_s=_float(r.get("end"), where),
                peak_deg=peak if math.isfinite(peak) else None,
                technique=r.get("technique") or "",
                severity=r.get("severity") or "",
            )
        )
    return tuple(sorted(out, key=lambda e: e.start_s))


def _read_sets(folder: Path) -> tuple[ExerciseSet, ...] | None:
    path = folder / "reps.csv"
    if not path.exists():
        return None
    detail: dict[int, list[Rep]] = {}
    detail_path = folder / "reps_detail.csv"
    if detail_path.exists():
        for i, r in enumerate(_rows(detail_path), start=2):
            where = f"{detail_path}:{i}"
            detail.setdefault(int(_float(r.get("set"), where)), []).append(
                Rep(
                    start_s=_float(r.get("start"), where),
                    end_s=_float(r.get("end"), where),
                    range_deg=_float(r.get("range_deg"), where),
                    hold_s=_float(r.get("hold_s") or "0", where),
                    partial=(r.get("partial") or "0").strip() == "1",
                )
            )
    sets = []
    for k, r in enumerate(_rows(path)):
        where = f"{path}:{k + 2}"
        sets.append(
            ExerciseSet(
                exercise=r.get("exercise", ""),
                start_s=_float(r.get("start"), where),
                end_s=_float(r.get("end"), where),
                rep_count=int(_float(r.get("reps"), where)),
                mean_range_deg=_float(r.get("mean_range_deg") or "nan", where),
                reps=tuple(detail.get(k, ())),
            )
        )
    return tuple(sets)


def _adherence(summary: dict[str, Any]) -> tuple[ExerciseDone, ...] | None:
    """Done against prescribed, summed over the days of the analysis (None: no prescription)."""
    ex = summary.get("exercises")
    adherence = ex.get("adherence") if isinstance(ex, dict) else None
    if not isinstance(adherence, dict) or not adherence.get("days"):
        return None
    totals: dict[str, dict[str, Any]] = {}
    for day in adherence["days"]:
        for name, d in day.get("exercises", {}).items():
            t = totals.setdefault(name, {"sd": 0, "sp": 0, "rd": 0, "rp": None})
            t["sd"] += int(d.get("sets_done", 0))
            t["sp"] += int(d.get("sets_prescribed", 0))
            t["rd"] += int(d.get("reps_done", 0))
            if d.get("reps_prescribed") is not None:
                t["rp"] = (t["rp"] or 0) + int(d["reps_prescribed"])
    out = []
    for name, t in totals.items():
        if t["rp"]:
            fraction = min(1.0, t["rd"] / t["rp"])
        else:
            fraction = min(1.0, t["sd"] / t["sp"]) if t["sp"] else 0.0
        out.append(ExerciseDone(name, t["sd"], t["sp"], t["rd"], t["rp"], round(fraction, 3)))
    return tuple(out)
