"""The patient's own upright of the moment: how their quiet standing reads right now.

The upright reference (:mod:`processing.reference`) is one posture for the whole
day, but people do not stand the same way all day: tired, or carrying, or after an
hour bent over a sink, quiet standing can read a few degrees off it. Thresholds of a
few degrees (leaning out of upright, :mod:`processing.lifts`) then never see the
trunk come back, and separate movements merge. This tracks the flexion and side bend
of recent quiet standing with an exponential average over standing samples only, and
holds it through a lean or walking, so that a lean can be measured from where this
standing spell started.

Sitting, lying, taking the sensor off and gaps forget it (back to the reference):
upright sitting can read like standing, and a lean out of a chair must not be
measured from the chair.
"""

from __future__ import annotations

import itertools
import math
from typing import Final

import numpy as np
from scipy.signal import lfilter, lfilter_zi

from processing.types import BoolArray, FloatArray, IntArray
from spinewatch.errors import InputDataError

# Averaging time of the standing angles, s: long against sway, short against a day.
STANCE_TAU_S: Final = 2.0
# Standing counts once it has lasted this long, s: a transition passing through upright
# (getting up from a bed, sitting down) can read as standing for a few samples.
STANCE_SETTLE_S: Final = 1.0


class StandingBaseline:
    """Streaming average of flexion and side bend over quiet standing samples.

    Args:
        rate_hz: sample rate, Hz (the average counts samples, so gaps do not age it).
        tau_s: averaging time, s.
    """

    def __init__(self, rate_hz: float, tau_s: float = STANCE_TAU_S) -> None:
        if not (rate_hz > 0 and tau_s > 0):
            raise InputDataError("rate_hz and tau_s must be positive", value=(rate_hz, tau_s))
        alpha = 1.0 - math.exp(-1.0 / max(rate_hz * tau_s, 1.0))
        self._b = np.array([alpha])
        self._a = np.array([1.0, alpha - 1.0])
        self._zi: FloatArray | None = None  # filter state for (flexion, lateral); None: none yet
        self._last = np.zeros(2)  # before any standing: the day's reference upright
        self._settle_n = max(1, round(STANCE_SETTLE_S * rate_hz))
        self._quiet_n = 0  # length of the quiet run at the end of the data so far, samples

    def lean_deg(
        self, flexion_deg: FloatArray, lateral_deg: FloatArray, inclination: FloatArray,
        quiet: BoolArray, forget: BoolArray, from_deg: float, to_deg: float,
    ) -> FloatArray:  # fmt: skip
        """How far the trunk leans, degrees (N,): the smaller of its ``inclination`` from the
        day's upright (degrees, (N,)) and its inclination from the standing of the moment.

        Worked out only where the inclination is from ``from_deg`` up to ``to_deg`` (this
        saves two cosines and an arc cosine on most of a day): under it the smaller is under
        it too, and past it both are past ``to_deg`` less the standing's own inclination,
        which is under the ``quiet`` samples' largest. Callers compare leans with thresholds
        in between. Other arguments as :meth:`update`.
        """
        out = inclination.copy()
        idx = np.flatnonzero((inclination >= from_deg) & (inclination < to_deg))
        base_flex, base_lat = self.update(flexion_deg, lateral_deg, quiet, forget, idx)
        rel = inclination_deg(flexion_deg[idx] - base_flex, lateral_deg[idx] - base_lat)
        out[idx] = np.minimum(inclination[idx], rel)
        return out

    def update(
        self, flexion_deg: FloatArray, lateral_deg: FloatArray, quiet: BoolArray,
        forget: BoolArray, at: IntArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:  # fmt: skip
        """Baseline flexion and side bend (degrees, each shape (M,)) at the samples ``at``
        (M indices into the N, increasing; default all), from the samples where ``quiet``
        (N,) holds since the last one where ``forget`` (N,) did, that one included."""
        n = len(flexion_deg)
        at = np.arange(n) if at is None else at
        out = np.zeros((2, len(at)))
        bounds = [0, n]
        if forget.any():
            bounds = [0, *(np.flatnonzero(np.diff(forget.astype(np.int8)) != 0) + 1), n]
        for a, b in itertools.pairwise(bounds):
            lo, hi = (int(k) for k in np.searchsorted(at, [a, b]))
            if forget[a]:
                self._zi, self._last, self._quiet_n = None, np.zeros(2), 0
            else:
                part = self._run(flexion_deg[a:b], lateral_deg[a:b], quiet[a:b], at[lo:hi] - a)
                out[:, lo:hi] = part
        return out[0], out[1]

    def _run(
        self, flexion_deg: FloatArray, lateral_deg: FloatArray, quiet: BoolArray, at: IntArray
    ) -> FloatArray:
        """Baseline (flexion, side bend) at samples ``at`` of a stretch with no forgetting,
        degrees, shape (2, M)."""
        settled = self._settled(quiet)
        idx = np.flatnonzero(settled)
        if len(idx) == 0:
            return np.repeat(self._last[:, None], len(at), axis=1)
        x = np.stack([flexion_deg[idx], lateral_deg[idx]])  # (2, K)
        if self._zi is None:
            # Start at the first standing sample, not at zero: no ramp from the reference.
            self._zi = lfilter_zi(self._b, self._a)[0] * x[:, :1]
        y, self._zi = lfilter(self._b, self._a, x, axis=1, zi=self._zi)
        # Each sample takes the average at the last quiet sample up to it (its rank in idx).
        pos = np.cumsum(settled)[at] - 1
        out: FloatArray = np.where(pos >= 0, y[:, np.maximum(pos, 0)], self._last[:, None])
        self._last = y[:, -1].copy()
        return out

    def _settled(self, quiet: BoolArray) -> BoolArray:
        """Quiet samples (N,) whose quiet run has lasted ``STANCE_SETTLE_S`` by then."""
        n = len(quiet)
        if n == 0:
            return quiet
        pos = np.arange(n)
        last_break = np.maximum.accumulate(np.where(quiet, -1, pos))
        run = np.where(last_break < 0, pos + 1 + self._quiet_n, pos - last_break)
        run = np.where(quiet, run, 0)
        self._quiet_n = int(run[-1])
        settled: BoolArray = run >= self._settle_n
        return settled


def inclination_deg(flexion_deg: FloatArray, lateral_deg: FloatArray) -> FloatArray:
    """Angle of the trunk from upright, degrees (N,): cos i = cos f · cos l."""
    c = np.cos(np.radians(flexion_deg)) * np.cos(np.radians(lateral_deg))
    out: FloatArray = np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))
    return out
