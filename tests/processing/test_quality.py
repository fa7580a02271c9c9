"""Gap and saturation checks: known cases, and streaming equal to offline."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from processing.quality import (
    Gap,
    GapDetector,
    QualitySettings,
    SaturationDetector,
    find_gaps,
    find_saturation,
)
from processing.types import GRAVITY_MPS2
from spinewatch.errors import InputDataError

CLIP_ACC = 4 * GRAVITY_MPS2
CLIP_GYR = np.deg2rad(500.0)


def random_cuts(n: int, rng: np.random.Generator) -> list[int]:
    """Chunk borders for n samples, with empty and single-sample chunks mixed in."""
    k = int(rng.integers(0, min(n, 40) + 1))
    inner = np.sort(rng.integers(0, n + 1, size=k))
    return [0, *inner.tolist(), n]


def gappy_times(n: int, rng: np.random.Generator, rate_hz: float = 100.0) -> np.ndarray:
    dt = np.full(n, 1 / rate_hz) * rng.uniform(0.8, 1.2, n)  # jitter stays below 1.5
    holes = rng.random(n) < 0.03
    dt[holes] *= rng.integers(2, 50, size=int(holes.sum()))
    return np.cumsum(dt)


def clipping_signal(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Signals whose values repeat often, so that runs of every length occur."""
    acc = rng.normal(0, 5, (n, 3))
    gyr = rng.normal(0, 1, (n, 3))
    for arr, clip in ((acc, CLIP_ACC), (gyr, CLIP_GYR)):
        for axis in range(3):
            starts = rng.integers(0, n, size=max(n // 40, 1))
            for s in starts.tolist():
                length = int(rng.integers(1, 8))
                arr[s : s + length, axis] = clip * rng.choice([-1.0, 1.0])
    return acc, gyr


# ------------------------------------------------------------------------ gaps


def test_find_gaps_known_case() -> None:
    t = np.array([0.0, 0.01, 0.02, 0.05, 0.06, 0.0749, 0.1, 0.11])
    result = find_gaps(t, 100.0)
    assert result.after_gap.tolist() == [False, False, False, True, False, False, True, False]
    assert [(g.start_s, g.end_s, g.missing_samples) for g in result.gaps] == [
        (0.02, 0.05, 2),
        (0.0749, 0.1, 2),
    ]
    assert result.gaps[0].duration_s == pytest.approx(0.03)


def test_jitter_is_not_a_gap() -> None:
    t = np.arange(1000) / 100 + np.random.default_rng(0).uniform(-0.002, 0.002, 1000)
    assert find_gaps(t, 100.0).gaps == ()


def test_gap_factor_setting() -> None:
    t = np.array([0.0, 0.01, 0.03])
    assert len(find_gaps(t, 100.0).gaps) == 1
    assert len(find_gaps(t, 100.0, QualitySettings(gap_factor=2.5)).gaps) == 0


def test_short_inputs() -> None:
    assert find_gaps(np.empty(0), 100.0).after_gap.shape == (0,)
    assert find_gaps(np.array([3.0]), 100.0).gaps == ()


@pytest.mark.parametrize("seed", range(20))
def test_gap_streaming_equals_offline(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 2000))
    t = gappy_times(n, rng)
    offline = find_gaps(t, 100.0)
    detector = GapDetector(100.0)
    cuts = random_cuts(n, rng)
    flags: list[np.ndarray] = []
    gaps: list[Gap] = []
    for a, b in itertools.pairwise(cuts):
        part = detector.update(t[a:b])
        assert part.after_gap.shape == (b - a,)
        flags.append(part.after_gap)
        gaps.extend(part.gaps)
    np.testing.assert_array_equal(np.concatenate(flags), offline.after_gap)
    assert tuple(gaps) == offline.gaps
    assert detector.gap_count == len(offline.gaps)
    assert detector.missing_samples == sum(g.missing_samples for g in offline.gaps)


# ------------------------------------------------------------------ saturation


def test_runs_at_a_clipping_value() -> None:
    n = 40
    acc = np.tile([0.5, 0.0, GRAVITY_MPS2], (n, 1))
    gyr = np.zeros((n, 3))
    acc[5:9, 0] = CLIP_ACC  # 4 samples: clipping
    acc[20:23, 1] = -CLIP_ACC  # 3 samples: too short
    acc[30:36, 2] = -CLIP_ACC  # 6 samples, negative side
    gyr[10:16, 2] = CLIP_GYR
    result = find_saturation(acc, gyr)
    assert np.flatnonzero(result.acc_saturated).tolist() == [5, 6, 7, 8, 30, 31, 32, 33, 34, 35]
    assert np.flatnonzero(result.gyr_saturated).tolist() == list(range(10, 16))
    assert (result.acc_count, result.gyr_count, len(result)) == (10, 6, n)


def test_resting_at_1g_is_not_clipping() -> None:
    # A quantised sensor at rest repeats its 1 g reading: below the floor.
    acc = np.tile([0.0, 0.0, GRAVITY_MPS2], (500, 1))
    result = find_saturation(acc, np.zeros((500, 3)))
    assert result.acc_count == 0 and result.gyr_count == 0


def test_run_needs_the_same_value() -> None:
    acc = np.zeros((10, 3))
    acc[:, 0] = np.linspace(20.0, 30.0, 10)  # large but changing
    assert find_saturation(acc, np.zeros((10, 3))).acc_count == 0


def test_configured_full_scale_flags_single_samples() -> None:
    settings = QualitySettings(acc_full_scale_mps2=CLIP_ACC, gyr_full_scale_rads=CLIP_GYR)
    acc = np.zeros((10, 3))
    gyr = np.zeros((10, 3))
    acc[3, 1] = -CLIP_ACC * 0.999  # within the tolerance
    acc[6, 0] = CLIP_ACC * 0.9  # clearly below
    gyr[8, 0] = CLIP_GYR
    result = find_saturation(acc, gyr, settings)
    assert np.flatnonzero(result.acc_saturated).tolist() == [3]
    assert np.flatnonzero(result.gyr_saturated).tolist() == [8]


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("full_scale", [False, True])
def test_saturation_streaming_equals_offline(seed: int, full_scale: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 1500))
    acc, gyr = clipping_signal(n, rng)
    settings = QualitySettings(
        saturation_min_run=int(rng.integers(2, 7)),
        acc_full_scale_mps2=CLIP_ACC if full_scale else None,
    )
    offline = find_saturation(acc, gyr, settings)
    detector = SaturationDetector(settings)
    cuts = random_cuts(n, rng)
    parts = [detector.update(acc[a:b], gyr[a:b]) for a, b in itertools.pairwise(cuts)]
    parts.append(detector.finish())
    expected_start = 0
    for part in parts:
        assert part.start_index == expected_start
        # Output lags the input by less than one run.
        expected_start += len(part)
    assert expected_start == n
    np.testing.assert_array_equal(
        np.concatenate([p.acc_saturated for p in parts]), offline.acc_saturated
    )
    np.testing.assert_array_equal(
        np.concatenate([p.gyr_saturated for p in parts]), offline.gyr_saturated
    )
    assert (detector.acc_count, detector.gyr_count) == (offline.acc_count, offline.gyr_count)


