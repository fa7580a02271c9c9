"""The patient's own upright of the moment: how their quiet standing reads right now.

The upright reference (:mod:`processing.reference`) is one posture for the whole
day, but people do not stand the same way all day: tired, or carrying, or after an
hour bent over a sink, quiet standing can read a few degrees off it. Thresholds of a
few degrees (leaning out of upright, :mod:`processing.lifts`) then never see the
trunk come back, and separate movements merge. This tracks the flexion and side bend
of recent quiet standing with an exponential average over standing samples only, and
holds it through everything else (a lean, walking, sitting), so that a lean can be
measured from where this standing spell started.

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

from processing.types import BoolArray, FloatArray

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
        alpha = 1.0 - math.exp(-1.0 / max(rate_hz * tau_s, 1.0))
        self._b = np.array([alpha])
        self._a = np.array([1.0, alpha - 1.0])
        self._zi: FloatArray | None = None  # filter state for (flexion, lateral); None: none yet
        self._last = np.zeros(2)  # before any standing: the day's reference upright
        self._settle_n = max(1, round(STANCE_SETTLE_S * rate_hz))
        self._quiet_n = 0  # length of the quiet run at the end of the data so far, samples

    def lean_deg(
        self, flexion_deg: FloatArray, lateral_deg: FloatArray, inclination: FloatArray,
        quiet: BoolArray, forget: BoolArray, from_deg: float,
    ) -> FloatArray:  # fmt: skip
        """How far the trunk leans, degrees (N,): the smaller of its ``inclination`` from the
        day's upright (degrees, (N,)) and its inclination from the standing of the moment.

        Only where the inclination is ``from_deg`` or more: under it the smaller is under it
        too, and callers compare leans with thresholds no lower than it (this saves two
        cosines and an arc cosine on most of a day). Other arguments as :meth:`update`.
        """
        base_flex, base_lat = self.update(flexion_deg, lateral_deg, quiet, forget)
        out = inclination.copy()
        idx = np.flatnonzero(inclination >= from_deg)
        rel = inclination_deg(flexion_deg[idx] - base_flex[idx], lateral_deg[idx] - base_lat[idx])
        out[idx] = np.minimum(inclination[idx], rel)
        return out

    def update(
        self, flexion_deg: FloatArray, lateral_deg: FloatArray, quiet: BoolArray,
        forget: BoolArray,
    ) -> tuple[FloatArray, FloatArray]:  # fmt: skip
        """Baseline flexion and side bend (degrees, each shape (N,)) at each of N samples,
        from the samples where ``quiet`` (N,) holds since the last one where ``forget`` (N,)
        did, this one included."""
        cuts = np.flatnonzero(forget)
        if len(cuts) == 0:
            return self._run(flexion_deg, lateral_deg, quiet)
        bounds = [0, *np.flatnonzero(np.diff(forget.astype(np.int8)) != 0) + 1, len(forget)]
        flex_parts: list[FloatArray] = []
        lat_parts: list[FloatArray] = []
        for a, b in itertools.pairwise(bounds):
            if forget[a]:
                self._zi, self._last, self._quiet_n = None, np.zeros(2), 0
                flex_parts.append(np.zeros(b - a))
                lat_parts.append(np.zeros(b - a))
            else:
                f, lat = self._run(flexion_deg[a:b], lateral_deg[a:b], quiet[a:b])
                flex_parts.append(f)
                lat_parts.append(lat)
        return np.concatenate(flex_parts), np.concatenate(lat_parts)

    def _run(
        self, flexion_deg: FloatArray, lateral_deg: FloatArray, quiet: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        n = len(flexion_deg)
        settled = self._settled(quiet)
        idx = np.flatnonzero(settled)
        if len(idx) == 0:
            return np.full(n, self._last[0]), np.full(n, self._last[1])
        x = np.stack([flexion_deg[idx], lateral_deg[idx]])  # (2, K)
        if self._zi is None:
            # Start at the first standing sample, not at zero: no ramp from the reference.
            self._zi = lfilter_zi(self._b, self._a)[0] * x[:, :1]
        y, self._zi = lfilter(self._b, self._a, x, axis=1, zi=self._zi)
        # Each sample takes the average at the last quiet sample up to it (its rank in idx).
        pos = np.cumsum(settled) - 1
        out = np.where(pos >= 0, y[:, np.maximum(pos, 0)], self._last[:, None])
        self._last = y[:, -1].copy()
        return out[0], out[1]

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
