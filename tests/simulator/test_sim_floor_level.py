"""Stairs change the floor: seats, beds, the floor and falls are measured from the new one.

Regression: heights of postures were absolute, so after a flight up, sitting down,
kneeling or falling dropped the pelvis a whole storey (an 8 m "fall" reading 27 g).
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_factories import make

from processing.types import GRAVITY_MPS2, Posture
from simulator import SimResult
from simulator.gait import WalkingSegment
from simulator.kinematics import PZ
from simulator.segments import DetachedSegment

_UP = [{"type": "standing", "duration_s": 3.0},
       {"type": "stairs", "direction": "up", "count": 2, "steps": 12}]


def _z_m(res: SimResult, t_s: float) -> float:
    return float(res.plan.body_pose(np.array([t_s]))[0, PZ])


def _top_of_stairs(res: SimResult) -> tuple[float, float]:
    """End time (s) and pelvis height (m) of the last stair flight."""
    last = [s for s in res.plan.segments if isinstance(s, WalkingSegment)][-1]
    return last.t1_s, float(last.end_pose()[PZ])


def _segment_z_m(res: SimResult, label: Posture, after_s: float) -> float:
    """Pelvis height at the middle of the first segment labelled ``label`` after ``after_s``."""
    for seg in res.plan.segments:
        if seg.t0_s >= after_s and int(seg.labels(np.array([seg.t0_s]))[0]) == label:
            return _z_m(res, 0.5 * (seg.t0_s + seg.t1_s))
    raise AssertionError(f"no {label.name} segment after {after_s} s")


def _peak_g(res: SimResult) -> float:
    return float(np.linalg.norm(res.samples.acc_mps2, axis=1).max() / GRAVITY_MPS2)


def test_stairs_up_climb_a_storey() -> None:
    res = make([*_UP, {"type": "standing", "duration_s": 2.0}], seed=5, rate=100.0)
    _, z_top = _top_of_stairs(res)
    assert z_top - res.plan.person.stand_z_m > 3.0  # the premise of the tests below


@pytest.mark.parametrize("seed", [3, 5])
def test_sitting_upstairs_drops_only_to_the_seat(seed: int) -> None:
    res = make([*_UP, {"type": "sitting", "duration_s": 5.0},
                {"type": "standing", "duration_s": 2.0}], seed=seed, rate=100.0)
    t_top, z_top = _top_of_stairs(res)
    person = res.plan.person
    drop = z_top - _segment_z_m(res, Posture.SITTING, t_top)
    assert drop == pytest.approx(person.stand_z_m - person.seat_z_m, abs=0.02)
    assert drop < 1.0
    # Standing up again comes back to the upstairs standing height.
    assert _z_m(res, res.plan.duration_s) == pytest.approx(z_top, abs=0.02)
    assert _peak_g(res) < 3.0


def test_kneeling_and_lying_on_the_floor_upstairs() -> None:
    res = make([*_UP, {"type": "lying", "surface": "floor", "position": "supine",
                       "duration_s": 5.0},
                {"type": "standing", "duration_s": 2.0}], seed=4, rate=100.0)
    t_top, z_top = _top_of_stairs(res)
    person = res.plan.person
    level = z_top - person.stand_z_m
    assert _segment_z_m(res, Posture.LYING, t_top) == pytest.approx(
        level + person.floor_z_m, abs=0.02)
    assert _z_m(res, res.plan.duration_s) == pytest.approx(z_top, abs=0.02)
    assert _peak_g(res) < 3.0


def test_fall_upstairs_is_like_a_fall_on_level_ground() -> None:
    fall = [{"type": "fall", "direction": "forward", "lie_s": 3.0}]
    level = make([{"type": "standing", "duration_s": 3.0}, *fall], seed=3, rate=200.0)
    upstairs = make([*_UP, *fall], seed=3, rate=200.0)
    _, z_top = _top_of_stairs(upstairs)
    person = upstairs.plan.person
    drop = z_top - _z_m(upstairs, upstairs.plan.duration_s)
    assert drop == pytest.approx(person.stand_z_m - person.floor_z_m, abs=0.02)
    # The impact depends on the fall's random timing, not on which floor it happens on.
    assert _peak_g(upstairs) < 1.5 * _peak_g(level)
    assert _peak_g(upstairs) < 10.0


def test_up_and_down_again_is_back_on_the_ground_floor() -> None:
    res = make([{"type": "stairs", "direction": "up", "count": 1},
                {"type": "stairs", "direction": "down", "count": 1},
                {"type": "sitting", "duration_s": 5.0}], seed=6, rate=100.0)
    assert _z_m(res, res.plan.duration_s) == pytest.approx(res.plan.person.seat_z_m, abs=0.02)


def test_sensor_put_down_upstairs_stays_on_that_floor() -> None:
    res = make([*_UP, {"type": "not_worn", "duration_s": 20.0},
                {"type": "standing", "duration_s": 2.0}], seed=7, rate=100.0)
    _, z_top = _top_of_stairs(res)
    seg = next(s for s in res.plan.segments if isinstance(s, DetachedSegment))
    _, pos = seg.sensor_pose(np.array([0.5 * (seg.t0_s + seg.t1_s)]))
    level = z_top - res.plan.person.stand_z_m
    assert float(pos[0, 2]) == pytest.approx(level + 0.75, abs=0.05)
    assert _peak_g(res) < 3.0
