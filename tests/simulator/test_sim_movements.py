"""Bends, lifts, twists, falls and sensor removal, with their events."""

from __future__ import annotations

import numpy as np
import pytest
from sim_factories import make

from processing.types import GRAVITY_MPS2, Posture
from simulator import SimResult, simulate
from simulator.rotations import quat_to_matrix
from simulator.scenarios import random_day


def _events(res: SimResult, kind: str) -> list:
    return res.truth.events_of(kind)


def test_bend_event_has_the_scripted_peak(mixed: SimResult) -> None:
    bends = [e for e in _events(mixed, "bend") if e.peak_deg > 60]
    assert any(e.peak_deg == pytest.approx(70, abs=4) for e in bends)
    for e in _events(mixed, "bend"):
        assert e.end_s > e.start_s


def test_lift_techniques_differ_in_pelvis_drop_and_flexion(mixed: SimResult) -> None:
    lifts = {e.technique: e for e in _events(mixed, "lift")}
    assert set(lifts) == {"stoop", "squat"}
    plan = mixed.plan
    drops = {}
    for tech, e in lifts.items():
        t = np.linspace(e.start_s, e.end_s, 300)
        pose = plan.body_pose(t)
        drops[tech] = pose[0, 5] - pose[:, 5].min()
        assert np.degrees(pose[:, 0].max()) == pytest.approx(e.peak_deg, abs=0.5)
    assert 0.3 <= drops["squat"] <= 0.5
    assert drops["stoop"] < 0.1
    assert lifts["stoop"].peak_deg > 45 > lifts["squat"].peak_deg


def test_twist_turns_the_pelvis_by_the_scripted_angle(mixed: SimResult) -> None:
    (e,) = _events(mixed, "twist")
    t = np.linspace(e.start_s, e.end_s, 300)
    heading = np.degrees(np.unwrap(mixed.plan.body_pose(t)[:, 2]))
    assert np.abs(heading - heading[0]).max() == pytest.approx(45, abs=0.5)


def test_lateral_bend_is_positive_to_the_right(mixed: SimResult) -> None:
    (e,) = _events(mixed, "lateral_bend")
    tl = mixed.truth.timeline
    assert tl is not None
    inside = (tl.t_s >= e.start_s) & (tl.t_s <= e.end_s)
    assert tl.lateral_deg[inside].max() == pytest.approx(20, abs=1.5)


def test_fall_has_an_impact_of_several_g_then_lying(mixed: SimResult) -> None:
    (e,) = _events(mixed, "fall")
    s = mixed.samples
    near = (s.t_s >= e.start_s) & (s.t_s <= e.end_s + 0.2)
    assert np.linalg.norm(s.acc_mps2[near], axis=1).max() > 3 * GRAVITY_MPS2
    tl = mixed.truth.timeline
    assert tl is not None
    after = (tl.t_s > e.end_s + 0.1) & (tl.t_s < e.end_s + 4)
    assert np.all(tl.posture[after] == Posture.LYING)
    assert np.median(tl.inclination_deg[after]) == pytest.approx(90, abs=3)


def test_sensor_removal_rests_on_a_table_and_remounts_differently(mixed: SimResult) -> None:
    (off,) = _events(mixed, "not_worn")
    tl, s = mixed.truth.timeline, mixed.samples
    assert tl is not None
    table = (s.t_s > off.start_s + 5) & (s.t_s < off.end_s - 5)
    assert np.all(tl.posture[table] == Posture.NOT_WORN)
    assert np.abs(np.linalg.norm(s.acc_mps2[table], axis=1) - GRAVITY_MPS2).max() < 1e-6
    assert np.abs(s.gyr_rads[table]).max() < 1e-9
    m = mixed.truth.mountings
    assert len(m) == 2
    assert m[0].end_s == pytest.approx(off.start_s) and m[1].start_s == pytest.approx(off.end_s)
    assert not np.allclose(m[0].quat_wxyz, m[1].quat_wxyz)


