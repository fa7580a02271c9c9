"""The streaming analyser gives the offline result however the stream is chunked."""

from __future__ import annotations

import numpy as np
import pytest

from processing.pipeline import Analyzer, PipelineSettings, analyze_samples
from processing.results import AnalysisChunk, concat_chunks
from processing.types import ImuSamples
from simulator import simulate
from simulator.scenarios import random_day
from spinewatch.profiles import load_profile

# A short hold, so that the brief bends of this day become events to compare.
PROFILE = load_profile("fusion_weeks_0_6", {"flexion_hold_s": 0.5})


def _stream(samples: ImuSamples, rate: float, sizes: np.ndarray) -> AnalysisChunk:
    an = Analyzer(PipelineSettings(), rate, PROFILE)
    out = []
    i = 0
    for n in sizes:
        out.append(an.update(samples.slice(i, i + int(n))))
        i += int(n)
        if i >= len(samples):
            break
    out.append(an.finish())
    return concat_chunks(out)


@pytest.fixture(scope="module")
def day() -> tuple[ImuSamples, float]:
    sim = simulate(random_day(seed=3, hours=0.2), seed=3)
    return sim.samples, sim.truth.sample_rate_hz


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_chunks_equal_offline(day: tuple[ImuSamples, float], seed: int) -> None:
    samples, rate = day
    offline = analyze_samples(samples, PipelineSettings(), rate, PROFILE)
    rng = np.random.default_rng(seed)
    # BLE-sized chunks mixed with large ones, and single samples.
    sizes = rng.choice([1, 3, 7, 20, 111, 997, 5000], size=len(samples))
    live = _stream(samples, rate, sizes)
    assert len(live) == len(offline) == len(samples)
    np.testing.assert_array_equal(live.posture, offline.posture)
    np.testing.assert_array_equal(live.steps_t_s, offline.steps_t_s)
    np.testing.assert_allclose(live.quat, offline.quat, atol=1e-12)
    np.testing.assert_allclose(live.flexion_deg, offline.flexion_deg, atol=1e-9)
    np.testing.assert_allclose(live.lateral_deg, offline.lateral_deg, atol=1e-9)
    assert [c.index for c in live.mounting_changes] == [c.index for c in offline.mounting_changes]
    # Events, opened and closed, in the same order at the same times.
    assert len(offline.events) > 0
    assert [(n.phase, n.event.type) for n in live.events] == [
        (n.phase, n.event.type) for n in offline.events
    ]
    for a, b in zip(live.events, offline.events, strict=True):
        assert a.event.start_s == b.event.start_s
        assert a.event.detected_s == b.event.detected_s
        np.testing.assert_allclose(a.event.peak_deg, b.event.peak_deg, atol=1e-6)


def test_empty_and_tiny_streams() -> None:
    an = Analyzer(PipelineSettings(), 100.0)
    assert len(an.update(ImuSamples.empty())) == 0
    out = an.finish()
    assert len(out) == 0
    s = ImuSamples(np.arange(5) / 100.0, np.tile([0, 0, 9.81], (5, 1)), np.zeros((5, 3)))
    res = analyze_samples(s, PipelineSettings(), 100.0)
    # Too short to find walking: the fallback mounting still gives a result for every sample.
    assert len(res) == 5
    assert res.mounting_changes[0].mounting.source == "fallback"
