"""Timeline segments: each one owns a span of time and knows the body pose in it.

A *segment* maps times to the pose of the body (flexion, lateral, heading in
rad; hip-centre position in m, earth frame) and to a posture label. Segments
start and end at rest (all velocities and accelerations zero), so any two of
them can be chained without a discontinuity in the sensor signals.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import NDArray

from processing.types import FloatArray, Posture
from simulator.kinematics import N_DOF, PX, PY, PZ, MoveSet, PulseSet, SwaySet, min_jerk, window
from simulator.rotations import rotation_exp, rotation_log
from simulator.truth_types import Event, ExerciseSet

Int8Array = NDArray[np.int8]


class Segment(ABC):
    """Base of all segments: a span ``[t0_s, t1_s)`` with labels and truth items.

    Attributes:
        t0_s, t1_s: span, s.
        mount: index of the sensor mounting in force.
        bend_eligible: True when flexion beyond the bend threshold counts as a bend.
        steps_s: foot-contact times inside the segment, s, shape (S,).
        events: scored events of the segment.
        sets: exercise sets of the segment.
    """

    detached = False

    def __init__(self, t0_s: float, t1_s: float, label_times_s: FloatArray,
                 label_values: Int8Array) -> None:
        self.t0_s = t0_s
        self.t1_s = t1_s
        self.mount = 0
        self.bend_eligible = False
        self.steps_s: FloatArray = np.zeros(0)
        self.events: list[Event] = []
        self.sets: list[ExerciseSet] = []
        self._label_times = label_times_s
        self._label_values = label_values

    @property
    def duration_s(self) -> float:
        return self.t1_s - self.t0_s

    def labels(self, t: FloatArray) -> Int8Array:
        """Posture label (Posture value) at times ``t`` (N,), shape (N,), int8."""
        idx = np.searchsorted(self._label_times, t, side="right") - 1
        return self._label_values[np.clip(idx, 0, self._label_values.shape[0] - 1)]

    @abstractmethod
    def pose(self, t: FloatArray) -> FloatArray:
        """Body pose at times ``t`` (N,): columns flexion, lateral, heading (rad), x, y, z (m)."""

    def end_pose(self) -> FloatArray:
        """Pose at the end of the segment, shape (6,)."""
        result: FloatArray = self.pose(np.array([self.t1_s]))[0]
        return result


class KeyframeSegment(Segment):
    """A segment assembled from minimum-jerk moves, Hann pulses and windowed sway."""

    def __init__(self, t0_s: float, t1_s: float, start_pose: FloatArray, moves: MoveSet,
                 pulses: PulseSet, sway: SwaySet, sway_ramp_s: float,
                 label_times_s: FloatArray, label_values: Int8Array) -> None:
        super().__init__(t0_s, t1_s, label_times_s, label_values)
        self.start_pose = start_pose
        self.moves = moves
        self.pulses = pulses
        self.sway = sway
        self.sway_ramp_s = sway_ramp_s

    def pose(self, t: FloatArray) -> FloatArray:
        out = np.broadcast_to(self.start_pose, (t.shape[0], N_DOF)).copy()
        out += self.moves.evaluate(t)
        out += self.pulses.evaluate(t)
        if self.sway.dof.shape[0]:
            w = window(t, self.t0_s, self.t1_s, self.sway_ramp_s)
            out += w[:, None] * self.sway.evaluate(t)
        return out


class KeyframeBuilder:
    """Collects moves, pulses, sway and labels for a :class:`KeyframeSegment`.

    Times given to the methods are relative to the segment start, s. ``target``
    follows the pose the moves lead to, so ``move_to`` can aim at absolute values.
    """

    def __init__(self, t0_s: float, start_pose: FloatArray, label: Posture) -> None:
        self.t0_s = t0_s
        self.start_pose = np.array(start_pose, dtype=np.float64)
        self.target = self.start_pose.copy()
        self._moves: list[tuple[int, float, float, float]] = []
        self._pulses: list[tuple[int, float, float, float]] = []
        self._sway: list[tuple[int, float, float, float]] = []
        self._labels: list[tuple[float, int]] = [(0.0, int(label))]
        self.end_rel_s = 0.0

    def move(self, dof: int, start_rel_s: float, duration_s: float, delta: float) -> None:
        """Change ``dof`` by ``delta`` over ``duration_s`` from ``start_rel_s``."""
        duration_s = max(duration_s, 1e-3)
        self._moves.append((dof, self.t0_s + start_rel_s, duration_s, delta))
        self.target[dof] += delta
        self.end_rel_s = max(self.end_rel_s, start_rel_s + duration_s)

    def move_to(self, dof: int, start_rel_s: float, duration_s: float, value: float) -> None:
        """Move ``dof`` to the absolute ``value`` (after all earlier moves)."""
        self.move(dof, start_rel_s, duration_s, value - self.target[dof])

    def shift(self, start_rel_s: float, duration_s: float, forward_m: float = 0.0,
              left_m: float = 0.0, up_m: float = 0.0, heading_rad: float | None = None) -> None:
        """Move the hip centre in the person's frame (forward/left along ``heading_rad``)."""
        h = self.target[2] if heading_rad is None else heading_rad
        dx = forward_m * np.cos(h) - left_m * np.sin(h)
        dy = forward_m * np.sin(h) + left_m * np.cos(h)
        for dof, d in ((PX, dx), (PY, dy), (PZ, up_m)):
            if d != 0.0:
                self.move(dof, start_rel_s, duration_s, float(d))

    def pulse(self, dof: int, start_rel_s: float, duration_s: float, delta_v_mps: float) -> None:
        """Hann acceleration pulse changing the velocity of ``dof`` by ``delta_v_mps``."""
        self._pulses.append((dof, self.t0_s + start_rel_s, duration_s, delta_v_mps))
        self.end_rel_s = max(self.end_rel_s, start_rel_s + duration_s)

    def sway(self, dof: int, amplitude: float, freq_hz: float, phase_rad: float) -> None:
        """Add a sinusoidal sway component (faded in and out with the segment)."""
        self._sway.append((dof, amplitude, freq_hz, phase_rad))

    def label(self, at_rel_s: float, posture: Posture) -> None:
        """From ``at_rel_s`` on, the posture label is ``posture``."""
        self._labels.append((at_rel_s, int(posture)))

    def build(self, duration_s: float | None = None, sway_ramp_s: float = 1.0) -> KeyframeSegment:
        """The segment; its duration is ``duration_s`` or the end of the last move."""
        dur = self.end_rel_s if duration_s is None else max(duration_s, self.end_rel_s)
        dur = max(dur, 1e-2)

        def cols(rows: list[tuple[int, float, float, float]]) -> tuple[
            NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
            arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
            return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3]

        labels = sorted(self._labels, key=lambda x: x[0])
        return KeyframeSegment(
            self.t0_s, self.t0_s + dur, self.start_pose,
            MoveSet(*cols(self._moves)), PulseSet(*cols(self._pulses)),
            SwaySet(*cols(self._sway)), sway_ramp_s,
            self.t0_s + np.array([x[0] for x in labels]),
            np.array([x[1] for x in labels], dtype=np.int8),
        )


