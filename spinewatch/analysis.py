"""``spinewatch analyze``'s engine: a recording in, the analysis folder out.

Reads the recording chunk by chunk, feeds the streaming analyser and writes
each output as results become final, so a day at 100 Hz runs in bounded
memory. The processing itself lives in :mod:`processing`; this module only
moves data between files and it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from processing.alert_policy import Alert, AlertPolicy, AlertSettings
from processing.event_types import EVENT_TYPES, EventNotice, Phase
from processing.pipeline import Analyzer
from processing.profile import ClinicalProfile, Zone
from processing.quality import (
    GAP_FACTOR,
    GapDetector,
    QualitySettings,
    SaturationDetector,
    SaturationResult,
)
from processing.results import AnalysisChunk
from processing.settings import PipelineSettings
from processing.summary import SummaryAccumulator
from processing.timeline import TimelineDecimator, TimelineRows
from processing.types import POSTURE_LABELS, ImuSamples
from spinewatch.errors import RecordingError
from spinewatch.exercise_outputs import ExerciseOutputs, Prescribed
from spinewatch.recordings import RecordingOptions, open_recording

log = logging.getLogger(__name__)

# Samples read and analysed at a time: small enough to stay in cache and keep a day's
# analysis under 500 MB, large enough that per-call overhead does not matter.
CHUNK_ROWS = 32768
TIMELINE_COLUMNS = ("t", "flexion_deg", "lateral_deg", "inclination_deg", "posture")
# Rows gathered before a CSV output is written (live chunks are a few rows each).
CSV_BATCH_ROWS = 2000


@dataclass(frozen=True, slots=True)
class AnalyzeOptions:
    """What to analyse and how; see ``spinewatch analyze --help``."""

    zones: tuple[Zone, ...]
    profile: ClinicalProfile | None = None
    timeline_hz: float = 10.0
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    recording: RecordingOptions = field(
        default_factory=lambda: RecordingOptions(chunk_rows=CHUNK_ROWS)
    )
    # The home exercise programme (None: look for every known exercise, no adherence).
    prescription: tuple[Prescribed, ...] | None = None


class _CsvOut:
    """A CSV output written block by block; values rounded to ``decimals`` per column.

    pyarrow's CSV writer formats numbers in C++, which keeps a day's
    orientation file (one row per sample) from dominating the run time. Small
    writes (live packets) are gathered up to :data:`CSV_BATCH_ROWS` rows first:
    each pyarrow call has a fixed cost far above that of a few rows.
    """

    def __init__(self, path: Path, names: tuple[str, ...], decimals: tuple[int, ...]) -> None:
        self._fh: IO[bytes] = path.open("wb")
        self._fh.write((",".join(names) + "\n").encode())
        self._names = names
        self._decimals = decimals
        self._options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        self._pending: list[tuple[np.ndarray, ...]] = []
        self._rows = 0

    def write(self, *cols: np.ndarray) -> None:
        if len(cols[0]) == 0:
            return
        self._pending.append(cols)
        self._rows += len(cols[0])
        if self._rows >= CSV_BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the gathered rows."""
        if not self._pending:
            return
        parts, self._pending, self._rows = self._pending, [], 0
        cols = parts[0] if len(parts) == 1 else tuple(
            np.concatenate(c) for c in zip(*parts, strict=True))
        arrays = [
            pa.array(np.round(c, d)) if d >= 0 else pa.array(c)
            for c, d in zip(cols, self._decimals, strict=True)
        ]
        pacsv.write_csv(
            pa.Table.from_arrays(arrays, names=list(self._names)), self._fh, self._options
        )

    def close(self) -> None:
        self.flush()
        self._fh.close()


