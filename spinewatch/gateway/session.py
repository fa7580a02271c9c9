"""One patient's live session: timed samples in, alerts and storage points out (no I/O but files).

:class:`LiveSession` is synchronous and knows nothing of BLE or asyncio: the
runner (:mod:`spinewatch.gateway.runner`) feeds it the collector's
:class:`~collector.stream.LiveChunk` s and delivers what comes back. Inside, the
same :class:`~spinewatch.analysis.AnalysisFolder` that ``spinewatch analyze``
runs writes the analysis folder (so the report works on the live day), and
each sample is first rounded exactly as the recording stores it (12
significant digits), so live results equal ``spinewatch analyze`` on the
recording of the same stream.

Points follow :mod:`spinewatch.storage_feed`'s mapping and are given only for
complete units: a timeline row when its block is final, an event when it closes,
an alert when decided, a posture bout when the next begins, steps per UTC
minute once results have passed the minute, and a ``device_status`` heartbeat
per 60 s window of timeline. Exercise sets and the daily summary come at
:meth:`LiveSession.finish`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from collector.stream import LiveChunk
from processing.alert_policy import Alert
from processing.settings import PipelineSettings
from processing.timeline import TimelineRows
from processing.types import POSTURE_LABELS, ImuSamples
from spinewatch.analysis import AnalysisFolder, AnalyzeOptions, FolderUpdate
from spinewatch.exercise_outputs import REPS_DETAIL_FILE, REPS_FILE, prescribed_from_settings
from spinewatch.gateway.segments import day_total
from spinewatch.settings import Settings
from spinewatch.storage.lineprotocol import Point
from spinewatch.storage.schema import make_point
from spinewatch.storage_feed import (
    NS_PER_S,
    STEP_BUCKET_S,
    AnalysisOutput,
    FeedContext,
    alert_points,
    angle_points,
    event_points,
    exercise_points,
    step_points,
    summary_point,
)

#: The collector's sample axes when the sensor is worn as designed (the project's convention,
#: which each device profile's ``[axes] map`` produces): x toward the head, y to the left,
#: z out of the skin of the back. So the body's up is +x and its forward is -z.
DESIGN_UP_AXIS: Final = (1.0, 0.0, 0.0)
DESIGN_FORWARD_AXIS: Final = (0.0, 0.0, -1.0)
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
HEARTBEAT_S: Final = 60.0


def with_design_mounting(settings: PipelineSettings) -> PipelineSettings:
    """``settings`` with the designed axes as the nominal mounting, unless some are set."""
    m = settings.mounting
    if m.nominal_up_axis is not None:
        return settings
    mounting = dataclasses.replace(
        m, nominal_up_axis=DESIGN_UP_AXIS, nominal_forward_axis=DESIGN_FORWARD_AXIS
    )
    return dataclasses.replace(settings, mounting=mounting)


def live_options(settings: Settings, nominal_mounting: bool = True) -> AnalyzeOptions:
    """The analysis options of a live session (and of ``analyze`` on its recording)."""
    profile = settings.patient.clinical_profile()
    pipeline = settings.analysis.processing
    if nominal_mounting:
        pipeline = with_design_mounting(pipeline)
    return AnalyzeOptions(
        zones=profile.flexion_zones(),
        profile=profile,
        timeline_hz=settings.analysis.timeline_hz,
        settings=pipeline,
        prescription=prescribed_from_settings(settings.patient.prescription) or None,
    )


def as_recorded(samples: ImuSamples) -> ImuSamples:
    """The samples as the CSV recording holds them: times exact, values to 12 digits."""
    values = np.column_stack([samples.acc_mps2, samples.gyr_rads])
    flat = values.ravel().tolist()
    text = ("%.12g " * len(flat)) % tuple(flat)
    back = np.array(text.split(), dtype=np.float64).reshape(values.shape)
    return ImuSamples(samples.t_s, back[:, :3], back[:, 3:])


@dataclass(frozen=True, slots=True)
class SessionOutput:
    """What one call gave: alerts to dispatch now, points to commit, the newest sample time."""

    alerts: tuple[Alert, ...]
    points: tuple[Point, ...]
    last_sample_utc_s: float | None


@dataclass(slots=True)
class _Bout:
    """The posture bout being built: label, start (UTC s) and its rows' flexion (°)."""

    label: str
    start_s: float
    flexion_deg: list[float]


