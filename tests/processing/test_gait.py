"""Step detection: counts at slow and fast gait, streaming equality, gaps, no false steps."""

from __future__ import annotations

import numpy as np
import pytest

from processing.features import FeatureExtractor
from processing.gait import GaitSettings, StepDetector
from processing.orientation import OrientationEstimator, OrientationSettings
from processing.pipeline import PipelineSettings, analyze_samples
from processing.types import ImuSamples
from simulator import simulate
from simulator.scenarios import walking
from spinewatch.errors import ConfigError

RATE = 100.0


def _vertical(samples: ImuSamples, rate: float = RATE) -> np.ndarray:
    o = OrientationEstimator(OrientationSettings(), rate).update(samples)
    return FeatureExtractor(rate).update(o.quat, samples.acc_mps2, samples.gyr_rads).vert_acc_mps2


def _detect(x: np.ndarray, sizes: list[int] | None = None, gaps: np.ndarray | None = None):
    det = StepDetector(GaitSettings(), RATE)
    steps = []
    i = 0
    for n in sizes or [len(x)]:
        g = None if gaps is None else gaps[i : i + n]
        steps.append(det.update(x[i : i + n], g).step_index)
        i += n
    steps.append(det.finish().step_index)
    return np.concatenate(steps), det


@pytest.mark.parametrize("speed_mps", [0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6])
def test_step_count_within_three_percent(speed_mps: float) -> None:
    sim = simulate(walking(speed_mps, 90.0), seed=int(speed_mps * 10))
    res = analyze_samples(sim.samples, PipelineSettings(), sim.truth.sample_rate_hz)
    true = sim.truth.steps_s
    assert abs(len(res.steps_t_s) - len(true)) <= max(1, 0.03 * len(true))
    # Each detected step is a real foot contact, not a count that happens to match.
    nearest = np.min(np.abs(res.steps_t_s[:, None] - true[None, :]), axis=1)
    assert np.median(nearest) < 0.15


def test_streaming_equals_offline_for_any_chunking() -> None:
    sim = simulate(walking(0.5, 40.0), seed=7)
    x = _vertical(sim.samples)
    whole, _ = _detect(x)
    rng = np.random.default_rng(1)
    for _ in range(5):
        sizes = list(rng.integers(1, 300, size=len(x)))
        parts, _ = _detect(x, sizes)
        np.testing.assert_array_equal(parts, whole)
    assert len(whole) > 30


def test_walking_mask_spans_the_steps() -> None:
    sim = simulate(walking(1.0, 30.0, stand_s=10.0), seed=2)
    x = _vertical(sim.samples)
    steps, det = _detect(x)
    mask = det.walking_mask(0, len(x))
    assert mask[steps].all()
    assert not mask[: int(5 * RATE)].any()  # standing still before walking
    assert not mask[-int(5 * RATE) :].any()


def test_a_gap_breaks_a_run() -> None:
    sim = simulate(walking(1.0, 20.0), seed=3)
    x = _vertical(sim.samples)
    gaps = np.zeros(len(x), dtype=bool)
    cut = len(x) // 2
    gaps[cut] = True
    steps, det = _detect(x, gaps=gaps)
    mask = det.walking_mask(0, len(x))
    # The bout ends before the gap and a new one starts after it: the gap is not walked over.
    assert not (mask[cut - 1] and mask[cut] and any(a < cut < b for a, b in det._bouts))
    assert len(steps) > 20


def test_isolated_bumps_and_stillness_are_not_steps() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.02, int(60 * RATE))
    for t in (5.0, 17.0, 31.0):  # three knocks, far apart
        x[int(t * RATE)] = 3.0
    steps, _ = _detect(x)
    assert len(steps) == 0


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="min_step_interval_s"):
        GaitSettings(min_step_interval_s=2.0, max_step_interval_s=1.0)
