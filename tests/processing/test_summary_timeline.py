"""Summary totals and timeline decimation: gaps count as no time; chunking changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from processing.buffer import ColumnBuffer
from processing.profile import Zone
from processing.summary import SummaryAccumulator
from processing.timeline import TimelineDecimator
from processing.types import Posture

ZONES = (Zone("back", -np.inf, -10), Zone("neutral", -10, 20), Zone("forward", 20, np.inf))


def _summary(t, flex, posture, chunks):
    s = SummaryAccumulator(0.15, ZONES)
    i = 0
    for n in chunks:
        s.update(t[i : i + n], flex[i : i + n], posture[i : i + n], 0)
        i += n
    return s.result()


def test_gap_is_not_time_and_splits_sitting_bouts() -> None:
    t = np.concatenate([np.arange(0, 60, 0.1), np.arange(660, 700, 0.1)])  # 10 min gap
    posture = np.full(len(t), Posture.SITTING, dtype=np.int8)
    r = _summary(t, np.zeros(len(t)), posture, [len(t)])
    assert r["duration_s"] == pytest.approx(700 - 0.1, abs=0.01)
    assert r["gap_s"] == pytest.approx(600, abs=0.2)
    assert r["posture_s"]["sitting"] == pytest.approx(100, abs=0.3)
    assert r["longest_sitting_bout_s"] == pytest.approx(60, abs=0.2)  # not 700 s across the gap
    assert len(r["gaps"]) == 1


def test_zones_postures_and_bouts_are_chunking_invariant() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(0, 3000, 0.1)
    flex = np.sin(t / 30) * 40
    posture = np.where(np.sin(t / 97) > 0, Posture.SITTING, Posture.STANDING).astype(np.int8)
    whole = _summary(t, flex, posture, [len(t)])
    parts = _summary(t, flex, posture, list(rng.integers(1, 400, size=len(t))))
    assert parts["longest_sitting_bout_s"] == pytest.approx(whole["longest_sitting_bout_s"])
    assert parts["longest_sitting_bout_start_s"] == whole["longest_sitting_bout_start_s"]
    for k, v in whole["flexion_zone_s"].items():
        assert parts["flexion_zone_s"][k] == pytest.approx(v)
    assert sum(whole["flexion_zone_s"].values()) == pytest.approx(whole["measured_s"])
    # The longest sitting bout of a 97·π s half-period square wave.
    assert whole["longest_sitting_bout_s"] == pytest.approx(97 * np.pi, abs=0.2)


def test_timeline_blocks_equal_under_chunking() -> None:
    rng = np.random.default_rng(1)
    n = 1003
    cols = [np.arange(n) / 100.0, rng.normal(size=n), rng.normal(size=n), rng.random(n),
            rng.integers(0, 5, n).astype(np.int8)]  # fmt: skip

    def run(sizes):
        dec = TimelineDecimator(100.0, 10.0)
        rows, i = [], 0
        for k in sizes:
            rows.append(dec.update(*(c[i : i + k] for c in cols)))
            i += k
        rows.append(dec.finish())
        return [np.concatenate([getattr(r, f) for r in rows]) for f in
                ("t_s", "flexion_deg", "lateral_deg", "inclination_deg", "posture")]  # fmt: skip

    whole = run([n])
    parts = run(list(rng.integers(1, 40, size=n)))
    for a, b in zip(whole, parts, strict=True):
        np.testing.assert_allclose(a, b)
    assert len(whole[0]) == 101  # 100 full blocks of 10 and the partial last one
    assert whole[1][0] == pytest.approx(cols[1][:10].mean())


def test_every_sample_when_timeline_rate_is_zero() -> None:
    dec = TimelineDecimator(50.0, 0.0)
    x = np.arange(7.0)
    rows = dec.update(x, x, x, x, np.zeros(7, np.int8))
    assert len(rows.t_s) == 7


def test_column_buffer_grows_drops_and_stays_bounded() -> None:
    buf = ColumnBuffer({"a": ((), np.float64), "v": ((3,), np.float64)})
    total = 0
    for k in range(200):
        n = 1000 + k
        buf.append(a=np.arange(total, total + n, dtype=float), v=np.zeros((n, 3)))
        total += n
        buf.drop_before(total - 5000)
        assert buf.get("a", buf.start, buf.start + 1)[0] == buf.start
    assert buf.stop == total
    assert buf._cap <= 4 * 8192  # live rows ≤ 5000 + one append: storage does not grow with time
    with pytest.raises(IndexError):
        buf.get("a", 0, 10)
