"""Factories for simulator tests: small scenarios simulated with an ideal sensor."""

from __future__ import annotations

from typing import Any

from simulator import SimResult, simulate
from simulator.scenarios import from_activities


def make(
    activities: list[dict[str, Any]],
    seed: int = 1,
    rate: float | None = None,
    ideal: bool = True,
    **top: Any,
) -> SimResult:
    """Simulate ``activities`` (ideal sensor by default)."""
    return simulate(
        from_activities(activities, **top), seed=seed, sample_rate_hz=rate, ideal_imu=ideal
    )
