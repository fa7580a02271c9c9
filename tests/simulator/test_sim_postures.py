"""Postures, transitions and their labels follow the script."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sim_factories import make

from processing.types import Posture
from simulator import SimResult


@pytest.fixture(scope="module")
def day() -> SimResult:
    return make(
        [
            {"type": "standing", "duration_s": 40},
            {"type": "walking", "duration_s": 60, "speed_mps": 1.0},
            {"type": "sitting", "duration_s": 50, "pelvis_tilt_deg": 18, "lean_every_s": 0},
            {"type": "lying", "duration_s": 30, "position": "supine"},
            {"type": "lying", "duration_s": 30, "position": "prone"},
            {"type": "lying", "duration_s": 30, "position": "right"},
        ],
        rate=50.0,
    )


def _seconds(res: SimResult, p: Posture) -> float:
    return res.truth.posture_seconds[p.label]


def test_posture_durations_match_the_script(day: SimResult) -> None:
    assert _seconds(day, Posture.STANDING) == pytest.approx(40, abs=0.5)
    assert _seconds(day, Posture.WALKING) == pytest.approx(60, abs=0.5)
    assert _seconds(day, Posture.SITTING) == pytest.approx(50, abs=0.5)
    # Lying includes rolls between positions (labelled lying) and the last second of lying down.
    assert 90 <= _seconds(day, Posture.LYING) <= 110
    assert 3 <= _seconds(day, Posture.OTHER) <= 20


def _at(day: SimResult, posture: Posture) -> np.ndarray:
    tl = day.truth.timeline
    assert tl is not None
    return tl.posture == posture


def test_sitting_tilts_the_pelvis_back(day: SimResult) -> None:
    tl = day.truth.timeline
    assert tl is not None
    sit = _at(day, Posture.SITTING)
    assert np.median(tl.flexion_deg[sit]) == pytest.approx(-18, abs=1.5)


def test_standing_is_near_upright(day: SimResult) -> None:
    tl = day.truth.timeline
    assert tl is not None
    stand = _at(day, Posture.STANDING)
    assert np.percentile(tl.inclination_deg[stand], 95) < 10


def test_lying_positions_have_the_conventional_angles(day: SimResult) -> None:
    tl = day.truth.timeline
    assert tl is not None
    t = tl.t_s
    lying_t = t[_at(day, Posture.LYING)]
    start = lying_t[0]

    # Sample the middle of each scripted lying bout.
    def at(time_s: float) -> tuple[float, float, float]:
        i = int(np.searchsorted(t, time_s))
        return tl.flexion_deg[i], tl.lateral_deg[i], tl.inclination_deg[i]

    f, lat, inc = at(start + 15)
    assert (f, lat, inc) == pytest.approx((-90, 0, 90), abs=3)
    inc_all = tl.inclination_deg[_at(day, Posture.LYING)]
    assert np.percentile(inc_all, 5) > 80
    f, lat, inc = at(t[-1] - 5)
    assert lat == pytest.approx(90, abs=3)  # right side down
    assert inc == pytest.approx(90, abs=3)


def test_stand_to_sit_drops_the_pelvis_and_flexes_the_trunk_first(day: SimResult) -> None:
    plan = day.plan
    seg = next(s for s in plan.segments if s.labels(np.array([s.t0_s]))[0] == Posture.OTHER)
    t = np.linspace(seg.t0_s, seg.t1_s, 200)
    pose = plan.body_pose(t)
    drop = pose[0, 5] - pose[-1, 5]
    assert 0.39 <= drop <= 0.49
    assert 20 <= np.degrees(pose[:, 0].max()) <= 45
    assert 1.5 <= seg.duration_s <= 3.0


def test_segments_are_contiguous_and_join_at_rest(day: SimResult) -> None:
    segs = day.plan.segments
    for a, b in itertools.pairwise(segs):
        assert a.t1_s == pytest.approx(b.t0_s)
        np.testing.assert_allclose(a.end_pose()[3:], b.pose(np.array([b.t0_s]))[0][3:], atol=1e-9)