def test_mounting_is_respected(mixed: SimResult) -> None:
    """True sensor orientation = body orientation @ the mounting in force."""
    tl = mixed.truth.timeline
    assert tl is not None
    plan = mixed.plan
    for mount in mixed.truth.mountings:
        inside = (tl.t_s > mount.start_s + 1) & (tl.t_s < mount.end_s - 1)
        t = tl.t_s[inside][::50]
        _, _, r_be, _ = plan.sensor_pose(t)
        r_bs = quat_to_matrix(np.array([mount.quat_wxyz]))[0]
        r_se = quat_to_matrix(tl.quat_wxyz[inside][::50])
        np.testing.assert_allclose(r_be @ r_bs, r_se, atol=1e-6)


def test_nominal_mounting_points_sensor_x_up_when_standing() -> None:
    res = make([{"type": "standing", "duration_s": 5}], mounting={"mode": "nominal"})
    acc = res.samples.acc_mps2.mean(axis=0)
    assert acc[0] == pytest.approx(GRAVITY_MPS2, abs=0.1)


@pytest.fixture(scope="module")
def floor_and_bed() -> SimResult:
    """Down to hands and knees, prone, back up; then into bed and out of it."""
    return make(
        [
            {"type": "standing", "duration_s": 5},
            {"type": "exercise", "exercise": "bird_dog", "reps": 2},
            {"type": "exercise", "exercise": "prone_press_up", "reps": 2},
            {"type": "standing", "duration_s": 5},
            {"type": "lying", "duration_s": 10, "position": "supine", "surface": "bed"},
            {"type": "standing", "duration_s": 5},
        ]
    )


def test_getting_down_to_the_floor_and_up_are_bends_but_the_floor_is_not(
    floor_and_bed: SimResult,
) -> None:
    # Issue 3: a bend is flexion past the limit; the trunk really flexes getting down onto
    # the hands and up again, but resting horizontal (hands and knees, prone, moving
    # between them) is not bending, nor is rolling on the back in and out of bed.
    tl = floor_and_bed.truth.timeline
    assert tl is not None
    bends = _events(floor_and_bed, "bend")
    down_t = tl.t_s[np.argmax(tl.posture == Posture.LYING)]  # on hands and knees
    stand_t = tl.t_s[np.argmax((tl.t_s > down_t) & (tl.posture == Posture.STANDING))]

    def flex(t: float) -> float:
        return float(np.interp(t, tl.t_s, tl.flexion_deg))

    down = [e for e in bends if e.end_s <= down_t + 0.1]
    assert len(down) == 1
    assert flex(down[0].start_s) == pytest.approx(30, abs=1)
    assert flex(down[0].end_s) == pytest.approx(90, abs=1)  # until the hands are down
    getting_up = [e for e in bends if down_t < e.start_s < stand_t]
    assert len(getting_up) == 1  # from hands and knees, not prone: that was on the floor
    up = getting_up[0]
    assert flex(up.start_s) == pytest.approx(90, abs=1) and up.peak_deg == pytest.approx(90, abs=1)
    assert flex(up.end_s) == pytest.approx(25, abs=1)  # hysteresis: the bend ends 5° under
    for e in bends:  # never while lying or on hands and knees
        inside = (tl.t_s > e.start_s) & (tl.t_s < e.end_s)
        assert not np.any(tl.posture[inside] == Posture.LYING)


def test_a_true_bend_never_has_the_trunk_horizontal_but_not_face_down() -> None:
    # Getting out of bed rolls the trunk onto its side, where the flexion angle is singular
    # and can read past 90°: that is not bending forward (seed 21 has such a moment).
    sim = simulate(random_day(21, hours=0.5, mounting_mode="random"), seed=21)
    bends = _events(sim, "bend")
    assert len(bends) > 5
    for e in bends:
        _, _, r_be, _ = sim.plan.sensor_pose(np.linspace(e.start_s, e.end_s, 50))
        horizontal = r_be[:, 2, 2] < np.cos(np.radians(60))
        assert not np.any(horizontal & (r_be[:, 2, 0] > -0.5)), e  # body x: forward