@dataclass(frozen=True, slots=True)
class FolderUpdate:
    """What one chunk (or the end of the stream) added to an analysis folder.

    Attributes:
        results: the analyser's results that became final (UTC or recording seconds).
        timeline: the timeline rows written (block means at ``timeline_hz``).
        events: the rows written to ``events.csv`` (closed events), as strings.
        alerts: the alerts decided, with their ``alerts.csv`` rows (message unquoted).
    """

    results: AnalysisChunk
    timeline: TimelineRows
    events: tuple[dict[str, str], ...]
    alerts: tuple[tuple[Alert, dict[str, str]], ...]


class AnalysisFolder:
    """An analysis folder written as results become final: ``spinewatch analyze``'s engine.

    The live gateway runs the same object on the stream it records, so that live
    results equal what ``spinewatch analyze`` gives on the recording. Feed chunks of
    samples in time order with :meth:`update`, then :meth:`finish` and :meth:`close`.

    Args:
        out_dir: the folder (created).
        options: what to analyse and how.
        sample_rate_hz: the stream's nominal sample rate, Hz.
    """

    def __init__(self, out_dir: Path, options: AnalyzeOptions, sample_rate_hz: float) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        fs = float(sample_rate_hz)
        self.out_dir = out_dir
        self.sample_rate_hz = fs
        self.analyzer = Analyzer(options.settings, fs, options.profile)
        # Exercise sets (issue 4): the recogniser sees every result of the analyser;
        # reps.csv and reps_detail.csv are written when the analyser finishes.
        self.exercises = ExerciseOutputs(out_dir, fs, options.prescription)
        self._analyzer = self.exercises.wrap(self.analyzer)
        self._decimator = TimelineDecimator(fs, options.timeline_hz)
        self._summary = SummaryAccumulator(GAP_FACTOR / fs, options.zones)
        self._timeline = _CsvOut(out_dir / "timeline.csv", TIMELINE_COLUMNS, (4, 2, 2, 2, -1))
        self._orientation = _CsvOut(
            out_dir / "orientation.csv", ("t", "qw", "qx", "qy", "qz"), (6, 7, 7, 7, 7)
        )
        self._steps = _CsvOut(out_dir / "steps.csv", ("t",), (4,))
        self.events = EventsOut(out_dir / "events.csv")
        self.alerts = AlertsOut(out_dir / "alerts.csv", options.profile)
        self._gaps = GapDetector(fs, QualitySettings())
        self._clipping = SaturationDetector()
        self.saturated = [0, 0]
        self.samples = 0

    def update(self, chunk: ImuSamples) -> FolderUpdate:
        """Analyse the next samples (times after the previous ones) and write what is final."""
        res = self._analyzer.update(chunk, self._gaps.update(chunk.t_s).after_gap)
        _count(self._clipping.update(chunk.acc_mps2, chunk.gyr_rads), self.saturated)
        self.samples += len(chunk)
        return self._write(res, final=False)

    def finish(self) -> FolderUpdate:
        """End of the stream: the rest of the results, open events closed, exercise files."""
        _count(self._clipping.finish(), self.saturated)
        return self._write(self._analyzer.finish(), final=True)

    def _write(self, res: AnalysisChunk, final: bool) -> FolderUpdate:
        rows = _write(res, self._decimator.update, self._timeline, self._orientation,
                      self._steps, self._summary)
        if final:
            last = self._decimator.finish()
            _write_timeline(self._timeline, last)
            rows = _concat_rows(rows, last)
        events = self.events.write(res.events)
        alerts = self.alerts.write(res.events, res.t_s)
        return FolderUpdate(res, rows, tuple(events), tuple(alerts))

    def close(self) -> None:
        """Close the files (after :meth:`finish`, or to abandon the folder)."""
        for out in (self._timeline, self._orientation, self._steps, self.events, self.alerts):
            out.close()

    def summary(self) -> dict[str, Any]:
        """``summary.json``'s content (after :meth:`finish`), without the ``recording`` entry."""
        result = self._summary.result()
        result["events"] = self.events.summary()
        result["alerts"] = self.alerts.summary()
        result["exercises"] = self.exercises.summary()
        result["samples"] = self.samples
        result["sample_rate_hz"] = self.sample_rate_hz
        result["mountings"] = [
            {
                "from_s": m.t_s,
                "source": m.mounting.source,
                "up_axis_sensor": [round(float(v), 4) for v in m.mounting.up],
                "forward_axis_sensor": [round(float(v), 4) for v in m.mounting.forward],
                "forward_confidence": round(m.mounting.forward_confidence, 3),
            }
            for m in self.analyzer.mountings
        ]
        return result

    def write_summary(self, result: dict[str, Any]) -> None:
        """Write ``summary.json``."""
        (self.out_dir / "summary.json").write_text(
            json.dumps(result, indent=2, sort_keys=True) + "\n"
        )


