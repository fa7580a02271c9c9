"""Exercise outputs of ``spinewatch analyze``: ``reps.csv``, ``reps_detail.csv`` and adherence.

The recognition itself is :mod:`processing.exercise`; this module only feeds it
the analyser's results and writes files. Use :class:`ExerciseOutputs` around the
analyser (``analyzer = outputs.wrap(analyzer)``) and put :meth:`ExerciseOutputs.summary`
in ``summary.json``; or call :func:`write_exercise_outputs` with sets found otherwise.

Files (times in the recording's seconds):

* ``reps.csv``: ``exercise,start,end,reps,mean_range_deg,tempo_s,mean_hold_s,
  prescribed_reps,prescribed_hold_s`` — one row per set; ``reps`` counts holds for hold
  exercises (bird-dog); ``tempo_s`` is the time from one rep's start to the next; the
  prescribed columns are empty when the exercise has no such prescription.
* ``reps_detail.csv``: ``exercise,set,rep,start,end,duration_s,range_deg,hold_s,wobble_deg,
  partial`` — one row per rep.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from processing.adherence import adherence
from processing.exercise import ExerciseRecognizer, canonical_name, final_sets
from processing.exercise_types import ExerciseSet, Prescribed
from processing.results import AnalysisChunk
from processing.types import BoolArray, ImuSamples

__all__ = [
    "REPS_DETAIL_FILE",
    "REPS_FILE",
    "ExerciseOutputs",
    "Prescribed",
    "prescribed_from_settings",
    "write_exercise_outputs",
]

REPS_FILE = "reps.csv"
REPS_DETAIL_FILE = "reps_detail.csv"


class _PrescriptionLike(Protocol):
    # Read-only, so that frozen settings (spinewatch.settings.ExercisePrescription) match.
    @property
    def exercise(self) -> str: ...
    @property
    def sets(self) -> int: ...
    @property
    def reps(self) -> int | None: ...
    @property
    def hold_s(self) -> float | None: ...
    @property
    def days_per_week(self) -> int: ...


def prescribed_from_settings(items: Iterable[_PrescriptionLike]) -> tuple[Prescribed, ...]:
    """``PatientSettings.prescription`` as the processing side's :class:`Prescribed` items."""
    return tuple(
        Prescribed(str(p.exercise), p.sets, p.reps, p.hold_s, p.days_per_week) for p in items
    )


class _Tee:
    """Passes every call to the analyser and shows its results to the recogniser."""

    def __init__(self, inner: Any, outputs: ExerciseOutputs) -> None:
        self._inner = inner
        self._outputs = outputs

    def update(self, samples: ImuSamples, gap_before: BoolArray | None = None) -> AnalysisChunk:
        res: AnalysisChunk = self._inner.update(samples, gap_before)
        self._outputs.update(res)
        return res

    def finish(self) -> AnalysisChunk:
        res: AnalysisChunk = self._inner.finish()
        self._outputs.update(res)
        self._outputs.finish()
        return res

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class ExerciseOutputs:
    """Recognises exercise sets in an analysis stream and writes the exercise files.

    Args:
        out_dir: the analysis folder.
        sample_rate_hz: nominal sample rate of the analysed stream, Hz.
        prescription: the patient's programme (None or empty: every known exercise is
            recognised and no adherence is computed).
        day_start_s: where day 0 starts on the recording's clock, s (for adherence).
    """

    def __init__(
        self,
        out_dir: Path,
        sample_rate_hz: float,
        prescription: Sequence[Prescribed] | None = None,
        day_start_s: float = 0.0,
    ) -> None:
        self.out_dir = out_dir
        self.prescription = tuple(prescription or ())
        self.day_start_s = day_start_s
        self._rec = ExerciseRecognizer(sample_rate_hz, self.prescription or None)
        self._reports: list[ExerciseSet] = []
        self._span: list[float] = []
        self._summary: dict[str, Any] = {}

    def wrap(self, analyzer: Any) -> Any:
        """The analyser, with its results also fed to the recogniser (same interface)."""
        return _Tee(analyzer, self)

    def update(self, res: AnalysisChunk) -> None:
        if len(res):
            if not self._span:
                self._span.append(float(res.t_s[0]))
            self._span[1:] = [float(res.t_s[-1])]
        self._reports += self._rec.update(res)

    def finish(self) -> None:
        """Close open sets and write the files."""
        self._reports += self._rec.finish()
        span = (self._span[0], self._span[-1]) if self._span else None
        self._summary = write_exercise_outputs(
            self.out_dir, final_sets(self._reports), self.prescription, span, self.day_start_s
        )

    def summary(self) -> dict[str, Any]:
        """The ``exercises`` entry of ``summary.json`` (after the stream finished)."""
        return self._summary


def write_exercise_outputs(
    out_dir: Path,
    sets: Sequence[ExerciseSet],
    prescription: Sequence[Prescribed] = (),
    span_s: tuple[float, float] | None = None,
    day_start_s: float = 0.0,
) -> dict[str, Any]:
    """Write ``reps.csv`` and ``reps_detail.csv``; returns the summary entry.

    The entry has ``sets`` (count per exercise), ``reps`` (per exercise) and, with a
    prescription, ``adherence`` (see :func:`processing.adherence.adherence`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = {canonical_name(p.exercise): p for p in prescription}
    with open(out_dir / REPS_FILE, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            [
                "exercise",
                "start",
                "end",
                "reps",
                "mean_range_deg",
                "tempo_s",
                "mean_hold_s",
                "prescribed_reps",
                "prescribed_hold_s",
            ]
        )
        for s in sets:
            p = wanted.get(s.exercise)
            hold = sum(r.hold_s for r in s.reps) / max(1, s.rep_count)
            w.writerow(
                [
                    s.exercise,
                    f"{s.start_s:.2f}",
                    f"{s.end_s:.2f}",
                    s.rep_count,
                    f"{s.mean_range_deg:.1f}",
                    f"{s.tempo_s:.2f}",
                    f"{hold:.1f}",
                    "" if p is None or p.reps is None else p.reps,
                    "" if p is None or p.hold_s is None else f"{p.hold_s:g}",
                ]
            )
    with open(out_dir / REPS_DETAIL_FILE, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            [
                "exercise",
                "set",
                "rep",
                "start",
                "end",
                "duration_s",
                "range_deg",
                "hold_s",
                "wobble_deg",
                "partial",
            ]
        )
        for i, s in enumerate(sets):
            for j, r in enumerate(s.reps):
                w.writerow(
                    [
                        s.exercise,
                        i,
                        j,
                        f"{r.start_s:.2f}",
                        f"{r.end_s:.2f}",
                        f"{r.duration_s:.2f}",
                        f"{r.range_deg:.1f}",
                        f"{r.hold_s:.1f}",
                        f"{r.wobble_deg:.2f}",
                        int(r.partial),
                    ]
                )
    counts: dict[str, int] = {}
    reps: dict[str, int] = {}
    for s in sets:
        counts[s.exercise] = counts.get(s.exercise, 0) + 1
        reps[s.exercise] = reps.get(s.exercise, 0) + s.rep_count
    entry: dict[str, Any] = {"sets": counts, "reps": reps}
    if prescription:
        entry["adherence"] = adherence(sets, prescription, day_start_s, span_s)
    return entry
