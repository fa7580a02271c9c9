"""The patient's standing of the moment: what counts as standing, forgetting, chunking."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from processing.stance import STANCE_SETTLE_S, StandingBaseline
from spinewatch.errors import InputDataError

RATE = 50.0


def _baseline(
    flex: np.ndarray, lat: np.ndarray, quiet: np.ndarray, forget: np.ndarray,
    sizes: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    sb = StandingBaseline(RATE)
    cuts = np.cumsum(sizes or [len(flex)])
    bounds = [0, *[int(c) for c in cuts if c < len(flex)], len(flex)]
    parts = [sb.update(flex[a:b], lat[a:b], quiet[a:b], forget[a:b])
             for a, b in itertools.pairwise(bounds)]  # fmt: skip
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def test_settled_standing_becomes_the_baseline_and_holds_through_a_lean() -> None:
    n = round(10 * RATE)
    flex = np.full(n, 2.0)
    lat = np.full(n, 5.0)
    quiet = np.ones(n, bool)
    quiet[300:400] = False  # a lean: the baseline holds what standing read before it
    flex[300:400] = 60.0
    bf, bl = _baseline(flex, lat, quiet, np.zeros(n, bool))
    settle = round(STANCE_SETTLE_S * RATE)
    assert np.all(bf[: settle - 1] == 0.0)  # not standing long enough yet: the reference
    assert bf[settle] == 2.0 and bl[settle] == 5.0  # starts at standing, no ramp from zero
    assert np.all(bf[300:400] == 2.0)


def test_a_moment_that_reads_as_standing_is_not_the_baseline() -> None:
    n = round(6 * RATE)
    flex = np.full(n, -6.0)
    quiet = np.zeros(n, bool)
    quiet[100 : 100 + round(0.8 * STANCE_SETTLE_S * RATE)] = True
    bf, _ = _baseline(flex, np.zeros(n), quiet, np.zeros(n, bool))
    assert np.all(bf == 0.0)


def test_sitting_forgets_the_standing() -> None:
    n = round(10 * RATE)
    flex = np.full(n, 4.0)
    quiet = np.ones(n, bool)
    forget = np.zeros(n, bool)
    forget[200:300] = True
    quiet[200:300] = False
    bf, _ = _baseline(flex, np.zeros(n), quiet, forget)
    assert bf[199] == 4.0
    assert np.all(bf[200 : 300 + round(STANCE_SETTLE_S * RATE) - 1] == 0.0)
    assert bf[-1] == 4.0


def test_chunking_does_not_change_the_baseline() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    flex = np.cumsum(rng.normal(0, 0.3, n))
    lat = np.cumsum(rng.normal(0, 0.3, n))
    quiet = np.repeat(rng.random(n // 50) < 0.7, 50)
    forget = np.repeat(rng.random(n // 50) < 0.1, 50) & ~quiet
    offline = _baseline(flex, lat, quiet, forget)
    for _ in range(5):
        sizes = rng.integers(1, 120, size=200).tolist()
        chunked = _baseline(flex, lat, quiet, forget, sizes)
        np.testing.assert_array_equal(chunked[0], offline[0])
        np.testing.assert_array_equal(chunked[1], offline[1])


def test_a_rate_that_is_not_positive_is_refused() -> None:
    with pytest.raises(InputDataError, match="must be positive"):
        StandingBaseline(0.0)