class LiveSession:
    """A patient's live analysis: feed chunks in time order, then :meth:`finish` once.

    Args:
        folder: the analysis folder to write (created).
        options: analysis options (:func:`live_options`).
        rate_hz: the stream's nominal sample rate, Hz.
        patient: pseudonymous patient id (never a name).
        device: the sensor's address or name (the ``device`` tag).
        profile: the clinical profile's name (the ``profile`` tag).
        timezone: the patient's IANA zone (daily summary at local midnight).
    """

    def __init__(self, folder: Path, options: AnalyzeOptions, rate_hz: float, *, patient: str,
                 device: str, profile: str, timezone: str = "UTC") -> None:
        self.folder = folder
        self.options = options
        self.analysis = AnalysisFolder(folder, options, rate_hz)
        self.ctx = FeedContext(patient, device, profile, EPOCH, timezone, HEARTBEAT_S)
        self.samples = 0
        self.first_utc_s: float | None = None
        self.last_utc_s: float | None = None
        self._events: list[dict[str, str]] = []
        self._alerts: list[dict[str, str]] = []
        self._steps: list[float] = []  # steps of minutes not yet complete (UTC s)
        self._steps_all: list[float] = []
        self._bout: _Bout | None = None
        self._rows = 0
        self._first_row_s: float | None = None
        self._last_row_s = 0.0
        self._window = -1  # heartbeat window being gathered (index from the first row)
        self._worn: list[bool] = []
        self._battery: list[tuple[float, float]] = []  # (UTC s, %) from the packets
        self._finished = False

    # -- feeding --------------------------------------------------------------------------
    def feed(self, chunks: Sequence[LiveChunk]) -> SessionOutput:
        """Analyse the chunks' samples (in time order, as the collector gives them)."""
        chunks = [c for c in chunks if len(c.samples)]
        if not chunks:
            return SessionOutput((), (), self.last_utc_s)
        for c in chunks:
            pct = c.packet.battery_pct
            if pct is not None and (not self._battery or self._battery[-1][1] != pct):
                self._battery.append((float(c.samples.t_s[0]), float(pct)))
        samples = ImuSamples(
            np.concatenate([c.samples.t_s for c in chunks]),
            np.concatenate([c.samples.acc_mps2 for c in chunks]),
            np.concatenate([c.samples.gyr_rads for c in chunks]),
        )
        return self.feed_samples(samples)

    def feed_samples(self, samples: ImuSamples) -> SessionOutput:
        """Analyse samples (UTC epoch s, m/s², rad/s) that follow the previous ones."""
        if len(samples) == 0:
            return SessionOutput((), (), self.last_utc_s)
        if self.first_utc_s is None:
            self.first_utc_s = float(samples.t_s[0])
        self.last_utc_s = float(samples.t_s[-1])
        self.samples += len(samples)
        return self._points(self.analysis.update(as_recorded(samples)), final=False)

    def finish(self, recording: dict[str, Any] | None = None) -> SessionOutput:
        """End of the stream: the rest of the results, exercise sets and the day's summary.

        ``recording`` goes into ``summary.json`` as its ``recording`` entry.
        """
        if self._finished:
            return SessionOutput((), (), self.last_utc_s)
        self._finished = True
        try:
            out = self._points(self.analysis.finish(), final=True)
        finally:
            self.analysis.close()
        summary = self.analysis.summary()
        summary["recording"] = {"live": True, **(recording or {})}
        # No start_utc: the clock is already Unix time, which the report recognises.
        self.analysis.write_summary(summary)
        if self.samples == 0:
            return out
        sets, reps = _rows(self.folder / REPS_FILE), _rows(self.folder / REPS_DETAIL_FILE)
        day = dataclasses.replace(
            self.ctx, start_utc=dt.datetime.fromtimestamp(self.first_utc_s or 0.0, dt.UTC)
        )
        whole = AnalysisOutput((), tuple(self._steps_all), tuple(self._events),
                               tuple(self._alerts), sets, reps, summary)
        # The day's totals include the runs before a restart (their segments, same day).
        extra = [*exercise_points(whole, self.ctx),
                 day_total(summary_point(whole, day), self.folder.parent, self.ctx)]
        return SessionOutput(out.alerts, out.points + tuple(extra), out.last_sample_utc_s)

    # -- results to points ----------------------------------------------------------------
    def _points(self, up: FolderUpdate, final: bool) -> SessionOutput:
        res = up.results
        rows = _row_dicts(up.timeline)
        self._events += up.events
        alerts = [a for a, _ in up.alerts]
        self._alerts += [row for _, row in up.alerts]
        part = AnalysisOutput(rows, (), up.events, tuple(r for _, r in up.alerts), (), ())
        points = [*angle_points(part, self.ctx), *event_points(part, self.ctx),
                  *alert_points(part, self.ctx)]
        points += self._bouts(rows, final)
        points += self._heartbeats(rows, final)
        self._steps += [float(t) for t in res.steps_t_s]
        self._steps_all += [float(t) for t in res.steps_t_s]
        reached = float(res.t_s[-1]) if len(res) else None
        points += self._complete_minutes(reached, final)
        return SessionOutput(tuple(alerts), tuple(points), self.last_utc_s)

    def _complete_minutes(self, reached_s: float | None, final: bool) -> list[Point]:
        """Steps of every UTC minute the final results have passed (all of them at the end)."""
        if not self._steps:
            return []
        if final:
            done, self._steps = self._steps, []
        else:
            if reached_s is None:
                return []
            bucket_ns = STEP_BUCKET_S * NS_PER_S
            open_minute = self.ctx.at(reached_s) // bucket_ns
            done = [t for t in self._steps if self.ctx.at(t) // bucket_ns < open_minute]
            self._steps = self._steps[len(done):]
        return step_points(AnalysisOutput((), tuple(done), (), (), (), ()), self.ctx)

    def _bouts(self, rows: tuple[dict[str, str], ...], final: bool) -> list[Point]:
        """A ``posture`` point for every bout that ended (and the last one at the end)."""
        out = []
        for r in rows:
            t = float(r["t"])
            if self._first_row_s is None:
                self._first_row_s = t
            self._rows += 1
            self._last_row_s = t
            bout = self._bout
            if bout is not None and bout.label == r["posture"]:
                bout.flexion_deg.append(float(r["flexion_deg"]))
                continue
            if bout is not None:
                out.append(self._bout_point(bout, t))
            self._bout = _Bout(r["posture"], t, [float(r["flexion_deg"])])
        if final and self._bout is not None and self._first_row_s is not None:
            # As storage_feed does for a folder's last bout: one mean row spacing past its end.
            step = ((self._last_row_s - self._first_row_s) / (self._rows - 1)
                    if self._rows > 1 else 0.0)
            out.append(self._bout_point(self._bout, self._last_row_s + step))
            self._bout = None
        return out

    def _bout_point(self, bout: _Bout, end_s: float) -> Point:
        flex = bout.flexion_deg
        return make_point(
            "posture", self.ctx.at(bout.start_s), patient=self.ctx.patient,
            device=self.ctx.device, tags={"profile": self.ctx.profile, "zone": bout.label},
            duration_s=round(end_s - bout.start_s, 3),
            mean_flexion_deg=round(sum(flex) / len(flex), 2), max_flexion_deg=max(flex))

    def _heartbeats(self, rows: tuple[dict[str, str], ...], final: bool) -> list[Point]:
        """``device_status`` for each 60 s window of timeline that is complete."""
        out = []
        for r in rows:
            first = self._first_row_s if self._first_row_s is not None else float(r["t"])
            k = int((float(r["t"]) - first) // HEARTBEAT_S)
            if k != self._window and self._worn:
                out.append(self._heartbeat(self._window, first))
                self._worn = []
            self._window = k
            self._worn.append(r["posture"] != "not_worn")
        if final and self._worn and self._first_row_s is not None:
            out.append(self._heartbeat(self._window, self._first_row_s))
            self._worn = []
        return out

    def _heartbeat(self, k: int, first_s: float) -> Point:
        at_s = first_s + k * HEARTBEAT_S
        fields: dict[str, Any] = {"connected": True, "worn": sum(self._worn) * 2 > len(self._worn),
                                  "heartbeat": k}
        # Row times are rounded to 0.1 ms (as timeline.csv holds them): allow for that.
        known = [pct for when, pct in self._battery if when <= at_s + 1e-3]
        if known:
            fields["battery_pct"] = known[-1]
            self._battery = self._battery[len(known) - 1:]
        return make_point("device_status", self.ctx.at(at_s), patient=self.ctx.patient,
                          device=self.ctx.device, **fields)


def _row_dicts(rows: TimelineRows) -> tuple[dict[str, str], ...]:
    """Timeline rows as ``timeline.csv`` holds them (the same rounding), as strings."""
    if len(rows.t_s) == 0:
        return ()
    labels = np.asarray(POSTURE_LABELS)[rows.posture.astype(np.int64)]
    cols = (np.round(rows.t_s, 4), np.round(rows.flexion_deg, 2), np.round(rows.lateral_deg, 2),
            np.round(rows.inclination_deg, 2))
    return tuple(
        {"t": repr(t), "flexion_deg": repr(f), "lateral_deg": repr(lat),
         "inclination_deg": repr(inc), "posture": str(p)}
        for t, f, lat, inc, p in zip(*(c.tolist() for c in cols), labels.tolist(), strict=True)
    )


def _rows(path: Path) -> tuple[dict[str, str], ...]:
    """The rows of an exercise file the analysis wrote (none if it wrote none)."""
    if not path.is_file():
        return ()
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def disconnected_status(patient: str, device: str, at_utc_s: float) -> Point:
    """A ``device_status`` point saying the sensor is not connected (the gateway is up)."""
    return make_point("device_status", round(at_utc_s * 1000) * 1_000_000, patient=patient,
                      device=device, connected=False)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON atomically (a temporary file renamed over ``path``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