def test_streaming_delay_is_bounded() -> None:
    settings = QualitySettings(saturation_min_run=5)
    detector = SaturationDetector(settings)
    acc = np.zeros((3, 3))
    acc[:, 0] = CLIP_ACC
    first = detector.update(acc, np.zeros((3, 3)))
    assert len(first) == 0  # the run might still become clipping
    second = detector.update(acc[:2], np.zeros((2, 3)))
    assert second.start_index == 0 and second.acc_saturated.tolist() == [True] * 5
    third = detector.update(np.zeros((4, 3)), np.zeros((4, 3)))
    assert len(third) == 4 and third.acc_count == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"gap_factor": 0.5},
        {"saturation_min_run": 1},
        {"acc_full_scale_mps2": -1.0},
        {"gyr_saturation_floor_rads": float("nan")},
        {"full_scale_tolerance": 0.9},
    ],
)
def test_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputDataError):
        QualitySettings(**kwargs)  # type: ignore[arg-type]


def test_bad_arrays() -> None:
    with pytest.raises(InputDataError):
        find_gaps(np.zeros((3, 2)), 100.0)
    with pytest.raises(InputDataError):
        find_gaps(np.zeros(3), 0.0)
    with pytest.raises(InputDataError):
        find_saturation(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(InputDataError):
        SaturationDetector().update(np.zeros((3, 3)), np.zeros((4, 3)))
