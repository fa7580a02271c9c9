"""Shared fixtures: where the public datasets are, and small signal factories."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinewatch.datasets import datasets_dir

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def datasets() -> Path:
    """The public recordings folder; the test skips when it is absent."""
    d = datasets_dir()
    if d is None:
        pytest.skip("public datasets folder (../shared/datasets) is absent")
    return d
