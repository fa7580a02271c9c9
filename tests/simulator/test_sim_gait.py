"""Walking: steps, cadence, speed and the pelvis motion of an inverted pendulum."""

from __future__ import annotations

import numpy as np
import pytest
from sim_factories import make

from processing.types import Posture
from simulator.gait import step_frequency_for_speed


@pytest.mark.parametrize("speed", [0.4, 1.0, 1.6])
def test_step_count_is_cadence_times_time(speed: float) -> None:
    res = make([{"type": "walking", "duration_s": 60, "speed_mps": speed}], rate=50.0)
    f = step_frequency_for_speed(speed)
    # Contacts are counted from half-way through the 1 s speed ramps.
    expected = (60 - 1.0) * f
    assert res.truth.steps_s.shape[0] == pytest.approx(expected, rel=0.06)
    intervals = np.diff(res.truth.steps_s)
    assert np.median(intervals) == pytest.approx(1 / f, rel=0.03)
    assert 0.01 < np.std(intervals) / np.mean(intervals) < 0.06


def test_walking_covers_the_scripted_distance() -> None:
    res = make([{"type": "walking", "duration_s": 40, "speed_mps": 1.2}])
    seg = res.plan.segments[0]
    start = seg.pose(np.array([seg.t0_s]))[0]
    end = seg.end_pose()
    dist = np.hypot(*(end[3:5] - start[3:5]))
    assert dist == pytest.approx(1.2 * (40 - 1.0), rel=0.03)


def test_vertical_acceleration_oscillates_at_step_frequency() -> None:
    res = make([{"type": "walking", "duration_s": 40, "speed_mps": 1.2}], rate=100.0)
    tl = res.truth.timeline
    assert tl is not None
    from simulator.rotations import quat_to_matrix

    r = quat_to_matrix(tl.quat_wxyz)
    vert = np.einsum("nij,nj->ni", r, res.samples.acc_mps2)[:, 2] - 9.80665
    mid = (tl.t_s > 5) & (tl.t_s < 35)
    v = vert[mid] - vert[mid].mean()
    spec = np.abs(np.fft.rfft(v))
    freqs = np.fft.rfftfreq(v.shape[0], 0.01)
    peak = freqs[np.argmax(spec[freqs > 0.5]) + np.sum(freqs <= 0.5)]
    assert peak == pytest.approx(step_frequency_for_speed(1.2), rel=0.05)
    assert 1.5 < np.std(v) < 6.0  # m/s², typical lower-back walking


def test_turns_change_the_heading() -> None:
    res = make([{"type": "walking", "duration_s": 30, "turns_deg": [90]}])
    seg = res.plan.segments[0]
    h0 = seg.pose(np.array([seg.t0_s]))[0, 2]
    assert np.degrees(seg.end_pose()[2] - h0) == pytest.approx(90, abs=1e-6)


def test_stairs_climb_the_flight_and_are_walking() -> None:
    res = make([{"type": "stairs", "count": 1, "steps": 12, "rise_m": 0.17}])
    seg = res.plan.segments[0]
    rise = seg.end_pose()[5] - seg.pose(np.array([seg.t0_s]))[0, 5]
    # The hips rise one step less than the flight: the first step starts on the floor.
    assert rise == pytest.approx(12 * 0.17, rel=0.1)
    assert res.truth.posture_seconds[Posture.WALKING.label] > 5
    assert res.truth.steps_s.shape[0] == pytest.approx(12, abs=1)
