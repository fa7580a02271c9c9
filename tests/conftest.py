"""Shared fixtures: where the public datasets are, and small signal factories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processing.types import GRAVITY_MPS2, ImuSamples
from spinewatch.datasets import datasets_dir

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def datasets() -> Path:
    """The public recordings folder; the test skips when it is absent."""
    d = datasets_dir()
    if d is None:
        pytest.skip("public datasets folder (../shared/datasets) is absent")
    return d


def still_samples(n: int, rate_hz: float = 100.0, seed: int = 0) -> ImuSamples:
    """A sensor lying still, z up, with a little noise: n samples."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate_hz
    acc = np.tile([0.0, 0.0, GRAVITY_MPS2], (n, 1)) + rng.normal(0, 0.02, (n, 3))
    gyr = rng.normal(0, 0.002, (n, 3))
    return ImuSamples(t, acc, gyr)
