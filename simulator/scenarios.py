"""Scenarios built in code, for tests and benchmarks.

Each function returns a validated :class:`~simulator.scenario.Scenario`;
keyword overrides go into the activity tables unchanged, so anything a TOML
file can say can be said here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

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


# Relative weights of the activities of :func:`risky_day`: everyday life, with the rarer
# scored movements (side bends, falls, sitting bouts long and short) made common enough
# that half an hour holds several of each.
_RISKY_KINDS: Final[Mapping[str, float]] = MappingProxyType({
    "standing": 1.5, "walking": 1.5, "sitting": 2.0, "lying": 0.5, "bend": 1.0, "lift": 1.0,
    "twist": 1.0, "stairs": 0.5, "exercise": 0.5, "lateral_bend": 3.0, "fall": 1.0,
})
# Where each fall direction leaves the body lying (see simulator.movements.fall).
_FALL_REST: Final[Mapping[str, str]] = MappingProxyType(
    {"forward": "prone", "backward": "supine", "left": "left", "right": "right"})


def risky_day(seed: int, hours: float = 0.5, mounting_mode: str = "near_nominal",
              sitting_s: tuple[float, float] = (20.0, 300.0),
              include_exercise: bool = True) -> Scenario:
    """Everyday activities mixed with the rarer scored movements, lasting about ``hours``.

    Besides what :func:`random_day` does (and unlike it, starting with a walk so that
    the mounting is known early): side bends (1 to 3, default angles, some past a
    profile's limit and some not), falls in any direction followed either by lying on
    the floor or by getting up, stairs up and back down, and sitting bouts of
    ``sitting_s`` seconds (low, high),
    some longer than a sitting limit a benchmark sets low (e.g. ``sitting_max_min`` 2).
    Standing lasts 10 s to 2 min, so that a short stand between two sittings sometimes
    does not break the bout (breaks under 30 s do not). ``mounting_mode`` is the
    scenario's ``[mounting] mode`` (``random``: any rotation).

    Raises:
        ValueError: ``hours`` is not positive or ``sitting_s`` is not an increasing pair.
    """
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours!r}")
    if not 0 < sitting_s[0] <= sitting_s[1]:
        raise ValueError(f"sitting_s must be (low, high) with 0 < low <= high, got {sitting_s!r}")
    rng = np.random.default_rng(seed)
    kinds = [k for k in _RISKY_KINDS if include_exercise or k != "exercise"]
    weights = np.array([_RISKY_KINDS[k] for k in kinds])
    acts: list[dict[str, Any]] = [
        {"type": "standing", "duration_s": 10.0},
        {"type": "walking", "duration_s": float(rng.uniform(40, 90))},
        {"type": "standing", "duration_s": 10.0},
    ]
    total = sum(float(a["duration_s"]) for a in acts)
    while total < hours * 3600.0:
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        act: dict[str, Any]
        if kind == "sitting":
            act = {"type": kind, "duration_s": float(rng.uniform(*sitting_s))}
        elif kind in ("standing", "walking", "lying"):
            act = {"type": kind, "duration_s": float(rng.uniform(10 if kind == "standing" else 20,
                                                                 120))}
            if kind == "walking":
                act["speed_mps"] = float(rng.uniform(0.4, 1.6))
            if kind == "lying":
                act["position"] = str(rng.choice(["supine", "prone", "left", "right"]))
        elif kind == "exercise":
            act = {"type": kind, "exercise": str(rng.choice(EXERCISES)),
                   "reps": int(rng.integers(3, 10))}
            total += 60.0
        elif kind == "fall":
            direction = str(rng.choice(list(_FALL_REST)))
            acts.append({"type": kind, "direction": direction})
            total += 60.0
            if rng.random() < 0.5:  # stays down a while longer; otherwise gets up at once
                act = {"type": "lying", "surface": "floor", "position": _FALL_REST[direction],
                       "duration_s": float(rng.uniform(10, 120))}
            else:
                act = {"type": "standing", "duration_s": float(rng.uniform(10, 60))}
        elif kind == "stairs":
            # Up and down again: the simulator puts seats, beds and the floor at fixed
            # heights, so a fall or a sit upstairs would drop the pelvis a whole storey.
            n = int(rng.integers(1, 3))
            acts.append({"type": kind, "count": n, "direction": "up"})
            act = {"type": kind, "count": n, "direction": "down"}
            total += 40.0
        else:
            act = {"type": kind, "count": int(rng.integers(1, 4))}
            if kind == "lift":
                act["technique"] = str(rng.choice(["stoop", "squat"]))
            total += 20.0
        total += float(act.get("duration_s", 0.0))
        acts.append(act)
    return from_activities(acts, name=f"risky_day_{seed}", seed=seed,
                           mounting={"mode": mounting_mode})