class DetachedSegment(Segment):
    """The sensor is off the body: carried to a table, left still, carried back.

    ``sensor_pose`` replaces ``pose``: it gives the sensor-to-earth rotation and
    the sensor position directly. The body stays in ``body_pose``.
    """

    detached = True

    def __init__(self, t0_s: float, t1_s: float, body_pose: FloatArray,
                 r_start: FloatArray, p_start: FloatArray, r_table: FloatArray,
                 p_table: FloatArray, r_end: FloatArray, p_end: FloatArray,
                 carry_s: float) -> None:
        super().__init__(t0_s, t1_s, np.array([t0_s]),
                         np.array([int(Posture.NOT_WORN)], dtype=np.int8))
        self.body_pose = body_pose
        self._r = (r_start, r_table, r_end)
        self._p = (p_start, p_table, p_end)
        self.carry_s = carry_s

    def pose(self, t: FloatArray) -> FloatArray:
        return np.broadcast_to(self.body_pose, (t.shape[0], N_DOF)).copy()

    def sensor_pose(self, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Sensor-to-earth rotations (N, 3, 3) and sensor positions (N, 3), m."""
        r0, r1, r2 = self._r
        p0, p1, p2 = self._p
        off = min_jerk((t - self.t0_s) / self.carry_s)
        on = min_jerk((t - (self.t1_s - self.carry_s)) / self.carry_s)
        d01 = rotation_log((r0.T @ r1)[None])[0]
        d12 = rotation_log((r1.T @ r2)[None])[0]
        rot = r0[None] @ rotation_exp(off[:, None] * d01[None]) @ rotation_exp(
            on[:, None] * d12[None])
        # The hand lifts the sensor a little on the way, so the path is not a straight line.
        lift = 0.15 * (np.sin(np.pi * off) + np.sin(np.pi * on))
        pos = p0[None] + off[:, None] * (p1 - p0)[None] + on[:, None] * (p2 - p1)[None]
        pos[:, 2] += lift
        return rot, pos
