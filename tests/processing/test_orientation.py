"""Orientation: the offline form equals the stream fed in any chunks (VQF keeps its state)."""

from __future__ import annotations

import numpy as np

from processing.orientation import OrientationEstimator, OrientationSettings, estimate_orientation
from simulator import simulate
from simulator.scenarios import walking


def test_chunked_stream_equals_offline() -> None:
    sim = simulate(walking(1.0, 30.0), seed=4)
    s, rate = sim.samples, sim.truth.sample_rate_hz
    offline = estimate_orientation(s, OrientationSettings(), rate)
    live = OrientationEstimator(OrientationSettings(), rate)
    rng = np.random.default_rng(0)
    parts, i = [], 0
    while i < len(s):
        k = int(rng.integers(1, 300))
        parts.append(live.update(s.slice(i, i + k)).quat)
        i += k
    np.testing.assert_array_equal(np.concatenate(parts), offline.quat)
    # Accuracy is measured on real recordings (BROAD: test_accuracy_public.py).
