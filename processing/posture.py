"""Posture and activity per sample: lying, sitting, standing, walking, other, not worn.

A lumbar sensor sees the pelvis. Lying puts the trunk near horizontal;
sitting tilts the pelvis backward (posterior tilt, 10–30° in the HAPT
recordings and in the literature), standing keeps it near the upright
reference found while walking; bending and transitions move it fast or far
forward. Non-wear is a sensor that stops moving altogether for a long time.

Decisions with memory (hysteresis, the non-wear run) carry their state
between chunks, so streaming equals offline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.feature_kernel import latch_pass, run_length_pass
from processing.settings import PostureSettings
from processing.types import BoolArray, FloatArray, Posture


@dataclass(slots=True)
class PostureState:
    """What the classifier remembers between chunks."""

    sitting: bool = False


def hysteresis(enter: BoolArray, leave: BoolArray, state: bool) -> tuple[BoolArray, bool]:
    """A latch per sample: on at ``enter``, off at ``leave``, else as before.

    Args:
        enter, leave: conditions per sample, shape (N,); ``enter`` wins where both hold.
        state: the latch before the first sample.

    Returns:
        The latch per sample, shape (N,), and its final value.
    """
    out = np.empty(len(enter), dtype=bool)
    last = latch_pass(
        np.ascontiguousarray(enter, dtype=bool),
        np.ascontiguousarray(leave, dtype=bool),
        bool(state),
        out,
    )
    return out, bool(last)


class LyingLatch:
    """Lying, as the samples arrive: it needs no walking status, so alerts need not wait for it.

    Face down, lying starts once the trunk has stayed there ``lying_min_s`` (a deep
    bend does not); on the back or the side at once. It ends when the trunk comes back up.
    """

    def __init__(self, settings: PostureSettings, sample_rate_hz: float) -> None:
        self.settings = settings
        self.lying = False
        self.face_down_samples = 0
        self._lying_samples = max(1, round(settings.lying_min_s * sample_rate_hz))

    def update(self, flexion_deg: FloatArray, inclination_deg: FloatArray) -> BoolArray:
        """Lying per sample, shape (N,), from flexion and inclination (N,) in degrees."""
        s = self.settings
        inclined = inclination_deg > s.lying_enter_deg
        face_down = inclined & (flexion_deg > s.lying_exit_deg)
        run = _run_lengths(face_down, self.face_down_samples)
        self.face_down_samples = int(run[-1]) if len(run) else self.face_down_samples
        enter = (inclined & ~face_down) | (run >= self._lying_samples)
        lying, self.lying = hysteresis(enter, inclination_deg < s.lying_exit_deg, self.lying)
        return lying


class PostureClassifier:
    """Streaming posture classification at a fixed sample rate.

    Non-wear (:func:`not_worn`) and lying (:class:`LyingLatch`) are decided upstream,
    as samples arrive, and passed in.
    """

    def __init__(self, settings: PostureSettings, sample_rate_hz: float) -> None:
        self.settings = settings
        self.state = PostureState()

    def update(
        self,
        flexion_deg: FloatArray,
        inclination_deg: FloatArray,
        tilt_rads: FloatArray,
        walking: BoolArray,
        not_worn: BoolArray,
        lying: BoolArray,
    ) -> np.ndarray:
        """Posture codes (int8 values of :class:`Posture`), shape (N,); inputs are shape (N,)."""
        s = self.settings
        st = self.state
        sitting, st.sitting = hysteresis(
            flexion_deg < -s.sitting_enter_deg, flexion_deg > -s.sitting_exit_deg, st.sitting
        )
        out = np.full(len(flexion_deg), Posture.STANDING, dtype=np.int8)
        out[sitting] = Posture.SITTING
        inclined = inclination_deg > s.lying_enter_deg
        moving = (tilt_rads > s.dynamic_rads) | (flexion_deg > s.bend_deg) | inclined
        out[moving] = Posture.OTHER
        out[walking] = Posture.WALKING
        out[lying] = Posture.LYING
        out[not_worn] = Posture.NOT_WORN
        return out


def not_worn(
    motion_rads: FloatArray, carry: int, settings: PostureSettings, rate_hz: float
) -> tuple[BoolArray, np.ndarray]:
    """Samples after ``nonwear_min_s`` of stillness, and the stillness run per sample.

    ``carry`` is the run length before the first sample (the last value returned before).
    """
    run = _run_lengths(motion_rads < settings.nonwear_motion_rads, carry)
    flags: BoolArray = run >= round(settings.nonwear_min_s * rate_hz)
    return flags, run


def _run_lengths(flag: BoolArray, carry: int) -> np.ndarray:
    """Length of the run of True ending at each sample (0 where False), continuing ``carry``."""
    out = np.empty(len(flag), dtype=np.int64)
    run_length_pass(np.ascontiguousarray(flag, dtype=bool), int(carry), out)
    return out


# Getting down onto the hands and knees (or prone) and up again, seen in the flexion alone.
# A trunk horizontal face down is a deep bend until LyingLatch has seen it stay there
# ``lying_min_s``; by then it came to rest seconds ago. RestEdges says when, looking back.
REST_LOOKBACK_S = 12.0  # how far back to look, s: more than lying_min_s and the way down
REST_RATE_WINDOW_S = 0.1  # flexion rate over this window, s (one sample is too noisy)
REST_RATE_DPS = 5.0  # slower than this, the trunk is still, °/s
REST_BAND_DEG = 10.0  # a rest this far past a bend's end is well down, °


class RestEdges:
    """Dates of bends that lying face down cuts short or starts, from the flexion alone.

    A bend cut by lying (getting down to the floor) ended when the trunk came to rest
    there, not when lying was decided. A bend that starts as lying ends, the flexion still
    past the limit, began when the trunk started to rise. Without the pelvis height
    (kneeling drops it ~0.4 m, a stoop a few cm) a deep stoop held still is read the same
    way: its bend ends where it came to rest (an alert already out stands), and a hold
    longer than ``lying_min_s`` is never reached. Keeps the last ``REST_LOOKBACK_S``
    between chunks, so streaming equals offline.
    """

    def __init__(self, rate_hz: float) -> None:
        self._t = np.empty(0)
        self._f = np.empty(0)
        self._g = np.empty(0, dtype=bool)
        self._prev = (False, False, False)  # bend latch, bend run, lying at the last sample
        self._w = max(1, round(REST_RATE_WINDOW_S * rate_hz))
        self._keep = max(self._w + 1, round(REST_LOOKBACK_S * rate_hz))

    def update(
        self,
        t_s: FloatArray,
        flexion_deg: FloatArray,
        bend: BoolArray,
        run: BoolArray,
        lying: BoolArray,
        gap: BoolArray,
        floor_deg: float,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Feed N samples (all shape (N,)): times s, flexion degrees, the bend latch, the
        bend's run (latch and eligible), lying, gaps; ``floor_deg`` ends a bend, degrees.

        Returns:
            ``start_s``: where a run starts as lying ends, when the trunk began to rise
            (the last sample not falling faster than ``REST_RATE_DPS``), else the sample's
            time; ``from_deg``: the flexion there, degrees, else NaN; ``end_s``: where lying
            cuts a run, when the trunk came to rest (the first sample since it was last
            under ``floor_deg``, at least ``REST_BAND_DEG`` past it and slower than
            ``REST_RATE_DPS``), else NaN; ``to_deg``: the largest flexion up to then,
            degrees, NaN unless the look-back holds the whole bend. All shape (N,), s.
        """
        prev_bend, prev_run, prev_lying = (
            np.concatenate([[x], y[:-1]])
            for x, y in zip(self._prev, (bend, run, lying), strict=True)
        )
        self._prev = (bool(bend[-1]), bool(run[-1]), bool(lying[-1]))
        cut = np.flatnonzero(bend & lying & prev_run & ~gap)
        risen = np.flatnonzero(run & prev_bend & prev_lying & ~gap)
        n0 = len(self._t)
        t = np.concatenate([self._t, t_s])
        f = np.concatenate([self._f, flexion_deg])
        g = np.concatenate([self._g, gap])
        self._t, self._f, self._g = t[-self._keep :], f[-self._keep :], g[-self._keep :]
        start_s = t_s.copy()
        from_deg = np.full(len(t_s), np.nan)
        end_s = np.full(len(t_s), np.nan)
        to_deg = np.full(len(t_s), np.nan)
        if len(cut) == 0 and len(risen) == 0:
            return start_s, from_deg, end_s, to_deg
        gaps = np.flatnonzero(g)  # nothing before a gap belongs to the same movement
        w = self._w
        rate = np.zeros(len(t))
        rate[w:] = (f[w:] - f[:-w]) / np.maximum(t[w:] - t[:-w], 1e-9)
        for j in cut:
            lo = int(gaps[gaps <= n0 + j].max(initial=0))
            under = lo + np.flatnonzero(f[lo : n0 + j] < floor_deg)
            there = np.arange(int(under[-1]) + 1 if len(under) else lo, n0 + j)
            # The first stop well down: not an earlier bend, nor kneeling before the hands
            # go down to the floor.
            there = there[f[there] >= floor_deg + REST_BAND_DEG]
            there = there[np.abs(rate[there]) < REST_RATE_DPS]
            if len(there):
                end_s[j] = t[there[0]]
                if len(under):
                    to_deg[j] = float(np.max(f[int(under[-1]) : there[0] + 1]))
        for j in risen:
            lo = max(int(gaps[gaps <= n0 + j].max(initial=0)), w)
            steady = lo + np.flatnonzero(rate[lo : n0 + j] >= -REST_RATE_DPS)
            if len(steady):
                start_s[j], from_deg[j] = t[steady[-1]], f[steady[-1]]
        return start_s, from_deg, end_s, to_deg
