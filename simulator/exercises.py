"""Exercise sets of a typical home programme after lumbar surgery.

Each exercise is described by the position it is done in, the angle it moves
(the pelvis segment's flexion or lateral bend), its nominal timing and its
default range and hold. A set is one segment labelled ``other`` while the reps
run, then a rest in position; sit-to-stand sets chain real sit/stand
transitions instead. Tempo scales every movement time (2 = twice as fast).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.types import Posture
from simulator.body import Planner, reexpress_lying
from simulator.kinematics import FLEX, HEAD, LAT, PZ
from simulator.postures import sitting_still
from simulator.scenario import Activity
from simulator.transitions import go_to, sit_to_stand, stand_to_sit
from simulator.truth_types import ExerciseSet, Rep

_DEG = np.pi / 180.0


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    """How one exercise moves the pelvis segment.

    Attributes:
        posture, variant, surface: where it is done (see :func:`go_to`).
        rest_label: posture label while resting in position (hands and knees: the trunk
            is horizontal, which is "lying" to a lumbar sensor).
        sign: direction of the rep on the flexion axis (+1 flexion, −1 extension).
        range_deg: default rep range (low, high), degrees.
        hold_s: default hold at the top (low, high), s.
        move_s: nominal time out and time back, s each.
        lift_m: hip-centre rise at the top of the rep, m.
        two_way: the rep goes to +range then to −range (cat–camel).
    """

    posture: str
    variant: str
    surface: str
    rest_label: Posture
    sign: float
    range_deg: tuple[float, float]
    hold_s: tuple[float, float]
    move_s: float
    lift_m: float = 0.0
    two_way: bool = False


SPECS: dict[str, ExerciseSpec] = {
    "pelvic_tilt": ExerciseSpec("lying", "supine", "floor", Posture.LYING, -1.0, (5, 15),
                                (0.0, 0.0), 1.5),
    "bridge": ExerciseSpec("lying", "supine", "floor", Posture.LYING, -1.0, (15, 30),
                           (2.0, 5.0), 2.0, lift_m=0.15),
    "cat_camel": ExerciseSpec("hands_knees", "", "", Posture.LYING, 1.0, (10, 20),
                              (0.5, 1.5), 2.5, two_way=True),
    "bird_dog": ExerciseSpec("hands_knees", "", "", Posture.LYING, 1.0, (2, 5),
                             (6.0, 10.0), 1.5),
    "standing_extension": ExerciseSpec("standing", "", "", Posture.STANDING, -1.0, (15, 30),
                                       (1.0, 2.0), 1.5),
    "prone_press_up": ExerciseSpec("lying", "prone", "floor", Posture.LYING, -1.0, (15, 30),
                                   (1.0, 2.0), 2.0, lift_m=0.03),
    "knee_to_chest": ExerciseSpec("lying", "supine", "floor", Posture.LYING, -1.0, (10, 20),
                                  (5.0, 15.0), 2.0),
}


def exercise_set(pl: Planner, act: Activity) -> None:
    """One set of ``act.exercise`` with its reps, tempo, range, holds, pauses and partial reps."""
    name = act.text("exercise")
    if name == "sit_to_stand":
        _sit_to_stand_set(pl, act)
        return
    spec = SPECS[name]
    rng = pl.rng
    go_to(pl, spec.posture, spec.variant, spec.surface)
    if spec.posture == "lying":
        # Work in the parameterisation where the exercise is a pure flexion change.
        pl.state.pose = reexpress_lying(pl.state.pose, np.pi / 2 if spec.variant == "prone"
                                        else -np.pi / 2)
    tempo = act.num("tempo", rng)
    # Posture labels say where the trunk is, as a lumbar sensor can tell: an exercise done
    # lying or on hands and knees keeps the trunk horizontal ("lying"); the exercise itself
    # is the exercise truth's business. A standing exercise moves the trunk: "other".
    b = pl.builder(Posture.LYING if spec.rest_label == Posture.LYING else Posture.OTHER)
    base = pl.state.pose.copy()
    t = 0.5
    reps: list[Rep] = []
    for i in range(int(act.num("reps", rng))):
        rng_deg = act.num("range_deg", rng) or float(rng.uniform(*spec.range_deg))
        partial = bool(rng.random() < act.num("partial_probability", rng))
        if partial:
            rng_deg *= 0.5
        hold = act.num("hold_s", rng)
        hold = float(rng.uniform(*spec.hold_s)) if hold < 0 else hold
        move = spec.move_s / tempo * float(rng.uniform(0.9, 1.1))
        start = t
        if name == "bird_dog":
            side = 1.0 if i % 2 == 0 else -1.0
            # Lifting an arm and the opposite leg tips the pelvis a little; the hold wobbles.
            b.move_to(LAT, t, move, float(base[LAT] + side * rng_deg * _DEG))
            for k in range(int(hold / 1.5)):
                b.move(HEAD, t + move + 1.5 * k, 1.5, float(rng.normal(0, 1.5)) * _DEG)
            b.move_to(LAT, t + move + hold, move, float(base[LAT]))
            b.move_to(HEAD, t + move + hold, move, float(base[HEAD]))
        elif spec.two_way:
            # Cat (flexion) and camel (extension) in one rep, holding each end.
            b.move_to(FLEX, t, move, float(base[FLEX] + rng_deg * _DEG))
            b.move_to(FLEX, t + move + hold, 2 * move, float(base[FLEX] - rng_deg * _DEG))
            b.move_to(FLEX, t + 3 * move + 2 * hold, move, float(base[FLEX]))
            t += 2 * move + hold
        else:
            b.move_to(FLEX, t, move, float(base[FLEX] + spec.sign * rng_deg * _DEG))
            if spec.lift_m:
                b.move_to(PZ, t, move, float(base[PZ] + spec.lift_m * rng_deg / 25.0))
                b.move_to(PZ, t + move + hold, move, float(base[PZ]))
            b.move_to(FLEX, t + move + hold, move, float(base[FLEX]))
        t += 2 * move + hold
        reps.append(Rep(pl.t_s + start, pl.t_s + t, spec.sign * rng_deg if name != "bird_dog"
                        else rng_deg, hold, partial))
        t += 0.5 / tempo
        if rng.random() < act.num("pause_probability", rng):
            t += float(rng.uniform(0.3, 1.0)) * act.num("pause_max_s", rng)
    end = t
    b.label(end, spec.rest_label)
    seg = pl.add(b.build(end + act.num("rest_s", rng)))
    seg.sets.append(ExerciseSet(name, seg.t0_s, seg.t0_s + end, tuple(reps)))


def _sit_to_stand_set(pl: Planner, act: Activity) -> None:
    rng = pl.rng
    go_to(pl, "sitting")
    tempo = act.num("tempo", rng)
    t0 = pl.t_s
    seated = float(np.rad2deg(pl.state.pose[FLEX]))
    reps: list[Rep] = []
    first = len(pl.segments)
    for _ in range(int(act.num("reps", rng))):
        flex = act.num("range_deg", rng) or float(rng.uniform(25, 40))
        partial = bool(rng.random() < act.num("partial_probability", rng))
        start = pl.t_s
        dur = float(rng.uniform(1.2, 1.8)) / tempo
        if partial:
            _half_rise(pl, 2 * dur, flex)
        else:
            sit_to_stand(pl, dur, flex)
            stand_to_sit(pl, dur, flex, float(rng.uniform(10, 25)))
        reps.append(Rep(start, pl.t_s, flex - seated, 0.0, partial))
        if rng.random() < act.num("pause_probability", rng):
            sitting_still(pl, float(rng.uniform(0.3, 1.0)) * act.num("pause_max_s", rng))
    end = pl.t_s
    sitting_still(pl, act.num("rest_s", rng))
    pl.segments[first].sets.append(ExerciseSet("sit_to_stand", t0, end, tuple(reps)))


def _half_rise(pl: Planner, duration_s: float, trunk_flex_deg: float) -> None:
    """A failed or partial stand: lean forward, lift the pelvis a little, sit back."""
    t = duration_s
    f0 = float(pl.state.pose[FLEX])
    z0 = float(pl.state.pose[PZ])
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, 0.4 * t, trunk_flex_deg * _DEG)
    b.move_to(PZ, 0.25 * t, 0.3 * t, z0 + 0.12)
    b.move_to(PZ, 0.55 * t, 0.4 * t, z0)
    b.move_to(FLEX, 0.5 * t, 0.5 * t, f0)
    pl.add(b.build(t), bend_eligible=True)
