"""How the sensor is worn: found from walking in any rotation, re-found after re-attachment."""

from __future__ import annotations

import numpy as np
import pytest

from processing.angles import trunk_angles
from processing.event_types import Phase
from processing.mounting import (
    Mounting,
    MountingSettings,
    dominant_up,
    forward_from_bends,
    forward_from_pendulum,
    standing_samples,
)
from processing.pipeline import Analyzer, PipelineSettings, analyze_samples
from processing.types import Posture
from simulator import simulate
from simulator.rotations import quat_to_matrix
from simulator.scenarios import from_activities
from spinewatch.errors import ConfigError
from spinewatch.profiles import load_profile


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


def _nominal_day():
    acts = [
        {"type": "standing", "duration_s": 30},
        {"type": "bend", "count": 3, "peak_deg": 60, "hold_s": 4},
        {"type": "sitting", "duration_s": 60},
        {"type": "walking", "duration_s": 60},
        {"type": "standing", "duration_s": 20},
    ]
    sim = simulate(from_activities(acts, mounting={"mode": "random"}), seed=2)
    r = quat_to_matrix(np.asarray(sim.truth.mountings[0].quat_wxyz)[None])[0]
    # The body's axes seen from the sensor: what a device profile states for its holder.
    return sim, tuple(r.T @ [0.0, 0, 1]), tuple(r.T @ [1.0, 0, 0])


def _first_bend_out_s(sim, settings: PipelineSettings) -> float:
    """Stream time (s) at which the first bend alert could leave: its OPENED notice."""
    an = Analyzer(settings, 100.0, load_profile("fusion_weeks_0_6"))
    for i in range(0, len(sim.samples), 10):
        out = an.update(sim.samples.slice(i, i + 10))
        if any(n.event.type == "bend" and n.phase is Phase.OPENED for n in out.events):
            return float(sim.samples.t_s[min(i + 9, len(sim.samples) - 1)])
    return float("inf")


def test_a_nominal_mounting_gives_alerts_before_any_walking() -> None:
    sim, up, forward = _nominal_day()
    tl = sim.truth.timeline
    walking_starts = float(tl.t_s[np.argmax(tl.posture == Posture.WALKING)])
    nominal = PipelineSettings(
        mounting=MountingSettings(nominal_up_axis=up, nominal_forward_axis=forward)
    )
    first_bend = min(e.start_s for e in sim.truth.events_of("bend"))
    # Hold 3 s: the alert leaves as the hold completes, not after the walking.
    assert _first_bend_out_s(sim, nominal) < first_bend + 5.0
    assert _first_bend_out_s(sim, PipelineSettings()) > walking_starts
    res = analyze_samples(sim.samples, nominal, 100.0)
    err = res.flexion_deg - tl.flexion_deg
    assert np.sqrt(np.nanmean(err**2)) < 2.0
    assert res.mounting_changes[0].mounting.source == "nominal"


@pytest.mark.parametrize(
    ("up", "forward", "message"),
    [
        ((0.0, 0.0, 1.0), None, "both axes"),
        ((0.0, 0.0, 2.0), (1.0, 0.0, 0.0), "unit vectors"),
        ((0.0, 0.0, 1.0), (0.0, 0.6, 0.8), "right angles"),
    ],
)
def test_a_wrong_nominal_mounting_is_a_clear_error(up, forward, message) -> None:
    with pytest.raises(ConfigError, match=message):
        MountingSettings(nominal_up_axis=up, nominal_forward_axis=forward)


def test_walking_replaces_a_nominal_mounting_that_is_wrong() -> None:
    # The holder was clipped on turned a quarter round: the nominal forward is wrong.
    acts = [
        {"type": "standing", "duration_s": 20},
        {"type": "walking", "duration_s": 60},
        {"type": "standing", "duration_s": 330},
        {"type": "bend", "count": 3, "peak_deg": 50, "hold_s": 2},
    ]
    sim = simulate(from_activities(acts, mounting={"mode": "random"}), seed=4)
    r = quat_to_matrix(np.asarray(sim.truth.mountings[0].quat_wxyz)[None])[0]
    up, wrong_forward = r.T @ [0.0, 0, 1], r.T @ [0.0, 1, 0]
    settings = PipelineSettings(
        mounting=MountingSettings(
            nominal_up_axis=tuple(up), nominal_forward_axis=tuple(wrong_forward)
        )
    )
    res = analyze_samples(sim.samples, settings, 100.0)
    sources = [c.mounting.source for c in res.mounting_changes]
    assert sources == ["nominal", "walking+standing"], sources
    after = res.t_s >= res.mounting_changes[1].t_s
    err = (res.flexion_deg - sim.truth.timeline.flexion_deg)[after]
    assert np.sqrt(np.nanmean(err**2)) < 2.0
