"""The person being simulated and the planner that lays segments end to end.

:class:`Planner` keeps the clock, the body's rest state between segments
(posture family and pose) and the truth items collected so far; the activity
modules (postures, transitions, movements, exercises, wear) append segments
to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from processing.types import FloatArray, Posture
from simulator.kinematics import FLEX, HEAD, LAT, PZ
from simulator.rotations import body_to_earth
from simulator.segments import KeyframeBuilder, Segment
from simulator.truth_types import Event, Mounting


@dataclass(frozen=True, slots=True)
class Person:
    """Body dimensions and habits, drawn once per simulation.

    The ``*_z_m`` heights are of the hip centre above the floor the person is on, m
    (add :attr:`Planner.level_z_m` for an earth-frame z): stairs change the floor.
    """

    stand_z_m: float
    seat_z_m: float
    bed_z_m: float
    floor_z_m: float
    hands_knees_z_m: float
    stand_flexion_rad: float
    lever_arm_m: FloatArray

    @staticmethod
    def draw(rng: np.random.Generator, lever_arm_m: FloatArray) -> Person:
        stand = float(rng.uniform(0.86, 0.98))
        # Hip centre while seated: seat height plus about 0.08 m; a 0.4-0.5 m drop.
        seat = stand - float(rng.uniform(0.40, 0.48))
        # Standing flexion is 0 by definition: the body frame is the person's upright
        # posture (processing/types.py). A habitual pelvic tilt is part of the mounting.
        return Person(stand, seat, float(rng.uniform(0.55, 0.65)), 0.11,
                      float(rng.uniform(0.50, 0.60)), 0.0, lever_arm_m)


@dataclass(slots=True)
class BodyState:
    """Rest state between segments.

    Attributes:
        posture: standing, sitting, lying or hands_knees.
        variant: lying position (supine, prone, left, right) or "".
        surface: bed or floor when lying, else "".
        pose: flexion, lateral, heading (rad), hip centre x, y, z (m), shape (6,).
    """

    posture: str
    pose: FloatArray
    variant: str = ""
    surface: str = ""


@dataclass(slots=True)
class Planner:
    """Accumulates segments and truth; ``t_s`` is the end of the last segment.

    ``level_z_m`` is the height of the floor the person is on above the one the scenario
    starts on, m: stairs change it, and every seat, bed, floor and kneeling height is
    measured from it (see :meth:`above_floor_z`).
    """

    rng: np.random.Generator
    person: Person
    state: BodyState
    mounts: list[FloatArray]
    t_s: float = 0.0
    mount: int = 0
    segments: list[Segment] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    mountings: list[Mounting] = field(default_factory=list)
    mount_start_s: float = 0.0
    level_z_m: float = 0.0

    def above_floor_z(self, height_m: float) -> float:
        """Earth-frame z, m, of a point ``height_m`` above the floor the person is on."""
        return self.level_z_m + height_m

    def builder(self, label: Posture) -> KeyframeBuilder:
        """A builder starting now from the current rest pose."""
        return KeyframeBuilder(self.t_s, self.state.pose, label)

    def add(self, segment: Segment, bend_eligible: bool = False) -> Segment:
        """Append ``segment`` (it must start at ``t_s``) and take its end pose as the new rest."""
        segment.mount = self.mount
        segment.bend_eligible = bend_eligible
        self.segments.append(segment)
        self.t_s = segment.t1_s
        if not segment.detached:
            self.state.pose = segment.end_pose()
        return segment

    def sensor_rotation(self) -> FloatArray:
        """Current sensor-to-earth rotation, shape (3, 3)."""
        p = self.state.pose
        r_be = body_to_earth(p[FLEX:FLEX + 1], p[LAT:LAT + 1], p[HEAD:HEAD + 1])[0]
        result: FloatArray = r_be @ self.mounts[self.mount]
        return result

    def sensor_position(self) -> FloatArray:
        """Current sensor position in the earth frame, m, shape (3,)."""
        p = self.state.pose
        r_be = body_to_earth(p[FLEX:FLEX + 1], p[LAT:LAT + 1], p[HEAD:HEAD + 1])[0]
        result: FloatArray = p[3:6] + r_be @ self.person.lever_arm_m
        return result


def reexpress_lying(pose: FloatArray, flexion_rad: float) -> FloatArray:
    """The same lying orientation written with ``flexion_rad`` (±pi/2) as its flexion.

    Lying has two natural parameterisations (prone is flexion +90°, or flexion
    −90° rolled by 180°); rolling is a change of lateral angle only in the
    −90° one. Valid only when the body's long axis is horizontal.
    """
    p = pose.copy()
    r = body_to_earth(p[FLEX:FLEX + 1], p[LAT:LAT + 1], p[HEAD:HEAD + 1])[0]
    c, s = np.cos(flexion_rad), np.sin(flexion_rad)
    ry = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    m = r @ ry.T
    p[FLEX] = flexion_rad
    p[LAT] = np.arctan2(m[2, 1], m[2, 2])
    p[HEAD] = np.arctan2(m[1, 0], m[0, 0])
    return p


def rest_pose(person: Person, posture: str, heading_rad: float) -> FloatArray:
    """A plain rest pose for a posture (used for the start of a scenario, floor level 0)."""
    pose = np.zeros(6)
    pose[HEAD] = heading_rad
    if posture == "standing":
        pose[FLEX] = person.stand_flexion_rad
        pose[PZ] = person.stand_z_m
    elif posture == "sitting":
        pose[FLEX] = -np.deg2rad(17.0)
        pose[PZ] = person.seat_z_m
    else:
        pose[FLEX] = -np.pi / 2
        pose[PZ] = person.bed_z_m
    return pose
