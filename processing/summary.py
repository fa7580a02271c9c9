"""The day's summary, accumulated as results stream by.

Durations are sums of sample intervals; an interval longer than the gap
threshold is a gap and counts as no time at all, so a day with missing data
is never shown as a day of sitting or standing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from processing.profile import Zone
from processing.types import FloatArray, Posture


@dataclass(slots=True)
class SummaryAccumulator:
    """Streaming totals; :meth:`result` gives the summary so far."""

    max_interval_s: float
    zones: tuple[Zone, ...]
    first_t: float | None = None
    last_t: float | None = None
    posture_s: FloatArray = field(default_factory=lambda: np.zeros(len(Posture)))
    zone_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    steps: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)
    sitting_run_s: float = 0.0
    sitting_run_start: float | None = None
    longest_sitting_s: float = 0.0
    longest_sitting_start: float | None = None
    _prev_posture: int = -1

    def __post_init__(self) -> None:
        self.zone_s = np.zeros(len(self.zones))

    def update(
        self, t_s: FloatArray, flexion_deg: FloatArray, posture: np.ndarray, n_steps: int
    ) -> None:
        """Add results: times (N,) s, flexion (N,) °, posture codes (N,), and new steps."""
        self.steps += n_steps
        if len(t_s) == 0:
            return
        if self.first_t is None:
            self.first_t = float(t_s[0])
        prev_t = self.last_t if self.last_t is not None else float(t_s[0])
        dt = np.diff(np.concatenate([[prev_t], t_s]))
        gap = dt > self.max_interval_s
        for i in np.flatnonzero(gap):
            start = float(t_s[i - 1]) if i > 0 else prev_t
            self.gaps.append((start, float(t_s[i])))
        # Each sample stands for the interval that ends at it; gaps stand for nothing.
        w = np.where(gap, 0.0, dt)
        self.posture_s += np.bincount(posture.astype(np.int64), weights=w, minlength=len(Posture))
        worn = posture != Posture.NOT_WORN
        for k, z in enumerate(self.zones):
            sel = worn & (flexion_deg >= z.lo_deg) & (flexion_deg < z.hi_deg)
            self.zone_s[k] += float(w[sel].sum())
        self._sitting_bouts(t_s, posture, w, gap)
        self.last_t = float(t_s[-1])

    def _sitting_bouts(
        self, t: FloatArray, posture: np.ndarray, w: FloatArray, gap: np.ndarray
    ) -> None:
        sitting = posture == Posture.SITTING
        before = np.concatenate([[self._prev_posture == Posture.SITTING], sitting[:-1]])
        # A bout starts at a sitting sample after a non-sitting one, or after a gap.
        starts = sitting & (~before | gap)
        run_id = np.cumsum(starts)  # 0: the bout that was running when this chunk began
        contrib = np.where(sitting & ~starts, w, 0.0)
        totals = np.bincount(run_id[sitting], weights=contrib[sitting], minlength=run_id[-1] + 1)
        start_t = {0: self.sitting_run_start}
        start_t.update({k + 1: float(t[i]) for k, i in enumerate(np.flatnonzero(starts))})
        totals[0] += self.sitting_run_s if self.sitting_run_start is not None else 0.0
        for k in np.unique(run_id[sitting]):
            if totals[k] > self.longest_sitting_s:
                self.longest_sitting_s = float(totals[k])
                self.longest_sitting_start = start_t[int(k)]
        if sitting[-1]:
            self.sitting_run_s = float(totals[run_id[-1]])
            self.sitting_run_start = start_t[int(run_id[-1])]
        else:
            self.sitting_run_s, self.sitting_run_start = 0.0, None
        self._prev_posture = int(posture[-1])

    def result(self) -> dict[str, Any]:
        """The summary as plain data (seconds unless the name says otherwise)."""
        duration = (
            0.0 if self.first_t is None or self.last_t is None else self.last_t - self.first_t
        )
        measured = float(self.posture_s.sum())
        not_worn = float(self.posture_s[Posture.NOT_WORN])
        return {
            "start_s": self.first_t,
            "end_s": self.last_t,
            "duration_s": round(duration, 3),
            "measured_s": round(measured, 3),
            "gap_s": round(duration - measured, 3),
            "gaps": [{"start_s": a, "end_s": b} for a, b in self.gaps],
            "wear_s": round(measured - not_worn, 3),
            "posture_s": {p.label: round(float(self.posture_s[p]), 3) for p in Posture},
            "flexion_zone_s": {
                z.name: round(float(s), 3) for z, s in zip(self.zones, self.zone_s, strict=True)
            },
            "flexion_zones_deg": {
                z.name: [_finite(z.lo_deg), _finite(z.hi_deg)] for z in self.zones
            },
            "steps": self.steps,
            "walking_s": round(float(self.posture_s[Posture.WALKING]), 3),
            "longest_sitting_bout_s": round(self.longest_sitting_s, 3),
            "longest_sitting_bout_start_s": self.longest_sitting_start,
        }


def _finite(x: float) -> float | None:
    """JSON has no infinity: an open end of a zone is null."""
    return x if np.isfinite(x) else None
