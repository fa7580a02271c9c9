"""Days without walking: the mounting from still postures (lying pairs) and forward bends;
walking with no standing next to it: the standing next to bends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from processing.mounting import bend_peaks, forward_from_peaks, upright_from_postures
from processing.pipeline import Analyzer, PipelineSettings, analyze_samples
from processing.results import concat_chunks
from processing.settings import MountingSettings
from processing.types import Posture
from simulator import SimResult, simulate
from simulator.rotations import quat_to_matrix
from simulator.scenarios import from_activities


def _deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


def _day(acts: list[dict[str, Any]], seed: int) -> SimResult:
    return simulate(from_activities(acts, mounting={"mode": "random"}), seed=seed)


def _found_and_true(sim: SimResult) -> tuple[Any, np.ndarray, np.ndarray]:
    res = analyze_samples(sim.samples, PipelineSettings(), sim.truth.sample_rate_hz)
    r = quat_to_matrix(np.asarray(sim.truth.mountings[0].quat_wxyz)[None])[0]
    # The body's axes seen from the sensor.
    return res, r.T @ [0.0, 0.0, 1.0], r.T @ [1.0, 0.0, 0.0]


# Lying (supine and prone) takes most of the still time: it is not upright, since its
# two orientations are opposite and people are never upside down.
LYING_DAY = [
    {"type": "standing", "duration_s": 60},
    {"type": "lying", "position": "supine", "duration_s": 200},
    {"type": "bend", "count": 2, "peak_deg": 60},
    {"type": "standing", "duration_s": 30},
    {"type": "lying", "position": "prone", "duration_s": 200},
    {"type": "sitting", "duration_s": 60},
]
# Lying on both sides and sitting outweigh standing; the bends are done standing.
SIDES_DAY = [
    {"type": "standing", "duration_s": 40},
    {"type": "bend", "count": 2, "peak_deg": 50},
    {"type": "lying", "position": "left", "duration_s": 150},
    {"type": "sitting", "duration_s": 150},
    {"type": "standing", "duration_s": 30},
    {"type": "twist", "count": 2},
    {"type": "lying", "position": "right", "duration_s": 150},
    {"type": "standing", "duration_s": 30},
    {"type": "bend", "count": 1, "peak_deg": 70},
    {"type": "standing", "duration_s": 20},
]


@pytest.mark.parametrize(("acts", "seed"), [(LYING_DAY, 61), (LYING_DAY, 62), (SIDES_DAY, 63),
                                            (SIDES_DAY, 64)])  # fmt: skip
def test_a_day_without_walking_finds_up_and_forward(acts: list[dict[str, Any]], seed: int) -> None:
    sim = _day(acts, seed)
    res, up, forward = _found_and_true(sim)
    found = res.mounting_changes[0].mounting
    assert found.source == "fallback"
    assert _deg(found.up, up) < 5.0
    # Forward within a few degrees, and so of the right sign: bends read as flexion.
    assert _deg(found.forward, forward) < 10.0
    tl = sim.truth.timeline
    upright = (tl.posture == Posture.STANDING) | (tl.posture == Posture.SITTING)
    err = res.flexion_deg[upright] - tl.flexion_deg[upright]
    assert np.sqrt(np.mean(err**2)) < 5.0
    for bend in sim.truth.events_of("bend"):
        during = (tl.t_s >= bend.start_s) & (tl.t_s <= bend.end_s)
        assert res.flexion_deg[during].max() > 30.0


def test_opposite_still_postures_are_lying() -> None:
    # Synthetic directions in body axes (x forward, z up): supine and prone outweigh standing.
    rng = np.random.default_rng(5)

    def spell(v: list[float], n: int) -> np.ndarray:
        u = np.tile(v, (n, 1)) + rng.normal(0, 0.01, (n, 3))
        return u / np.linalg.norm(u, axis=1, keepdims=True)

    bend = [-np.sin(np.radians(60)), 0.0, np.cos(np.radians(60))]
    ups = np.vstack([spell([0, 0, 1], 500), spell([1, 0, 0], 4000), spell([0, 0, 1], 200),
                     spell(bend, 100), spell([0, 0, 1], 200), spell([-1, 0, 0], 4000),
                     spell([0, 0, 1], 300)])  # fmt: skip
    motion = np.full(len(ups), 0.01)
    motion[4700:4800] = 1.0  # the bend moves
    found = upright_from_postures(ups, motion, rate_hz=100.0)
    assert found is not None
    up, forward, consistency = found
    assert _deg(up, np.array([0.0, 0, 1])) < 2.0
    assert _deg(forward, np.array([1.0, 0, 0])) < 5.0
    assert consistency > 0.9


def test_lying_down_is_no_bend() -> None:
    # Lying down (resting horizontal, briefly or long) gives no bend peak; a bend does,
    # even when held still (a stoop held at 53 deg, short of lying).
    n = 8000
    ups = np.tile([0.0, 0, 1], (n, 1))
    ups[500:4500] = [1.0, 0, 0]  # lying on the back for 40 s
    ups[5000:6000] = [0.0, 1.0, 0]  # on the side for 10 s
    ups[7000:7500] = [-0.8, 0, 0.6]  # a 5 s stoop to 53 deg
    motion = np.full(n, 0.01)
    peaks = bend_peaks(ups, motion, np.array([0.0, 0, 1]), rate_hz=100.0)
    assert len(peaks) == 1
    forward, _ = forward_from_peaks(peaks, np.array([0.0, 0, 1]))
    assert _deg(forward, np.array([1.0, 0, 0])) < 1.0


@pytest.mark.parametrize("pending_s", [1800.0, 100.0])
def test_the_fallback_is_the_same_however_chunked(pending_s: float) -> None:
    # 100 s: the time limit passes while the stream goes on, at a chunk edge or not.
    settings = PipelineSettings(mounting=MountingSettings(max_pending_s=pending_s))
    sim = _day(LYING_DAY, 65)
    offline = analyze_samples(sim.samples, settings, 100.0)
    for chunks in (0, 1):
        an = Analyzer(settings, 100.0)
        sizes = np.random.default_rng(chunks).integers(1, 3000, 2000)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        parts = [an.update(sim.samples.slice(int(a), int(a + n))) for a, n in zip(starts, sizes,
                 strict=True) if a < len(sim.samples)]  # fmt: skip
        streamed = concat_chunks([*parts, an.finish()])
        np.testing.assert_array_equal(streamed.flexion_deg, offline.flexion_deg)
        assert len(streamed.mounting_changes) == len(offline.mounting_changes) == 1
        for a, b in zip(streamed.mounting_changes, offline.mounting_changes, strict=True):
            assert a.mounting.source == b.mounting.source == "fallback"
            np.testing.assert_array_equal(a.mounting.up, b.mounting.up)
            np.testing.assert_array_equal(a.mounting.forward, b.mounting.forward)


# Walking with sitting on both sides: no standing next to it; the person stands for the
# lifts and bends later on. Walking leans the pelvis forward a few degrees: alone, it
# would read standing as leaning back all day.
NO_STANDING_NEXT_TO_WALKING = [
    {"type": "sitting", "duration_s": 60},
    {"type": "walking", "duration_s": 60},
    {"type": "sitting", "duration_s": 120},
    {"type": "standing", "duration_s": 60},
    {"type": "lift", "count": 2, "technique": "stoop"},
    {"type": "standing", "duration_s": 60},
    {"type": "bend", "count": 2, "peak_deg": 60},
    {"type": "sitting", "duration_s": 60},
]


@pytest.mark.parametrize("seed", [72, 73])
def test_standing_next_to_bends_sets_the_upright_reference(seed: int) -> None:
    sim = _day(NO_STANDING_NEXT_TO_WALKING, seed)
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0)
    assert [c.mounting.source for c in res.mounting_changes] == ["walking+standing"]
    tl = sim.truth.timeline
    standing = tl.posture == Posture.STANDING
    err = res.flexion_deg[standing] - tl.flexion_deg[standing]
    assert np.sqrt(np.mean(err**2)) < 1.5
