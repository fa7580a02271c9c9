"""Scenarios built in code, for tests and benchmarks.

Each function returns a validated :class:`~simulator.scenario.Scenario`;
keyword overrides go into the activity tables unchanged, so anything a TOML
file can say can be said here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.scenario import Scenario, parse_scenario
from simulator.schema import EXERCISES


def from_activities(activities: list[dict[str, Any]], name: str = "custom",
                    mounting: dict[str, Any] | None = None, imu: dict[str, Any] | None = None,
                    **top: Any) -> Scenario:
    """A scenario from activity tables (as in TOML: ``{"type": "walking", "duration_s": 60}``)."""
    doc: dict[str, Any] = {"name": name, "activity": activities, **top}
    if mounting is not None:
        doc["mounting"] = mounting
    if imu is not None:
        doc["imu"] = imu
    return parse_scenario(doc)


def walking(speed_mps: float, duration_s: float, stand_s: float = 5.0, **params: Any) -> Scenario:
    """Stand, walk at ``speed_mps`` for ``duration_s``, stand."""
    return from_activities([
        {"type": "standing", "duration_s": stand_s},
        {"type": "walking", "duration_s": duration_s, "speed_mps": speed_mps, **params},
        {"type": "standing", "duration_s": stand_s},
    ], name=f"walking_{speed_mps:g}mps")


def postures(standing_s: float = 30.0, sitting_s: float = 30.0, lying_s: float = 30.0,
             walking_s: float = 30.0) -> Scenario:
    """One period of each basic posture, in order standing, walking, sitting, lying."""
    return from_activities([
        {"type": "standing", "duration_s": standing_s},
        {"type": "walking", "duration_s": walking_s},
        {"type": "sitting", "duration_s": sitting_s},
        {"type": "lying", "duration_s": lying_s},
    ], name="postures")


def exercise(name: str, reps: int = 5, **params: Any) -> Scenario:
    """One set of exercise ``name`` (see :data:`simulator.schema.EXERCISES`)."""
    return from_activities([{"type": "exercise", "exercise": name, "reps": reps, **params}],
                           name=name)


def random_day(seed: int, hours: float = 1.0, include_exercise: bool = True,
               mounting_mode: str = "near_nominal") -> Scenario:
    """A random sequence of everyday activities lasting about ``hours``.

    ``mounting_mode`` is the scenario's ``[mounting] mode`` (``random``: any rotation).
    """
    rng = np.random.default_rng(seed)
    acts: list[dict[str, Any]] = []
    total = 0.0
    kinds = ["standing", "walking", "sitting", "lying", "bend", "lift", "twist", "stairs"]
    if include_exercise:
        kinds.append("exercise")
    while total < hours * 3600.0:
        kind = str(rng.choice(kinds))
        if kind in ("standing", "walking", "sitting", "lying"):
            dur = float(rng.uniform(20, 600))
            act: dict[str, Any] = {"type": kind, "duration_s": dur}
            if kind == "walking":
                act["speed_mps"] = float(rng.uniform(0.4, 1.6))
            if kind == "lying":
                act["position"] = str(rng.choice(["supine", "prone", "left", "right"]))
            total += dur
        elif kind == "exercise":
            act = {"type": kind, "exercise": str(rng.choice(EXERCISES)),
                   "reps": int(rng.integers(3, 10))}
            total += 60.0
        else:
            act = {"type": kind, "count": int(rng.integers(1, 4))}
            if kind == "lift":
                act["technique"] = str(rng.choice(["stoop", "squat"]))
            total += 20.0
        acts.append(act)
    return from_activities(acts, name=f"random_day_{seed}", seed=seed,
                           mounting={"mode": mounting_mode})
