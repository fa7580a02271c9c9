"""Gap detection and sensor time → UTC: counters, timestamps, arrival timing, drift."""

from __future__ import annotations

import numpy as np
import pytest

from collector.timing import ClockMapper, SampleTimeline, resolve_wrap
from spinewatch.errors import InputDataError

T0 = 1_800_000_000.0  # an epoch second


def stream(timeline: SampleTimeline, n_packets: int, n: int, *, drop: set[int] = frozenset(),
           counter_bits: int | None = 16, tick_s: float | None = None, start_counter: int = 0,
           drift_ppm: float = 0.0, latency_s: float = 0.01, seed: int = 0,
           period_s: float = 0.01, exact: bool = True) -> list[tuple[int, np.ndarray]]:
    """Feeds packets; returns (true first index, utc) of each packet that arrived."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_packets):
        first = k * n
        true_t = (first + n - 1) * period_s  # true time of the packet's last sample
        if k in drop:
            continue
        arrival = T0 + true_t + latency_s + rng.exponential(0.01)
        counter = (start_counter + first) % (1 << counter_bits) if counter_bits else None
        ticks = None
        if tick_s is not None:
            ticks = round(first * period_s * (1 + drift_ppm * 1e-6) / tick_s) % (1 << 32)
        timing = timeline.add(n, arrival, counter=counter, timestamp_ticks=ticks)
        assert timing.first_index == first or not exact
        out.append((first, timing.utc_s))
    return out


def test_resolve_wrap_picks_the_step_closest_to_the_arrival_estimate() -> None:
    assert resolve_wrap(10, 65536, 12.0) == 10
    assert resolve_wrap(10, 65536, 65546.0 + 3) == 65546
    assert resolve_wrap(10, 65536, -50.0) == 10


def test_counter_gap_is_exact_and_nothing_is_reordered() -> None:
    tl = SampleTimeline(0.01, counter_bits=16)
    got = stream(tl, 100, 10, drop={5, 6, 7})
    assert [(g.index, g.missing, g.source) for g in tl.gaps] == [(50, 30, "counter")]
    assert tl.gaps[0].duration_s == pytest.approx(0.3)
    utc = np.concatenate([u for _, u in got])
    assert np.all(np.diff(utc) > 0) and tl.samples == 970


def test_counter_wraps_without_a_false_gap() -> None:
    tl = SampleTimeline(0.01, counter_bits=16)
    stream(tl, 50, 10, start_counter=65500)
    assert tl.gaps == []


def test_outage_longer_than_a_counter_cycle_is_resolved_by_arrival() -> None:
    tl = SampleTimeline(0.01, counter_bits=16)
    # 800 s lost at 100 Hz = 80,000 samples > 65,536.
    stream(tl, 8100, 10, drop=set(range(10, 8010)))
    assert [(g.index, g.missing) for g in tl.gaps] == [(100, 80_000)]


def test_timestamp_gaps_with_a_wrapping_ms_clock() -> None:
    tl = SampleTimeline(1 / 104, tick_s=0.001)
    got = stream(tl, 300, 4, counter_bits=None, tick_s=0.001, drop={100, 101},
                 period_s=1 / 104)
    assert [(g.index, g.missing, g.source) for g in tl.gaps] == [(400, 8, "timestamp")]
    assert got[-1][0] == 299 * 4


def test_arrival_only_gap_estimate_within_one_sample() -> None:
    tl = SampleTimeline(0.01, arrival_gap_s=0.25)
    stream(tl, 2000, 1, counter_bits=None, drop=set(range(500, 600)), exact=False)
    [gap] = tl.gaps
    assert gap.source == "arrival" and abs(gap.missing - 100) <= 1


def test_counter_going_back_is_a_reset_not_a_negative_gap() -> None:
    tl = SampleTimeline(0.01, counter_bits=16)
    tl.add(10, T0, counter=500)
    tl.add(10, T0 + 0.1, counter=510)
    t = tl.add(10, T0 + 0.2, counter=505)
    assert t.gap is not None and t.gap.source == "reset" and t.gap.missing == 0
    assert t.first_index == 20 and t.utc_s[0] > T0 + 0.1


def test_drift_is_corrected_to_a_few_milliseconds() -> None:
    # Sensor clock 80 ppm fast, 20 minutes, µs timestamps; random arrival latency.
    period = 0.01
    tl = SampleTimeline(period, counter_bits=16, tick_s=1e-6)
    got = stream(tl, 12_000, 10, tick_s=1e-6, drift_ppm=80.0, latency_s=0.005, seed=3)
    assert tl.clock.drift_ppm == pytest.approx(-80, abs=10)
    first, utc = got[-1]
    true = T0 + (first + np.arange(10)) * period
    assert np.abs(utc - true).max() < 0.02


def test_clock_mapper_follows_the_lower_envelope() -> None:
    m = ClockMapper()
    for k in range(100):
        m.update(k * 0.1, T0 + k * 0.1 + 0.02 + (0.05 if k % 3 else 0.0))
    assert m.to_utc(np.array([5.0]))[0] == pytest.approx(T0 + 5.0 + 0.02, abs=1e-6)


def test_bad_arguments_are_input_errors() -> None:
    with pytest.raises(InputDataError):
        SampleTimeline(0.0)
    with pytest.raises(InputDataError):
        SampleTimeline(0.01).add(0, T0)
    with pytest.raises(InputDataError):
        ClockMapper().to_utc(np.zeros(1))


def test_microsecond_clock_wrap_is_not_a_gap() -> None:
    # The reference sensor's 32-bit µs clock wraps every 71.6 minutes.
    tl = SampleTimeline(0.01, tick_s=1e-6)
    start = (1 << 32) - 250_000
    sensor = []
    for k in range(60):
        ticks = (start + k * 100_000) % (1 << 32)
        sensor.append(tl.add(10, T0 + k * 0.1 + 0.01, timestamp_ticks=ticks).sensor_s[0])
    assert tl.gaps == []
    np.testing.assert_allclose(np.diff(sensor), 0.1, atol=1e-9)
