"""Transitions between rest postures, and the route from any posture to any other.

Postures form a small graph: standing ↔ sitting ↔ lying on a bed,
standing ↔ hands and knees ↔ lying prone on the floor, and rolling between
lying positions. :func:`go_to` walks it. Every transition is labelled
``other`` (rolling in bed stays ``lying``) and ends at rest.
"""

from __future__ import annotations

import numpy as np

from processing.types import Posture
from simulator.body import BodyState, Planner, reexpress_lying
from simulator.kinematics import FLEX, HEAD, LAT, PZ

#: Lateral angle of each lying position in the flexion = −90° parameterisation, rad.
_ROLL_RAD = {"supine": 0.0, "left": -np.pi / 2, "right": np.pi / 2, "prone": np.pi}
_DEG = np.pi / 180.0


def stand_to_sit(pl: Planner, duration_s: float, trunk_flex_deg: float,
                 pelvis_tilt_deg: float) -> None:
    """Sit down: the trunk flexes forward, the pelvis drops and moves back, then settles tilted."""
    t = duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, 0.5 * t, pl.state.pose[FLEX] + trunk_flex_deg * _DEG)
    b.move_to(FLEX, 0.5 * t, 0.5 * t, -pelvis_tilt_deg * _DEG)
    b.shift(0.15 * t, 0.7 * t, forward_m=-0.12)
    b.move_to(PZ, 0.25 * t, 0.7 * t, pl.above_floor_z(pl.person.seat_z_m))
    pl.add(b.build(t), bend_eligible=True)
    pl.state = BodyState("sitting", pl.state.pose)


def sit_to_stand(pl: Planner, duration_s: float, trunk_flex_deg: float) -> None:
    """Stand up: lean forward, the pelvis rises and moves forward, the trunk straightens."""
    t = duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, 0.45 * t, trunk_flex_deg * _DEG)
    b.shift(0.3 * t, 0.6 * t, forward_m=0.12)
    b.move_to(PZ, 0.35 * t, 0.6 * t, pl.above_floor_z(pl.person.stand_z_m))
    b.move_to(FLEX, 0.5 * t, 0.5 * t, pl.person.stand_flexion_rad)
    pl.add(b.build(t), bend_eligible=True)
    pl.state = BodyState("standing", pl.state.pose)


def sit_to_lie(pl: Planner, duration_s: float) -> None:
    """From sitting on the bed edge to supine: lean on an elbow, swing the legs up, lie back."""
    t = duration_s
    side = 1.0 if pl.rng.random() < 0.5 else -1.0
    b = pl.builder(Posture.OTHER)
    b.move_to(LAT, 0.0, 0.4 * t, -side * 20 * _DEG)
    b.move_to(FLEX, 0.2 * t, 0.7 * t, -np.pi / 2)
    b.move_to(LAT, 0.5 * t, 0.5 * t, 0.0)
    b.move(HEAD, 0.2 * t, 0.7 * t, side * np.pi / 2)
    b.move_to(PZ, 0.3 * t, 0.6 * t, pl.above_floor_z(pl.person.bed_z_m))
    b.shift(0.2 * t, 0.7 * t, left_m=0.25 * side, heading_rad=float(pl.state.pose[HEAD]))
    b.label(0.9 * t, Posture.LYING)
    pl.add(b.build(t))
    pl.state = BodyState("lying", pl.state.pose, "supine", "bed")


def lie_to_sit(pl: Planner, duration_s: float, pelvis_tilt_deg: float) -> None:
    """From supine in bed to sitting on its edge (the reverse of :func:`sit_to_lie`)."""
    t = duration_s
    side = 1.0 if pl.rng.random() < 0.5 else -1.0
    b = pl.builder(Posture.OTHER)
    b.move_to(LAT, 0.0, 0.4 * t, side * 20 * _DEG)
    b.move_to(FLEX, 0.1 * t, 0.7 * t, -pelvis_tilt_deg * _DEG)
    b.move_to(LAT, 0.5 * t, 0.5 * t, 0.0)
    b.move(HEAD, 0.2 * t, 0.7 * t, side * np.pi / 2)
    b.move_to(PZ, 0.2 * t, 0.7 * t, pl.above_floor_z(pl.person.seat_z_m))
    pl.add(b.build(t))
    pl.state = BodyState("sitting", pl.state.pose)


def roll(pl: Planner, variant: str, duration_s: float) -> None:
    """Roll about the body's long axis to another lying position (stays ``lying``)."""
    s = pl.state
    pose = reexpress_lying(s.pose, -np.pi / 2)
    s.pose = pose
    target = _ROLL_RAD[variant]
    if variant == "prone":
        target = np.pi if pose[LAT] >= 0 else -np.pi
    # Take the short way round from the current roll angle.
    delta = (target - pose[LAT] + np.pi) % (2 * np.pi) - np.pi
    b = pl.builder(Posture.LYING)
    b.move(LAT, 0.0, duration_s, float(delta))
    b.shift(0.0, duration_s, left_m=-0.15 * np.sign(delta))
    pl.add(b.build(duration_s))
    pl.state = BodyState("lying", pl.state.pose, variant, s.surface)


