"""The streaming analyser gives the offline result however the stream is chunked."""

from __future__ import annotations

import numpy as np
import pytest

from processing.mounting import MountingSettings
from processing.pipeline import Analyzer, PipelineSettings, analyze_samples
from processing.results import AnalysisChunk, concat_chunks
from processing.types import ImuSamples
from simulator import simulate
from simulator.rotations import quat_to_matrix
from simulator.scenarios import from_activities
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
    # Every kind of event, so that each detector's state is carried across chunk edges.
    busy = from_activities(
        [
            {"type": "standing", "duration_s": 20},
            {"type": "walking", "duration_s": 40},
            {"type": "standing", "duration_s": 10},
            {"type": "lift", "technique": "stoop", "count": 2},
            {"type": "lift", "technique": "squat", "count": 2},
            {"type": "twist", "count": 2},
            {"type": "lateral_bend", "count": 2},
            {"type": "sitting", "duration_s": 120},
            {"type": "bend", "count": 2},
            {"type": "walking", "duration_s": 30},
        ],
        mounting={"mode": "random"},
    )
    sim = simulate(busy, seed=3)
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
    # Events, opened and closed, at the same times (falls are reported as they are decided,
    # the others with the final results, so their order in the stream may interleave).
    kinds = {n.event.type for n in offline.events}
    assert {"bend", "lift", "twist", "lateral_bend"} <= kinds, kinds

    def key(n):
        return (n.event.detected_s, n.event.type, n.phase.value, n.event.start_s)

    live_ev, off_ev = sorted(live.events, key=key), sorted(offline.events, key=key)
    assert [key(n) for n in live_ev] == [key(n) for n in off_ev]
    for a, b in zip(live_ev, off_ev, strict=True):
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


def test_a_fall_is_reported_before_the_mounting_is_known() -> None:
    from simulator.scenarios import from_activities

    # No walking: results wait for a mounting all along, but a fall must not wait.
    sim = simulate(
        from_activities(
            [
                {"type": "standing", "duration_s": 20},
                {"type": "fall", "direction": "forward"},
                {"type": "standing", "duration_s": 5},
            ]
        ),
        seed=2,
    )
    an = Analyzer(PipelineSettings(), sim.truth.sample_rate_hz, PROFILE)
    for i in range(0, len(sim.samples), 10):
        out = an.update(sim.samples.slice(i, i + 10))
        falls = [n for n in out.events if n.event.type == "fall"]
        if falls:
            assert an.mounting is None  # still waiting for one
            (impact,) = [e.end_s for e in sim.truth.events_of("fall")]
            assert float(sim.samples.t_s[min(i + 9, len(sim.samples) - 1)]) - impact < 3.5
            return
    pytest.fail("no fall reported while streaming")


def test_random_chunks_equal_offline_under_a_nominal_mounting() -> None:
    # The nominal axes are off by a quarter turn: walking replaces them while results flow.
    acts = [
        {"type": "standing", "duration_s": 20},
        {"type": "bend", "count": 2, "peak_deg": 50, "hold_s": 2},
        {"type": "walking", "duration_s": 60},
        {"type": "standing", "duration_s": 330},
        {"type": "bend", "count": 2, "peak_deg": 50, "hold_s": 2},
    ]
    sim = simulate(from_activities(acts, mounting={"mode": "random"}), seed=4)
    r = quat_to_matrix(np.asarray(sim.truth.mountings[0].quat_wxyz)[None])[0]
    settings = PipelineSettings(
        mounting=MountingSettings(
            nominal_up_axis=tuple(r.T @ [0.0, 0, 1]), nominal_forward_axis=tuple(r.T @ [0.0, 1, 0])
        )
    )
    offline = analyze_samples(sim.samples, settings, 100.0, PROFILE)
    an = Analyzer(settings, 100.0, PROFILE)
    rng = np.random.default_rng(7)
    out, i = [], 0
    while i < len(sim.samples):
        n = int(rng.choice([1, 9, 50, 333, 4000]))
        out.append(an.update(sim.samples.slice(i, i + n)))
        i += n
    live = concat_chunks([*out, an.finish()])
    assert [c.mounting.source for c in live.mounting_changes] == ["nominal", "walking+standing"]
    assert [c.index for c in live.mounting_changes] == [c.index for c in offline.mounting_changes]
    np.testing.assert_allclose(live.flexion_deg, offline.flexion_deg, atol=1e-9)
    np.testing.assert_array_equal(live.posture, offline.posture)
