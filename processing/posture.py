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
