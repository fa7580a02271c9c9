"""``spinewatch analyze``'s engine: a recording in, the analysis folder out.

Reads the recording chunk by chunk, feeds the streaming analyser and writes
each output as results become final, so a day at 100 Hz runs in bounded
memory. The processing itself lives in :mod:`processing`; this module only
moves data between files and it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from processing.pipeline import AnalysisChunk, Analyzer, PipelineSettings
from processing.profile import Zone
from processing.quality import GapDetector, QualitySettings
from processing.summary import SummaryAccumulator
from processing.timeline import TimelineDecimator, TimelineRows
from processing.types import POSTURE_LABELS
from spinewatch.errors import RecordingError
from spinewatch.recordings import RecordingOptions, open_recording

# An interval longer than this many nominal periods is a gap in the data.
GAP_FACTOR = 1.5


@dataclass(frozen=True, slots=True)
class AnalyzeOptions:
    """What to analyse and how; see ``spinewatch analyze --help``."""

    zones: tuple[Zone, ...]
    timeline_hz: float = 10.0
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    recording: RecordingOptions = field(default_factory=RecordingOptions)


class _CsvOut:
    """A CSV output written block by block with a fixed number format."""

    def __init__(self, path: Path, header: str, fmt: str) -> None:
        self._fh: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self._fh.write(header + "\n")
        self._fmt = fmt

    def write(self, *cols: np.ndarray) -> None:
        if len(cols[0]) == 0:
            return
        rows = np.column_stack(cols) if len(cols) > 1 else cols[0].reshape(-1, 1)
        np.savetxt(self._fh, rows, fmt=self._fmt, delimiter=",")

    def write_text(self, lines: list[str]) -> None:
        self._fh.write("".join(line + "\n" for line in lines))

    def close(self) -> None:
        self._fh.close()


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
        fs = float(reader.sample_rate_hz)
        analyzer = Analyzer(options.settings, fs)
        decimator = TimelineDecimator(fs, options.timeline_hz)
        summary = SummaryAccumulator(GAP_FACTOR / fs, options.zones)
        timeline = _CsvOut(
            out_dir / "timeline.csv", "t,flexion_deg,lateral_deg,inclination_deg,posture", ""
        )
        orientation = _CsvOut(
            out_dir / "orientation.csv", "t,qw,qx,qy,qz", "%.6f,%.7f,%.7f,%.7f,%.7f"
        )
        steps = _CsvOut(out_dir / "steps.csv", "t", "%.4f")
        gaps = GapDetector(fs, QualitySettings(gap_factor=GAP_FACTOR))
        n_in = 0
        try:
            for chunk in reader:
                res = analyzer.update(chunk, gaps.update(chunk.t_s).after_gap)
                _write(res, decimator.update, timeline, orientation, steps, summary)
                n_in += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            res = analyzer.finish()
            _write(res, decimator.update, timeline, orientation, steps, summary)
            _write_timeline(timeline, decimator.finish())
        finally:
            for out in (timeline, orientation, steps):
                out.close()
        if n_in == 0:
            raise RecordingError(
                "the recording has no samples", where=str(path), advice="check the file"
            )
        result = summary.result()
        result["samples"] = n_in
        result["sample_rate_hz"] = fs
        result["mountings"] = [
            {
                "from_s": m.t_s,
                "source": m.mounting.source,
                "up_axis_sensor": [round(float(v), 4) for v in m.mounting.up],
                "forward_axis_sensor": [round(float(v), 4) for v in m.mounting.forward],
                "forward_confidence": round(m.mounting.forward_confidence, 3),
            }
            for m in analyzer.mountings
        ]
        result["recording"] = {"path": str(path), **reader.stats.as_dict()}
    (out_dir / "summary.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


def _write(
    res: AnalysisChunk,
    decimate: Callable[..., TimelineRows],
    timeline: _CsvOut,
    orientation: _CsvOut,
    steps: _CsvOut,
    summary: SummaryAccumulator,
) -> None:
    if len(res):
        orientation.write(res.t_s, *res.quat.T)
        _write_timeline(
            timeline,
            decimate(res.t_s, res.flexion_deg, res.lateral_deg, res.inclination_deg, res.posture),
        )
    steps.write(res.steps_t_s)
    summary.update(res.t_s, res.flexion_deg, res.posture, len(res.steps_t_s))


def _write_timeline(out: _CsvOut, rows: TimelineRows) -> None:
    labels = np.asarray(POSTURE_LABELS)[rows.posture.astype(np.int64)]
    out.write_text(
        [
            f"{t:.4f},{f:.2f},{lat:.2f},{inc:.2f},{p}"
            for t, f, lat, inc, p in zip(
                rows.t_s.tolist(),
                rows.flexion_deg.tolist(),
                rows.lateral_deg.tolist(),
                rows.inclination_deg.tolist(),
                labels.tolist(),
                strict=True,
            )
        ]
    )


def parse_window(text: str) -> tuple[float, float]:
    """``"START:END"`` in seconds → ``(start, end)``; ValueError (for argparse) if malformed."""
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError as exc:
        raise ValueError(f"expected START:END in seconds, got {text!r}") from exc
    if not (math.isfinite(a) and math.isfinite(b) and b > a):
        raise ValueError(f"calibration window {text!r} must have END > START")
    return a, b
