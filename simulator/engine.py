"""Sampling a plan: true motion → ideal IMU signals → sensor errors, chunk by chunk.

The gyroscope is the exact derivative of the sensor orientation,
``R^T dR/dt``, taken as a central difference over ±0.5 ms around each sample;
the accelerometer is ``R^T (d²p/dt² + g e_z)`` with ``p`` the sensor position,
by the same central difference. Because every segment is C2 and joins its
neighbours at rest, these differences are accurate to ~1e-6 of the signal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from processing.posture import hysteresis
from processing.types import GRAVITY_MPS2, FloatArray, ImuSamples, Posture
from simulator.imu import ImuModel
from simulator.plan import Plan, build_plan
from simulator.rotations import body_angles, matrix_to_quat, rotation_log
from simulator.scenario import Scenario
from simulator.truth import Timeline, Truth
from simulator.truth_types import Event

#: Half-width of the central differences, s.
DIFF_STEP_S = 5e-4
#: A true bend ends when flexion falls this far under the threshold, degrees (issue 3: with
#: hysteresis, hovering at the limit is one bend; every shipped profile uses 5°).
BEND_HYSTERESIS_DEG = 5.0


@dataclass(frozen=True, slots=True)
class SimChunk:
    """A block of consecutive samples with their per-sample truth."""

    samples: ImuSamples
    timeline: Timeline


@dataclass(frozen=True, slots=True)
class SimResult:
    """A whole simulated recording: samples, truth and the plan it came from."""

    samples: ImuSamples
    truth: Truth
    plan: Plan


class Simulation:
    """A scenario made ready to sample; iterate :meth:`chunks`, then ask :meth:`truth`.

    Args:
        scenario: the validated scenario.
        seed: overrides the scenario's seed (default 0 when neither is given).
        sample_rate_hz: overrides the scenario's ``imu.sample_rate_hz``.
        ideal_imu: no noise, bias, scale, misalignment, saturation or quantisation.
        chunk_s: length of each chunk, s.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 sample_rate_hz: float | None = None, ideal_imu: bool = False,
                 chunk_s: float = 60.0) -> None:
        self.seed = int(seed if seed is not None else (scenario.seed or 0))
        plan_seq, imu_seq, time_seq = np.random.SeedSequence(self.seed).spawn(3)
        settings = scenario.imu
        if sample_rate_hz is not None:
            settings = replace(settings, sample_rate_hz=float(sample_rate_hz))
        self.settings = settings.ideal() if ideal_imu else settings
        self.plan = build_plan(scenario, np.random.default_rng(plan_seq))
        self._imu_rng = np.random.default_rng(imu_seq)
        self._time_rng = np.random.default_rng(time_seq)
        self.chunk_s = chunk_s
        fs = self.settings.sample_rate_hz
        self.n_samples = int(np.floor(self.plan.duration_s * fs)) + 1
        self._bends: list[Event] = []
        self._posture_counts = np.zeros(len(Posture), dtype=np.int64)
        self._done = False

    @property
    def sample_rate_hz(self) -> float:
        return self.settings.sample_rate_hz

    def chunks(self) -> Iterator[SimChunk]:
        """Generate the recording in chunks of ``chunk_s`` (bounded memory).

        Truth bends (issue 3 applied to the true angles): flexion past the scenario's
        ``bend_threshold_deg`` until it falls ``BEND_HYSTERESIS_DEG`` under it, where
        :meth:`Plan.bend_eligible` (the trunk not resting horizontal, not falling).
        """
        fs = self.sample_rate_hz
        per_chunk = max(int(self.chunk_s * fs), 1)
        imu = ImuModel(self.settings, self._imu_rng)
        threshold = np.deg2rad(self.plan.scenario.bend_threshold_deg)
        hyst = np.deg2rad(BEND_HYSTERESIS_DEG)
        latch = False
        open_bend: list[float] = []  # [start, peak] while a bend runs across chunks
        self._bends.clear()
        self._posture_counts[:] = 0
        for first in range(0, self.n_samples, per_chunk):
            k = np.arange(first, min(first + per_chunk, self.n_samples))
            t = k / fs
            if self.settings.timing_jitter_s > 0:
                t = t + self._time_rng.normal(0.0, self.settings.timing_jitter_s, k.shape[0])
            chunk = self._sample(t, imu)
            tl = chunk.timeline
            self._posture_counts += np.bincount(tl.posture, minlength=len(Posture))
            flex = np.deg2rad(tl.flexion_deg)
            f = np.nan_to_num(flex, nan=-1.0)
            bending, latch = hysteresis(f > threshold, f < threshold - hyst, latch)
            bending = bending & self.plan.bend_eligible(t)
            self._track_bends(t, flex, bending, open_bend)
            yield chunk
        if open_bend:
            self._bends.append(Event("bend", open_bend[0], self.plan.duration_s,
                                     float(np.rad2deg(open_bend[1]))))
        self._done = True

    def _track_bends(self, t: FloatArray, flex: FloatArray, bending: np.ndarray,
                     open_bend: list[float]) -> None:
        edges = np.flatnonzero(np.diff(np.concatenate([[bool(open_bend)], bending]).astype(int)))
        bounds = [int(e) for e in edges]
        if open_bend:
            bounds = [0, *bounds]
        for j in range(0, len(bounds), 2):
            s = bounds[j]
            e = bounds[j + 1] if j + 1 < len(bounds) else t.shape[0]
            peak = float(np.max(flex[s:e])) if e > s else -np.inf
            if open_bend:
                start, peak = open_bend[0], max(open_bend[1], peak)
                open_bend.clear()
            else:
                start = float(t[s])
            if e < t.shape[0]:
                self._bends.append(Event("bend", start, float(t[e - 1]), float(np.rad2deg(peak))))
            else:
                open_bend.extend([start, peak])

    def _sample(self, t: FloatArray, imu: ImuModel) -> SimChunk:
        n = t.shape[0]
        h = DIFF_STEP_S
        rot, pos, r_body, worn = self.plan.sensor_pose(np.concatenate([t - h, t, t + h]))
        r_m, r_0, r_p = rot[:n], rot[n:2 * n], rot[2 * n:]
        gyr = rotation_log(np.transpose(r_m, (0, 2, 1)) @ r_p) / (2.0 * h)
        acc_e = (pos[2 * n:] - 2.0 * pos[n:2 * n] + pos[:n]) / (h * h)
        acc_e[:, 2] += GRAVITY_MPS2
        acc = np.einsum("nji,nj->ni", r_0, acc_e)
        if not self.settings.is_ideal:
            acc, gyr = imu.apply(acc, gyr)
        rb = r_body[n:2 * n]
        on = worn[n:2 * n]
        f = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        head = np.full(n, np.nan)
        if on.any():
            f[on], lat[on], head[on] = body_angles(rb[on])
        incl = np.degrees(np.arccos(np.clip(rb[:, 2, 2], -1.0, 1.0)))
        timeline = Timeline(t, np.degrees(f), np.degrees(lat), incl, np.degrees(head),
                            self.plan.labels(t), matrix_to_quat(r_0))
        return SimChunk(ImuSamples(t, acc, gyr), timeline)

    def truth(self, timeline: Timeline | None = None) -> Truth:
        """The ground truth; call after :meth:`chunks` has been consumed."""
        if not self._done:
            raise RuntimeError("consume Simulation.chunks() before asking for the truth")
        events = sorted([*self.plan.events, *self._bends], key=lambda e: (e.start_s, e.type))
        seconds = {p.label: float(self._posture_counts[p]) / self.sample_rate_hz for p in Posture}
        return Truth(
            seed=self.seed,
            sample_rate_hz=self.sample_rate_hz,
            scenario_name=self.plan.scenario.name,
            duration_s=self.plan.duration_s,
            bend_threshold_deg=self.plan.scenario.bend_threshold_deg,
            posture_seconds=seconds,
            steps_s=self.plan.steps_s,
            events=tuple(events),
            sets=self.plan.sets,
            mountings=self.plan.mountings,
            timeline=timeline,
        )


def simulate(scenario: Scenario, seed: int | None = None, sample_rate_hz: float | None = None,
             ideal_imu: bool = False) -> SimResult:
    """Simulate a whole scenario in memory (use :class:`Simulation` for long days)."""
    sim = Simulation(scenario, seed, sample_rate_hz, ideal_imu)
    chunks = list(sim.chunks())
    samples = ImuSamples.concat([c.samples for c in chunks])
    timeline = Timeline.concat([c.timeline for c in chunks])
    return SimResult(samples, sim.truth(timeline), sim.plan)
