"""Shared simulator fixtures (built once per session: simulating costs time)."""

from __future__ import annotations

import pytest
from sim_factories import make

from simulator import SimResult


@pytest.fixture(scope="session")
def mixed() -> SimResult:
    """Postures, walking with a turn, bends, lifts, twists, stairs, a fall, a removal."""
    return make(
        [
            {"type": "standing", "duration_s": 10},
            {"type": "walking", "duration_s": 20, "speed_mps": 1.1, "turns_deg": [90]},
            {"type": "sitting", "duration_s": 10},
            {"type": "lying", "duration_s": 10, "position": "left"},
            {"type": "bend", "count": 1, "peak_deg": 70},
            {"type": "lift", "count": 1, "technique": "squat"},
            {"type": "lift", "count": 1, "technique": "stoop"},
            {"type": "twist", "count": 1, "angle_deg": 45},
            {"type": "lateral_bend", "count": 1, "angle_deg": 20, "direction": "right"},
            {"type": "stairs", "count": 1, "steps": 10},
            {"type": "fall", "direction": "backward", "lie_s": 5},
            {"type": "not_worn", "duration_s": 20},
            {"type": "walking", "duration_s": 8},
        ],
        rate=200.0,
        mounting={"mode": "random"},
    )