def analyze_recording(
    path: Path,
    out_dir: Path,
    options: AnalyzeOptions,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Analyse ``path`` into ``out_dir``; returns the summary that is also written.

    ``progress`` is called with the number of samples of each chunk processed.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with open_recording(path, options.recording) as reader:
        folder = AnalysisFolder(out_dir, options, float(reader.sample_rate_hz))
        try:
            for chunk in reader:
                folder.update(chunk)
                if progress is not None:
                    progress(len(chunk))
            folder.finish()
        finally:
            folder.close()
        if folder.samples == 0:
            raise RecordingError(
                "the recording has no samples", where=str(path), advice="check the file"
            )
        result = folder.summary()
        saturated = folder.saturated
        result["recording"] = {
            "path": str(path),
            **reader.stats.as_dict(),
            "saturated_acc_samples": saturated[0],
            "saturated_gyr_samples": saturated[1],
        }
        if saturated[0] or saturated[1]:
            # Clipped samples are kept (dropping them would invent a gap), but angles and
            # events near them are less certain: say so once.
            log.warning(
                "%s: %d accelerometer and %d gyroscope samples at the sensor's range limit "
                "(clipped); results near them are less certain",
                path,
                saturated[0],
                saturated[1],
            )
    folder.write_summary(result)
    return result


class EventsOut:
    """``events.csv``: one row per event when it closes, and per-type totals for the summary."""

    COLUMNS = ("type", "start", "end", "peak_deg", "technique", "severity")

    def __init__(self, path: Path) -> None:
        self._fh = path.open("w", encoding="utf-8", newline="\n")
        self._fh.write(",".join(self.COLUMNS) + "\n")
        self.counts: dict[str, int] = dict.fromkeys(EVENT_TYPES, 0)
        self.seconds: dict[str, float] = dict.fromkeys(EVENT_TYPES, 0.0)

    def write(self, notices: tuple[EventNotice, ...]) -> list[dict[str, str]]:
        """Write the closed events among ``notices``; returns their rows."""
        out = []
        for n in notices:
            if n.phase is not Phase.CLOSED:
                continue
            e = n.event
            peak = "" if math.isnan(e.peak_deg) else f"{e.peak_deg:.1f}"
            row = (
                e.type,
                f"{e.start_s:.2f}",
                f"{e.end_s:.2f}",
                peak,
                e.technique,
                e.severity.value,
            )
            self._fh.write(",".join(row) + "\n")
            out.append(dict(zip(self.COLUMNS, row, strict=True)))
            self.counts[e.type] = self.counts.get(e.type, 0) + 1
            self.seconds[e.type] = self.seconds.get(e.type, 0.0) + (e.end_s - e.start_s)
        return out

    def summary(self) -> dict[str, object]:
        return {
            "count": self.counts,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }

    def close(self) -> None:
        self._fh.close()


class AlertsOut:
    """``alerts.csv``: the alerts the patient and clinic would have had, by the profile's rules.

    The same policy runs live (``spinewatch run``); offline it shows a therapist
    what the patient was told, and that alerts stayed rare.
    """

    COLUMNS = ("at", "kind", "level", "audience", "suppressed_since_last", "message")

    def __init__(self, path: Path, profile: ClinicalProfile | None) -> None:
        self._policy = None if profile is None else AlertPolicy(AlertSettings.from_profile(profile))
        self._fh = path.open("w", encoding="utf-8", newline="\n")
        self._fh.write(",".join(self.COLUMNS) + "\n")
        self.patient = 0
        self.clinic = 0
        self.by_kind: dict[str, int] = {}

    def write(
        self, notices: tuple[EventNotice, ...], t_s: np.ndarray
    ) -> list[tuple[Alert, dict[str, str]]]:
        """Decide and write the alerts of ``notices``; returns them with their rows."""
        out: list[tuple[Alert, dict[str, str]]] = []
        if self._policy is None or (not notices and len(t_s) == 0):
            return out
        now = float(t_s[-1]) if len(t_s) else None
        for alert in self._policy.update(list(notices), now):
            audience = "+".join(sorted(a.value for a in alert.audience))
            message = '"' + alert.message.replace('"', "'") + '"'
            row = (
                f"{alert.at_s:.2f}",
                alert.kind,
                alert.level.name.lower(),
                audience,
                str(alert.suppressed_since_last),
                message,
            )
            self._fh.write(",".join(row) + "\n")
            out.append((alert, dict(zip(self.COLUMNS, (*row[:-1], message[1:-1]), strict=True))))
            self.patient += alert.to_patient
            self.clinic += alert.to_clinic
            self.by_kind[alert.kind] = self.by_kind.get(alert.kind, 0) + 1
        return out

    def summary(self) -> dict[str, object]:
        return {"to_patient": self.patient, "to_clinic": self.clinic, "by_kind": self.by_kind}

    def close(self) -> None:
        self._fh.close()


def _count(result: SaturationResult, totals: list[int]) -> None:
    totals[0] += result.acc_count
    totals[1] += result.gyr_count


def _write(
    res: AnalysisChunk,
    decimate: Callable[..., TimelineRows],
    timeline: _CsvOut,
    orientation: _CsvOut,
    steps: _CsvOut,
    summary: SummaryAccumulator,
) -> TimelineRows:
    rows = _EMPTY_ROWS
    if len(res):
        orientation.write(res.t_s, *res.quat.T)
        rows = decimate(res.t_s, res.flexion_deg, res.lateral_deg, res.inclination_deg, res.posture)
        _write_timeline(timeline, rows)
    steps.write(res.steps_t_s)
    summary.update(res.t_s, res.flexion_deg, res.posture, len(res.steps_t_s))
    return rows


_EMPTY_ROWS = TimelineRows(
    np.empty(0), np.empty(0), np.empty(0), np.empty(0), np.empty(0, dtype=np.int8)
)


def _concat_rows(a: TimelineRows, b: TimelineRows) -> TimelineRows:
    return TimelineRows(
        *(np.concatenate([x, y]) for x, y in zip(_fields(a), _fields(b), strict=True))
    )


def _fields(rows: TimelineRows) -> tuple[np.ndarray, ...]:
    return (rows.t_s, rows.flexion_deg, rows.lateral_deg, rows.inclination_deg, rows.posture)


def _write_timeline(out: _CsvOut, rows: TimelineRows) -> None:
    labels = np.asarray(POSTURE_LABELS)[rows.posture.astype(np.int64)]
    out.write(rows.t_s, rows.flexion_deg, rows.lateral_deg, rows.inclination_deg, labels)


def parse_window(text: str) -> tuple[float, float]:
    """``"START:END"`` in seconds → ``(start, end)``; ValueError (for argparse) if malformed."""
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError as exc:
        raise ValueError(f"expected START:END in seconds, got {text!r}") from exc
    if not (math.isfinite(a) and math.isfinite(b) and b > a):
        raise ValueError(f"calibration window {text!r} must have END > START")
    return a, b
