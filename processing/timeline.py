"""Reduce per-sample results to a timeline at a lower rate, in blocks of whole samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.types import FloatArray


@dataclass(frozen=True, slots=True)
class TimelineRows:
    """Timeline rows: block start times (s), mean angles (°), the block's first posture code."""

    t_s: FloatArray
    flexion_deg: FloatArray
    lateral_deg: FloatArray
    inclination_deg: FloatArray
    posture: np.ndarray


class TimelineDecimator:
    """Streaming block averaging: one row per ``block`` input samples (1 = every sample).

    Blocks are counted from the first sample of the stream, so any chunking
    gives the same rows; a partial block waits for the next chunk or ``finish``.
    """

    def __init__(self, sample_rate_hz: float, timeline_hz: float) -> None:
        self.block = 1 if timeline_hz <= 0 else max(1, round(sample_rate_hz / timeline_hz))
        self._carry: list[np.ndarray] | None = None

    def update(
        self,
        t_s: FloatArray,
        flexion_deg: FloatArray,
        lateral_deg: FloatArray,
        inclination_deg: FloatArray,
        posture: np.ndarray,
    ) -> TimelineRows:
        cols = [t_s, flexion_deg, lateral_deg, inclination_deg, posture]
        if self._carry is not None:
            cols = [np.concatenate([c0, c]) for c0, c in zip(self._carry, cols, strict=True)]
        n_full = (len(cols[0]) // self.block) * self.block
        self._carry = [c[n_full:] for c in cols]
        return self._rows([c[:n_full] for c in cols])

    def finish(self) -> TimelineRows:
        cols = self._carry or [np.empty(0)] * 4 + [np.empty(0, dtype=np.int8)]
        self._carry = None
        n = len(cols[0])
        if n == 0:
            return self._rows(cols)
        # The last, partial block becomes one row of its own.
        return TimelineRows(
            cols[0][:1],
            cols[1].mean(keepdims=True),
            cols[2].mean(keepdims=True),
            cols[3].mean(keepdims=True),
            cols[4][:1],
        )

    def _rows(self, cols: list[np.ndarray]) -> TimelineRows:
        b = self.block
        if b == 1:
            return TimelineRows(*cols)
        t, f, lat, inc, p = cols
        return TimelineRows(
            t[::b],
            f.reshape(-1, b).mean(axis=1),
            lat.reshape(-1, b).mean(axis=1),
            inc.reshape(-1, b).mean(axis=1),
            p[::b],
        )
