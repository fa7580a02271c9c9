"""Smooth motion primitives from which body trajectories are assembled.

Every primitive is at least twice continuously differentiable, so the
accelerometer (second derivative of position) never sees an artificial
spike where two primitives meet. Times are seconds, arrays shape (N,).

* a *move* changes one degree of freedom by ``delta`` along a minimum-jerk
  profile (zero velocity and acceleration at both ends);
* a *pulse* is a Hann-shaped acceleration burst that changes a velocity by
  ``delta_v`` (used for falls, where the body accelerates and is stopped hard);
* *sway* is a sum of sinusoids faded in and out by a smooth window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.types import FloatArray, IntArray

#: Degrees of freedom of the body pose: angles (rad) then hip-centre position (m).
FLEX, LAT, HEAD, PX, PY, PZ = range(6)
N_DOF = 6


def min_jerk(tau: FloatArray) -> FloatArray:
    """Minimum-jerk profile 0→1 of normalised time ``tau`` (clipped to [0, 1])."""
    x = np.clip(tau, 0.0, 1.0)
    result: FloatArray = x * x * x * (10.0 + x * (-15.0 + 6.0 * x))
    return result


def window(t: FloatArray, t0: float, t1: float, ramp_s: float) -> FloatArray:
    """1 inside [t0, t1], fading to 0 at both ends over ``ramp_s`` with minimum-jerk ramps."""
    ramp = max(min(ramp_s, 0.5 * (t1 - t0)), 1e-6)
    result: FloatArray = min_jerk((t - t0) / ramp) * min_jerk((t1 - t) / ramp)
    return result


@dataclass(frozen=True, slots=True)
class MoveSet:
    """Minimum-jerk moves, one row per move, all arrays shape (M,).

    Attributes:
        dof: degree of freedom index (FLEX … PZ).
        start_s: absolute start time, s.
        duration_s: duration, s (> 0).
        delta: change (rad for angles, m for positions).
    """

    dof: IntArray
    start_s: FloatArray
    duration_s: FloatArray
    delta: FloatArray

    def evaluate(self, t: FloatArray) -> FloatArray:
        """Sum of all moves at times ``t`` (N,), per degree of freedom, shape (N, 6)."""
        out = np.zeros((t.shape[0], N_DOF))
        if self.dof.shape[0] == 0 or t.shape[0] == 0:
            return out
        end = self.start_s + self.duration_s
        lo, hi = float(t.min()), float(t.max())
        done = end <= lo
        if done.any():
            out += np.bincount(self.dof[done], weights=self.delta[done], minlength=N_DOF)[None]
        # Only moves overlapping the query need the (N, M) evaluation.
        active = ~done & (self.start_s < hi)
        if active.any():
            tau = (t[:, None] - self.start_s[active][None]) / self.duration_s[active][None]
            contrib = min_jerk(tau) * self.delta[active][None]
            onehot = np.zeros((int(active.sum()), N_DOF))
            onehot[np.arange(onehot.shape[0]), self.dof[active]] = 1.0
            out += contrib @ onehot
        return out

    def total(self) -> FloatArray:
        """Net change per degree of freedom, shape (6,)."""
        return np.bincount(self.dof, weights=self.delta, minlength=N_DOF).astype(np.float64)


@dataclass(frozen=True, slots=True)
class PulseSet:
    """Hann acceleration pulses on position degrees of freedom, arrays shape (P,).

    A pulse starting at ``start_s`` lasting ``duration_s`` changes the velocity
    of its degree of freedom by ``delta_v_mps``; its acceleration is
    ``A (1 - cos(2 pi tau / T)) / 2`` with ``A = 2 delta_v / T``.
    """

    dof: IntArray
    start_s: FloatArray
    duration_s: FloatArray
    delta_v_mps: FloatArray

    def evaluate(self, t: FloatArray) -> FloatArray:
        """Displacement caused by all pulses at ``t`` (N,), shape (N, 6), m."""
        out = np.zeros((t.shape[0], N_DOF))
        if self.dof.shape[0] == 0 or t.shape[0] == 0:
            return out
        tau = t[:, None] - self.start_s[None]
        dur = self.duration_s[None]
        amp = 2.0 * self.delta_v_mps[None] / dur
        tc = np.clip(tau, 0.0, dur)
        k = dur / (2.0 * np.pi)
        inside = 0.5 * amp * (0.5 * tc * tc + k * k * (np.cos(tc / k) - 1.0))
        after = np.maximum(tau - dur, 0.0) * self.delta_v_mps[None]
        disp = inside + after
        onehot = np.zeros((self.dof.shape[0], N_DOF))
        onehot[np.arange(self.dof.shape[0]), self.dof] = 1.0
        result: FloatArray = disp @ onehot
        return result


@dataclass(frozen=True, slots=True)
class SwaySet:
    """Sinusoidal sway components, arrays shape (K,), faded by a window.

    Attributes:
        dof: degree of freedom index.
        amplitude: rad or m.
        freq_hz: frequency, Hz.
        phase_rad: phase, rad.
    """

    dof: IntArray
    amplitude: FloatArray
    freq_hz: FloatArray
    phase_rad: FloatArray

    def evaluate(self, t: FloatArray) -> FloatArray:
        """Sum of components at ``t`` (N,), shape (N, 6); the caller applies the window."""
        out = np.zeros((t.shape[0], N_DOF))
        if self.dof.shape[0] == 0 or t.shape[0] == 0:
            return out
        waves = np.sin(2.0 * np.pi * t[:, None] * self.freq_hz[None] + self.phase_rad[None])
        onehot = np.zeros((self.dof.shape[0], N_DOF))
        onehot[np.arange(self.dof.shape[0]), self.dof] = 1.0
        result: FloatArray = (waves * self.amplitude[None]) @ onehot
        return result

