"""How the sensor is worn: found from walking in any rotation, re-found after re-attachment."""

from __future__ import annotations

import numpy as np
import pytest

from processing.angles import trunk_angles
from processing.mounting import (
    Mounting,
    dominant_up,
    forward_from_bends,
    forward_from_pendulum,
    standing_samples,
)
from processing.pipeline import PipelineSettings, analyze_samples
from processing.types import Posture
from simulator import simulate
from simulator.scenarios import from_activities


def _rot(axis: np.ndarray, deg: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    a = np.radians(deg)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def test_angles_follow_the_documented_convention() -> None:
    m = Mounting(np.array([0.0, 0, 1]), np.array([1.0, 0, 0]), "test")
    f, lat = np.radians(30.0), np.radians(-12.0)
    u = np.array([[-np.sin(f) * np.cos(lat), np.sin(lat), np.cos(f) * np.cos(lat)]])
    ang = trunk_angles(u, m)
    assert ang.flexion_deg[0] == pytest.approx(30.0)
    assert ang.lateral_deg[0] == pytest.approx(-12.0)
    assert ang.inclination_deg[0] == pytest.approx(np.degrees(np.arccos(u[0, 2])))


def test_pendulum_cue_points_forward() -> None:
    # Inverted pendulum: forward acceleration is minus the vertical velocity, so
    # the pendulum product summed over walking points backward.
    rng = np.random.default_rng(0)
    forward = np.array([0.0, 0.6, 0.8])
    up = np.array([1.0, 0.0, 0.0])
    phase = np.linspace(0, 40 * np.pi, 4000)
    vz = np.sin(phase)
    a_fwd = -vz + rng.normal(0, 0.5, len(phase))
    a_side = rng.normal(0, 1.0, len(phase))
    side = np.cross(up, forward)
    ah = a_fwd[:, None] * forward + a_side[:, None] * side
    f, corr = forward_from_pendulum(up, (ah * vz[:, None]).sum(0), float((ah**2).sum()),
                                    float((vz**2).sum()))  # fmt: skip
    assert np.degrees(np.arccos(f @ forward)) < 5
    assert corr > 0.2


def test_dominant_up_and_bends() -> None:
    rng = np.random.default_rng(1)
    up = np.array([0.0, 0.0, 1.0])
    still = np.tile(up, (3000, 1)) + rng.normal(0, 0.01, (3000, 3))
    sitting = np.tile([0.2, 0, 0.98], (1000, 1))  # tilted back (body x forward)
    bend = np.tile([-0.6, 0, 0.8], (300, 1))  # bending forward: up tilts back in the body
    ups = np.vstack([still, sitting, bend])
    ups /= np.linalg.norm(ups, axis=1, keepdims=True)
    motion = np.concatenate([np.full(4000, 0.01), np.full(300, 0.5)])
    found = dominant_up(ups, motion)
    assert np.degrees(np.arccos(found @ up)) < 2
    fwd, consistency = forward_from_bends(ups, motion, found)
    assert np.degrees(np.arccos(fwd @ [1.0, 0, 0])) < 5
    assert consistency > 0.9


def test_standing_next_to_walking_sets_the_upright_reference() -> None:
    n = 3000
    walk = np.zeros(n, bool)
    walk[1000:2000] = True
    lean = np.array([-np.sin(np.radians(4)), 0, np.cos(np.radians(4))])
    ups = np.tile([0.0, 0, 1], (n, 1))
    ups[walk] = lean
    motion = np.where(walk, 1.0, 0.02)
    tilt = np.where(walk, 0.3, 0.01)
    sel = standing_samples(ups, motion, tilt, walk, lean, rate_hz=100.0)
    # Within 10 s before and after the walk, and nothing else.
    assert sel[0:1000].all() and sel[2000:3000].all() and not sel[1000:2000].any()
    # Sitting down right after walking (a fast tilt) ends the standing there.
    tilt2 = tilt.copy()
    tilt2[2100:2200] = 1.0
    sel2 = standing_samples(ups, motion, tilt2, walk, lean, rate_hz=100.0)
    assert sel2[2000:2100].all() and not sel2[2200:].any()


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_any_mounting_is_found_from_walking(seed: int) -> None:
    scenario = from_activities(
        [
            {"type": "standing", "duration_s": 20},
            {"type": "walking", "duration_s": 60, "speed_mps": 0.8},
            {"type": "standing", "duration_s": 20},
            {"type": "sitting", "duration_s": 60},
            {"type": "standing", "duration_s": 20},
            {"type": "bend", "peak_deg": 50},
            {"type": "standing", "duration_s": 20},
        ],
        mounting={"mode": "random"},
    )
    sim = simulate(scenario, seed=seed)
    res = analyze_samples(sim.samples, PipelineSettings(), sim.truth.sample_rate_hz)
    tl = sim.truth.timeline
    upright = tl.posture != Posture.LYING
    # Two minutes with 40 s of standing, whose weight shifts (2° SD) are all the reference
    # can average here; a whole day averages far more (tests/processing/test_accuracy_sim.py).
    err = res.flexion_deg[upright] - tl.flexion_deg[upright]
    assert np.sqrt(np.mean(err**2)) < 2.5
    lat_err = res.lateral_deg[upright] - tl.lateral_deg[upright]
    assert np.sqrt(np.mean(lat_err**2)) < 2.5
    assert res.mounting_changes[0].mounting.source.startswith("walking")
