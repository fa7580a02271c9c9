"""Walking and stair climbing: an inverted-pendulum model of the pelvis.

The gait phase ``phi`` counts steps: it is an integer at each foot contact
(even: left foot, odd: right foot) and is a C2 cubic spline through the
contact times, so step-to-step variability never makes the signals jump.
Around a smooth base path (speed ramped up and down, heading following the
scripted turns) the hip centre
* rises and falls once per step, highest at mid-stance (``phi = k + 1/2``),
* surges forward and back once per step, slowest at mid-stance,
* sways towards the stance leg once per stride,
* dips briefly after each heel strike (the impact transient),
while the pelvis tilts (step frequency), drops on the swing side (obliquity)
and rotates (stride frequency) by a few degrees, with a slight forward lean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline, PPoly

from processing.types import FloatArray, Posture
from simulator.kinematics import FLEX, HEAD, LAT, N_DOF, MoveSet, window
from simulator.segments import Segment

#: Internal grid for integrating the base path, s. The path is slow, 50 Hz is ample.
_PATH_DT_S = 0.02
#: Heel-strike transient: delay after contact and width of the Gaussian dip, s.
_IMPACT_DELAY_S = 0.03
_IMPACT_SIGMA_S = 0.025


def step_frequency_for_speed(speed_mps: float) -> float:
    """Typical step frequency (Hz) at a walking speed: 1.4 Hz at 0.4 m/s to 2.0 Hz at 1.6 m/s."""
    return float(np.clip(1.4 + 0.5 * (speed_mps - 0.4), 1.2, 2.3))


@dataclass(frozen=True, slots=True)
class GaitParams:
    """Parameters of one walking bout.

    Attributes:
        speed_mps: mean walking speed along the path, m/s.
        step_frequency_hz: mean step frequency, Hz.
        step_cv: coefficient of variation of step durations (e.g. 0.03).
        lean_rad: mean forward lean of the pelvis while walking, rad.
        tilt_amp_rad: sagittal pelvic tilt oscillation at step frequency, rad.
        obliquity_amp_rad: pelvic obliquity oscillation at stride frequency, rad.
        rotation_amp_rad: pelvic axial rotation at stride frequency, rad.
        vertical_amp_m: vertical oscillation amplitude of the hip centre, m.
        lateral_amp_m: mediolateral sway amplitude, m.
        surge_frac: forward speed modulation as a fraction of the speed.
        impact_m: depth of the heel-strike dip, m.
        climb_per_m: vertical rise per metre of path (stairs: +-rise/tread), m/m.
        ramp_s: time to reach full speed at the start and to stop at the end, s.
    """

    speed_mps: float
    step_frequency_hz: float
    step_cv: float
    lean_rad: float
    tilt_amp_rad: float
    obliquity_amp_rad: float
    rotation_amp_rad: float
    vertical_amp_m: float
    lateral_amp_m: float
    surge_frac: float
    impact_m: float
    climb_per_m: float = 0.0
    ramp_s: float = 1.0


def default_gait(speed_mps: float, rng: np.random.Generator,
                 step_frequency_hz: float | None = None) -> GaitParams:
    """Gait parameters for a walking speed, with person-to-person variation."""
    f = step_frequency_for_speed(speed_mps) if step_frequency_hz is None else step_frequency_hz
    jit = rng.uniform(0.85, 1.15, size=6)
    return GaitParams(
        speed_mps=speed_mps,
        step_frequency_hz=f,
        step_cv=float(rng.uniform(0.02, 0.04)),
        lean_rad=np.deg2rad(2.0 + 2.0 * jit[0]),
        tilt_amp_rad=np.deg2rad(1.5 * jit[1]),
        obliquity_amp_rad=np.deg2rad(3.0 * jit[2]),
        rotation_amp_rad=np.deg2rad((2.5 + 2.5 * min(speed_mps, 1.6)) * jit[3]),
        vertical_amp_m=(0.006 + 0.014 * speed_mps) * jit[4],
        lateral_amp_m=0.022 * jit[5],
        surge_frac=0.1,
        impact_m=0.0012 * (0.3 + speed_mps),
    )


class WalkingSegment(Segment):
    """A walking (or stair) bout starting and ending standing still.

    Args:
        t0_s: start time, s.
        duration_s: bout duration including the speed ramps, s.
        start_pose: standing pose at the start, shape (6,).
        gait: gait parameters.
        turns: heading changes along the way as a MoveSet on the heading DOF
            (absolute times), so the base path turns smoothly.
        rng: random generator for step-to-step variability.
    """

    def __init__(self, t0_s: float, duration_s: float, start_pose: FloatArray, gait: GaitParams,
                 turns: MoveSet, rng: np.random.Generator) -> None:
        t1_s = t0_s + duration_s
        super().__init__(t0_s, t1_s, np.array([t0_s]),
                         np.array([int(Posture.WALKING)], dtype=np.int8))
        self.start_pose = np.array(start_pose, dtype=np.float64)
        self.gait = gait
        self.turns = turns
        self.ramp_s = min(gait.ramp_s, 0.4 * duration_s)
        period = 1.0 / gait.step_frequency_hz
        n = int(np.ceil((duration_s + 4 * period) / period)) + 2
        durations = period * (1.0 + gait.step_cv * rng.standard_normal(n))
        durations = np.clip(durations, 0.6 * period, 1.4 * period)
        # First contact half a ramp in, when the speed reaches half its mean.
        first = t0_s + 0.5 * self.ramp_s
        contacts = first - 2 * period + np.concatenate([[0.0], np.cumsum(durations)])
        self._phase = CubicSpline(contacts, np.arange(contacts.shape[0], dtype=np.float64) - 2.0)
        self._contacts = contacts
        env_at = window(contacts, t0_s, t1_s, self.ramp_s)
        self.steps_s = contacts[(env_at >= 0.5) & (contacts >= t0_s) & (contacts <= t1_s)]
        self._path = self._build_path()

    def _build_path(self) -> PPoly:
        n = max(int(np.ceil(self.duration_s / _PATH_DT_S)), 4)
        tg = np.linspace(self.t0_s, self.t1_s, n + 1)
        heading = self.start_pose[HEAD] + self.turns.evaluate(tg)[:, HEAD]
        speed = self.gait.speed_mps * window(tg, self.t0_s, self.t1_s, self.ramp_s)
        vel = np.stack([speed * np.cos(heading), speed * np.sin(heading),
                        speed * self.gait.climb_per_m], axis=1)
        # Clamped ends: zero acceleration where the bout meets the standing segments.
        spline = CubicSpline(tg, vel, axis=0, bc_type="clamped")
        path: PPoly = spline.antiderivative()
        return path

    def pose(self, t: FloatArray) -> FloatArray:
        g = self.gait
        tc = np.clip(t, self.t0_s, self.t1_s)
        env = window(tc, self.t0_s, self.t1_s, self.ramp_s)
        phi = self._phase(tc)
        heading = self.start_pose[HEAD] + self.turns.evaluate(tc)[:, HEAD]
        out = np.empty((t.shape[0], N_DOF))
        out[:, FLEX] = self.start_pose[FLEX] + env * (
            g.lean_rad + g.tilt_amp_rad * np.sin(2 * np.pi * phi))
        out[:, LAT] = self.start_pose[LAT] + env * g.obliquity_amp_rad * np.sin(np.pi * phi)
        out[:, HEAD] = heading - env * g.rotation_amp_rad * np.cos(np.pi * phi)
        # Oscillations in the walking frame (forward, left, up), m.
        surge = g.surge_frac * g.speed_mps / (2 * np.pi * g.step_frequency_hz)
        fwd = env * surge * np.sin(2 * np.pi * phi)
        left = env * g.lateral_amp_m * np.sin(np.pi * phi)
        up = -env * g.vertical_amp_m * np.cos(2 * np.pi * phi) + env * self._impacts(tc)
        base = self._path(tc)
        out[:, 3] = self.start_pose[3] + base[:, 0] + fwd * np.cos(heading) - left * np.sin(heading)
        out[:, 4] = self.start_pose[4] + base[:, 1] + fwd * np.sin(heading) + left * np.cos(heading)
        out[:, 5] = self.start_pose[5] + base[:, 2] + up
        return out

    def _impacts(self, t: FloatArray) -> FloatArray:
        """Sum of the Gaussian heel-strike dips near ``t``, m (negative)."""
        idx = np.searchsorted(self._contacts, t)
        total = np.zeros(t.shape[0])
        for k in (-2, -1, 0):
            j = np.clip(idx + k, 0, self._contacts.shape[0] - 1)
            d = t - self._contacts[j] - _IMPACT_DELAY_S
            total -= self.gait.impact_m * np.exp(-0.5 * (d / _IMPACT_SIGMA_S) ** 2)
        return total
