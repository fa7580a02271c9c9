"""From a scenario to a timeline of segments, and the pose of body and sensor at any time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from processing.types import FloatArray, Posture
from simulator import exercises, locomotion, movements, postures, wear
from simulator.body import BodyState, Person, Planner, rest_pose
from simulator.kinematics import FLEX, HEAD, LAT
from simulator.rotations import body_to_earth
from simulator.scenario import Activity, Scenario
from simulator.segments import DetachedSegment, Int8Array, Segment
from simulator.truth_types import Event, ExerciseSet, Mounting

#: Trunk inclination from vertical, degrees, at and beyond which it rests horizontal.
HORIZONTAL_DEG = 60.0


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole scripted day, ready to be sampled at any times.

    Attributes:
        scenario: the scenario it was built from.
        segments: contiguous segments covering ``[0, duration_s]``.
        mounts: sensor-to-body rotations, shape (3, 3) each, indexed by ``Segment.mount``.
        mountings: the same with their time spans, for the truth files.
        events: scored events known from the script (lifts, twists, falls, …).
        sets: exercise sets.
        steps_s: all foot-contact times, s, shape (S,).
        person: the simulated person's dimensions.
    """

    scenario: Scenario
    segments: tuple[Segment, ...]
    mounts: tuple[FloatArray, ...]
    mountings: tuple[Mounting, ...]
    events: tuple[Event, ...]
    sets: tuple[ExerciseSet, ...]
    steps_s: FloatArray
    person: Person
    starts_s: FloatArray

    @property
    def duration_s(self) -> float:
        return self.segments[-1].t1_s

    def _groups(self, t: FloatArray) -> list[tuple[Segment, FloatArray]]:
        idx = np.clip(np.searchsorted(self.starts_s, t, side="right") - 1, 0,
                      len(self.segments) - 1)
        lo, hi = int(idx.min()), int(idx.max())
        if lo == hi:  # the common case: the whole block lies in one segment
            return [(self.segments[lo], np.ones(t.shape[0], dtype=bool))]
        return [(self.segments[i], idx == i) for i in range(lo, hi + 1)]

    def body_pose(self, t: FloatArray) -> FloatArray:
        """Body pose (N, 6) at times ``t`` (N,): flexion, lateral, heading (rad), x, y, z (m)."""
        out = np.empty((t.shape[0], 6))
        for seg, mask in self._groups(t):
            out[mask] = seg.pose(t[mask])
        return out

    def sensor_pose(self, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Sensor and body state at times ``t`` (N,).

        Returns:
            Sensor-to-earth rotations (N, 3, 3), sensor positions (N, 3) in m, body-to-earth
            rotations (N, 3, 3) (NaN while the sensor is off the body) and the worn mask (N,).
        """
        r_body = np.full((t.shape[0], 3, 3), np.nan)
        rot = np.empty((t.shape[0], 3, 3))
        pos = np.empty((t.shape[0], 3))
        worn = np.ones(t.shape[0], dtype=bool)
        lever = self.person.lever_arm_m
        for seg, mask in self._groups(t):
            if isinstance(seg, DetachedSegment):
                rot[mask], pos[mask] = seg.sensor_pose(t[mask])
                worn[mask] = False
                continue
            p = seg.pose(t[mask])
            n = p.shape[0]
            r_be = body_to_earth(p[:, FLEX], p[:, LAT], p[:, HEAD])
            # One (3N, 3) @ (3, 3) product instead of N small ones: much faster in numpy.
            r_se = (r_be.reshape(-1, 3) @ self.mounts[seg.mount]).reshape(n, 3, 3)
            p_s = p[:, 3:6] + (r_be.reshape(-1, 3) @ lever).reshape(n, 3)
            if n == t.shape[0]:
                r_body, rot, pos = r_be, r_se, p_s
            else:
                r_body[mask], rot[mask], pos[mask] = r_be, r_se, p_s
        return rot, pos, r_body, worn

    def labels(self, t: FloatArray) -> Int8Array:
        """Posture labels (Posture values), shape (N,), int8."""
        out = np.empty(t.shape[0], dtype=np.int8)
        for seg, mask in self._groups(t):
            out[mask] = seg.labels(t[mask])
        return out

    def bend_eligible(self, t: FloatArray) -> np.ndarray:
        """True where flexion beyond the threshold counts as a bend, shape (N,).

        A bend is trunk flexion past the limit (issue 3), wherever the trunk is not
        resting horizontal: upright activities, and also getting down to the floor and
        back up (kneeling, reaching the hands down: the trunk really flexes there).
        Not bends: lying and resting on hands and knees (truth label ``lying``), moving
        between two such rests on the floor (the trunk stays horizontal and supported,
        e.g. hands and knees to prone), falls (scored as falls) and walking.
        """
        out = np.zeros(t.shape[0], dtype=bool)
        for seg, mask in self._groups(t):
            if seg.bend_eligible:
                out[mask] = True
            elif self._gets_down_or_up(seg):
                out[mask] = seg.labels(t[mask]) == Posture.OTHER
        return out

    def _gets_down_or_up(self, seg: Segment) -> bool:
        """A posture transition (labelled ``other``, not a fall) between upright and a rest
        with the trunk horizontal and face down (hands and knees, prone on the floor); one
        from horizontal to horizontal stays supported."""
        if seg.detached or int(seg.labels(np.array([seg.t0_s]))[0]) != Posture.OTHER:
            return False
        if any(e.type == "fall" and seg.t0_s <= e.start_s < seg.t1_s for e in self.events):
            return False
        ends = seg.pose(np.array([seg.t0_s, seg.t1_s]))
        rot = body_to_earth(ends[:, FLEX], ends[:, LAT], ends[:, HEAD])
        horizontal = np.degrees(np.arccos(np.clip(rot[:, 2, 2], -1.0, 1.0))) >= HORIZONTAL_DEG
        # Face down: the body's forward axis points down. Getting into or out of bed on the
        # back or side never flexes forward; only the flexion angle's singularity there
        # (lying on the side, about ±90°) can read past the limit.
        face_down = rot[:, 2, 0] < -0.5
        return not bool(horizontal.all()) and bool(np.all(face_down[horizontal]))


Handler = Callable[[Planner, Activity, Scenario], None]

_HANDLERS: dict[str, Handler] = {
    "standing": lambda pl, a, s: postures.standing(
        pl, float(a.duration_s or 0.0), a.num("sway_deg", pl.rng), a.num("shift_every_s", pl.rng)),
    "sitting": lambda pl, a, s: postures.sitting(pl, a),
    "lying": lambda pl, a, s: postures.lying(pl, a),
    "walking": lambda pl, a, s: locomotion.walking(pl, a),
    "stairs": lambda pl, a, s: locomotion.stairs(pl, a),
    "bend": lambda pl, a, s: movements.bend(pl, a),
    "lift": lambda pl, a, s: movements.lift(pl, a),
    "twist": lambda pl, a, s: movements.twist(pl, a),
    "lateral_bend": lambda pl, a, s: movements.lateral_bend(pl, a),
    "fall": lambda pl, a, s: movements.fall(pl, a),
    "not_worn": lambda pl, a, s: wear.not_worn(pl, a, s.mounting),
    "exercise": lambda pl, a, s: exercises.exercise_set(pl, a),
}


def build_plan(scenario: Scenario, rng: np.random.Generator) -> Plan:
    """Lay out every activity of ``scenario`` as segments (cheap: no samples yet)."""
    person = Person.draw(rng, np.array(scenario.mounting.lever_arm_m, dtype=np.float64))
    heading = float(rng.uniform(-np.pi, np.pi))
    start = scenario.start_posture
    pose = rest_pose(person, start, heading)
    state = BodyState(start, pose, "supine" if start == "lying" else "",
                      "bed" if start == "lying" else "")
    pl = Planner(rng, person, state, [wear.draw_mounting(scenario.mounting, rng)])
    for act in scenario.activities:
        _HANDLERS[act.type](pl, act, scenario)
    if not pl.segments:
        postures.standing(pl, 1.0)
    pl.mountings.append(wear.mounting_record(pl.mount_start_s, pl.t_s, pl.mounts[pl.mount]))
    segs = tuple(pl.segments)
    steps = np.concatenate([s.steps_s for s in segs]) if segs else np.zeros(0)
    sets = tuple(x for s in segs for x in s.sets)
    return Plan(scenario, segs, tuple(pl.mounts), tuple(pl.mountings),
                tuple(sorted(pl.events, key=lambda e: e.start_s)), sets, steps, person,
                np.array([s.t0_s for s in segs]))