def stand_to_hands_knees(pl: Planner, duration_s: float) -> None:
    """Kneel down and put the hands on the floor: trunk horizontal, facing down."""
    t = duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, 0.4 * t, 25 * _DEG)
    b.move_to(PZ, 0.1 * t, 0.55 * t, pl.above_floor_z(pl.person.hands_knees_z_m))
    b.move_to(FLEX, 0.45 * t, 0.55 * t, np.pi / 2)
    b.shift(0.1 * t, 0.6 * t, forward_m=-0.1)
    pl.add(b.build(t))
    pl.state = BodyState("hands_knees", pl.state.pose)


def hands_knees_to_stand(pl: Planner, duration_s: float) -> None:
    """Sit back on the heels, come up to kneeling and stand."""
    t = duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, 0.5 * t, 25 * _DEG)
    b.move_to(PZ, 0.35 * t, 0.6 * t, pl.above_floor_z(pl.person.stand_z_m))
    b.move_to(FLEX, 0.55 * t, 0.45 * t, pl.person.stand_flexion_rad)
    b.shift(0.3 * t, 0.6 * t, forward_m=0.1)
    pl.add(b.build(t))
    pl.state = BodyState("standing", pl.state.pose)


def hands_knees_to_prone(pl: Planner, duration_s: float) -> None:
    """Lower the hips to the floor from hands and knees, ending prone."""
    t = duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, t, np.pi / 2)
    b.move_to(PZ, 0.0, t, pl.above_floor_z(pl.person.floor_z_m))
    b.shift(0.0, t, forward_m=0.3)
    b.label(0.9 * t, Posture.LYING)
    pl.add(b.build(t))
    pl.state = BodyState("lying", pl.state.pose, "prone", "floor")


def prone_to_hands_knees(pl: Planner, duration_s: float) -> None:
    """Push up from prone on the floor to hands and knees."""
    pl.state.pose = reexpress_lying(pl.state.pose, np.pi / 2)
    t = duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(LAT, 0.0, t, 0.0)
    b.move_to(PZ, 0.0, t, pl.above_floor_z(pl.person.hands_knees_z_m))
    b.shift(0.0, t, forward_m=-0.3)
    pl.add(b.build(t))
    pl.state = BodyState("hands_knees", pl.state.pose)


def go_to(pl: Planner, posture: str, variant: str = "", surface: str = "bed",
          sit_stand_s: float | None = None, trunk_flex_deg: float | None = None,
          pelvis_tilt_deg: float | None = None) -> None:
    """Insert the transitions that bring the body from its rest state to ``posture``.

    Args:
        posture: standing, sitting, lying or hands_knees.
        variant: lying position when ``posture`` is lying.
        surface: bed or floor when ``posture`` is lying.
        sit_stand_s, trunk_flex_deg, pelvis_tilt_deg: override the drawn
            sit/stand transition parameters (used by sitting activities).
    """
    rng = pl.rng
    for _ in range(12):
        s = pl.state
        here = (s.posture, s.variant, s.surface)
        if posture == s.posture and (posture != "lying" or (variant, surface) == here[1:]):
            return
        dur = float(rng.uniform(1.5, 3.0)) if sit_stand_s is None else sit_stand_s
        flex = float(rng.uniform(20, 40)) if trunk_flex_deg is None else trunk_flex_deg
        tilt = float(rng.uniform(10, 25)) if pelvis_tilt_deg is None else pelvis_tilt_deg
        slow = float(rng.uniform(3.0, 5.0))
        if s.posture == "standing":
            if posture in ("sitting",) or (posture == "lying" and surface == "bed"):
                stand_to_sit(pl, dur, flex, tilt)
            else:
                stand_to_hands_knees(pl, slow)
        elif s.posture == "sitting":
            if posture == "lying" and surface == "bed":
                sit_to_lie(pl, slow)
            else:
                sit_to_stand(pl, dur, flex)
        elif s.posture == "hands_knees":
            if posture == "lying" and surface == "floor":
                hands_knees_to_prone(pl, slow)
            else:
                hands_knees_to_stand(pl, slow)
        else:  # lying
            if posture == "lying" and surface == s.surface:
                roll(pl, variant, float(rng.uniform(2.0, 4.0)))
            elif s.surface == "bed":
                if s.variant != "supine":
                    roll(pl, "supine", float(rng.uniform(2.0, 4.0)))
                else:
                    lie_to_sit(pl, slow, tilt)
            elif s.variant != "prone":
                roll(pl, "prone", float(rng.uniform(2.0, 4.0)))
            else:
                prone_to_hands_knees(pl, slow)
    raise RuntimeError(f"no route from {pl.state.posture} to {posture}")  # a bug, not user error
