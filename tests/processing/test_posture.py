"""Posture rules: hysteresis at its boundaries, non-wear, and state carried across chunks."""

from __future__ import annotations

import numpy as np

from processing.posture import (
    LyingLatch,
    PostureClassifier,
    PostureSettings,
    hysteresis,
    not_worn,
)
from processing.types import Posture


def test_hysteresis_latches_between_thresholds() -> None:
    x = np.array([0, 9, 7, 6, 4, 6, 9, 3], dtype=float)
    out, last = hysteresis(x > 8, x < 5, False)
    assert out.tolist() == [False, True, True, True, False, False, True, False]
    assert last is False
    # Between the thresholds the previous chunk's state holds.
    out2, _ = hysteresis(np.zeros(3, bool), np.zeros(3, bool), True)
    assert out2.all()


def _classify(flex, incl, motion, walk, chunks=None, settings=None, tilt=None):
    settings = settings or PostureSettings()
    clf = PostureClassifier(settings, 10.0)
    latch = LyingLatch(settings, 10.0)
    n = len(flex)
    tilt = np.minimum(motion, 0.05) if tilt is None else tilt
    sizes = chunks or [n]
    out, i, still = [], 0, 0
    for k in sizes:
        sl = slice(i, i + k)
        off, run = not_worn(motion[sl], still, settings, 10.0)
        still = int(run[-1]) if len(run) else still
        lying = latch.update(flex[sl], incl[sl])
        out.append(clf.update(flex[sl], incl[sl], tilt[sl], walk[sl], off, lying))
        i += k
    return np.concatenate(out)


def test_sitting_needs_the_enter_threshold_and_holds_until_exit() -> None:
    s = PostureSettings()
    between = -0.5 * (s.sitting_enter_deg + s.sitting_exit_deg)
    flex = np.array([0, -s.sitting_enter_deg + 0.5, -s.sitting_enter_deg - 0.5, between,
                     -s.sitting_exit_deg - 0.1, -s.sitting_exit_deg + 0.1])  # fmt: skip
    n = len(flex)
    out = _classify(flex, np.abs(flex), np.full(n, 0.05), np.zeros(n, bool))
    assert [Posture(p).label for p in out] == [
        "standing", "standing", "sitting", "sitting", "sitting", "standing",
    ]  # fmt: skip


def test_lying_and_walking_and_other() -> None:
    flex = np.array([0, -80, 40, 0, 0, 0], dtype=float)
    incl = np.array([0, 80, 40, 0, 0, 0], dtype=float)
    motion = np.array([0.05, 0.05, 0.05, 1.5, 0.05, 0.05])
    tilt = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    walk = np.array([0, 0, 0, 0, 1, 0], bool)
    out = [Posture(p).label for p in _classify(flex, incl, motion, walk, tilt=tilt)]
    # Supine at once; a forward bend and a fast tilt are "other".
    assert out == ["standing", "lying", "other", "other", "walking", "standing"]


def test_turning_on_the_spot_is_not_moving_between_postures() -> None:
    n = 20
    out = _classify(np.zeros(n), np.zeros(n), np.full(n, 2.0), np.zeros(n, bool),
                    tilt=np.full(n, 0.05))  # fmt: skip
    assert (out == Posture.STANDING).all()


def test_a_deep_bend_is_not_lying_but_face_down_for_long_is() -> None:
    s = PostureSettings(lying_min_s=5.0)
    n = 100  # 10 s at 10 Hz, face down at 85°
    flex = np.full(n, 85.0)
    out = _classify(flex, flex, np.full(n, 0.05), np.zeros(n, bool), settings=s)
    assert (out[:49] == Posture.OTHER).all()  # the first 5 s: a deep bend
    assert (out[50:] == Posture.LYING).all()


def test_nonwear_after_long_stillness_only() -> None:
    s = PostureSettings(nonwear_min_s=30.0)
    rate = 10.0
    n = int(60 * rate)
    motion = np.full(n, 0.001)
    motion[: int(10 * rate)] = 0.05  # worn and moving for 10 s
    out = _classify(np.zeros(n), np.zeros(n), motion, np.zeros(n, bool), settings=s)
    first = int(np.argmax(out == Posture.NOT_WORN))
    assert first == int(10 * rate) + int(30 * rate) - 1
    assert (out[first:] == Posture.NOT_WORN).all()


def test_chunking_does_not_change_postures() -> None:
    rng = np.random.default_rng(4)
    n = 5000
    flex = np.cumsum(rng.normal(0, 1.0, n)) % 60 - 30
    incl = np.abs(flex) * 1.5
    motion = np.abs(rng.normal(0.3, 0.3, n))
    walk = rng.random(n) < 0.1
    whole = _classify(flex, incl, motion, walk)
    sizes = list(rng.integers(1, 50, size=n))
    np.testing.assert_array_equal(_classify(flex, incl, motion, walk, sizes), whole)
