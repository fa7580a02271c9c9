"""Randomised exercise-set trials, for testing and benchmarking the rep counter.

A trial is stand, walk (so the analysis learns how the sensor is worn), one set
of one exercise with drawn tempo, reps, pauses and partial reps, then getting up
and walking off. :func:`expected_reps` says what a counter should report.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.truth_types import ExerciseSet

# Tempo range of the acceptance criteria: 0.5–2× nominal.
TEMPO_RANGE = (0.5, 2.0)


def trial_activities(
    exercise: str, rng: np.random.Generator, **overrides: Any
) -> list[dict[str, Any]]:
    """Activity tables of one trial of ``exercise``; ``overrides`` go into the set's table."""
    act: dict[str, Any] = {
        "type": "exercise",
        "exercise": exercise,
        "reps": int(rng.integers(3, 13)),
        "tempo": float(rng.uniform(*TEMPO_RANGE)),
        "pause_probability": 0.3,
        "pause_max_s": 10.0,
        "partial_probability": 0.1,
    }
    act.update(overrides)
    return [
        {"type": "standing", "duration_s": 3.0},
        {"type": "walking", "duration_s": 35.0},
        {"type": "standing", "duration_s": 4.0},
        act,
        {"type": "standing", "duration_s": 5.0},
        {"type": "walking", "duration_s": 10.0},
    ]


def expected_reps(s: ExerciseSet) -> int:
    """Reps a counter should find: every rep, partial ones too (a rep done short), except
    that a half-rise from a seat is no stand."""
    if s.exercise == "sit_to_stand":
        return sum(1 for r in s.reps if not r.partial)
    return len(s.reps)
