"""The parameters each scenario activity accepts, with default ranges and hard limits.

Angles are degrees, times seconds, speeds m/s, heights m. A default that is a
pair is a range drawn from uniformly each time the value is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``kind`` is num, int, choice, bool or list; ``lo``/``hi`` are hard limits."""

    kind: str
    default: object
    lo: float = -1e9
    hi: float = 1e9
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Schema:
    """Parameters of one activity type; ``required`` is ``duration_s`` or ``count``."""

    required: str
    params: Mapping[str, Param] = field(default_factory=lambda: MappingProxyType({}))


def _s(required: str, **params: Param) -> Schema:
    return Schema(required, MappingProxyType(params))


def _num(default: object, lo: float, hi: float, doc: str = "") -> Param:
    return Param("num", default, lo, hi, (), doc)


LYING_POSITIONS: Final = ("supine", "prone", "left", "right")
SURFACES: Final = ("bed", "floor")
EXERCISES: Final = ("pelvic_tilt", "bridge", "cat_camel", "bird_dog", "sit_to_stand",
                    "standing_extension", "prone_press_up", "knee_to_chest")
MOUNTING_MODES: Final = ("nominal", "near_nominal", "random", "fixed")
START_POSTURES: Final = ("standing", "sitting", "lying")

_PAUSE = _num((1.0, 4.0), 0.0, 600.0, "rest between repetitions, s")
_TRANS = _num((1.5, 3.0), 0.8, 10.0, "sit/stand transition duration, s")

ACTIVITY_SCHEMAS: Final[Mapping[str, Schema]] = MappingProxyType({
    "standing": _s(
        "duration_s",
        sway_deg=_num((0.5, 1.5), 0.0, 5.0, "postural sway amplitude"),
        shift_every_s=_num((15.0, 60.0), 0.0, 86400.0, "mean time between shifts (0: never)"),
    ),
    "sitting": _s(
        "duration_s",
        pelvis_tilt_deg=_num((10.0, 25.0), 0.0, 40.0, "posterior pelvic tilt when seated"),
        transition_s=_TRANS,
        trunk_flex_deg=_num((20.0, 40.0), 5.0, 60.0, "forward lean while sitting down/up"),
        lean_every_s=_num((30.0, 120.0), 0.0, 86400.0, "mean time between leans (0: never)"),
        lean_deg=_num((5.0, 20.0), 0.0, 45.0, "forward lean (reaching) while seated"),
    ),
    "lying": _s(
        "duration_s",
        position=Param("choice", "supine", choices=LYING_POSITIONS),
        surface=Param("choice", "bed", choices=SURFACES),
        transition_s=_num((3.0, 5.0), 1.5, 15.0, "lie-down / get-up duration"),
        turn_every_s=_num(0.0, 0.0, 86400.0, "mean time between turns in bed (0: never)"),
    ),
    "walking": _s(
        "duration_s",
        speed_mps=_num((0.9, 1.3), 0.2, 2.2, "walking speed"),
        step_frequency_hz=_num(0.0, 0.0, 3.0, "step frequency; 0 = from speed"),
        turns_deg=Param("list", (), -720.0, 720.0, doc="turns spread evenly over the bout"),
        turn_rate_dps=_num((60.0, 120.0), 10.0, 400.0, "turning rate"),
    ),
    "stairs": _s(
        "count",
        direction=Param("choice", "up", choices=("up", "down")),
        steps=Param("int", 14, 1, 500, doc="steps per flight"),
        step_frequency_hz=_num((1.3, 1.7), 0.6, 2.5, "stepping rate"),
        rise_m=_num(0.17, 0.1, 0.25, "step height"),
        tread_m=_num(0.28, 0.2, 0.4, "step depth"),
        pause_s=_PAUSE,
    ),
    "bend": _s(
        "count",
        peak_deg=_num((40.0, 100.0), 5.0, 130.0, "peak trunk flexion"),
        duration_s=_num((1.5, 3.0), 0.5, 20.0, "down-and-up time without the hold"),
        hold_s=_num((0.5, 3.0), 0.0, 120.0, "time held at the bottom"),
        pause_s=_PAUSE,
    ),
    "lift": _s(
        "count",
        technique=Param("choice", "stoop", choices=("stoop", "squat")),
        peak_deg=_num(0.0, 0.0, 130.0, "peak flexion; 0 = technique default"),
        pelvis_drop_m=_num(0.0, 0.0, 0.7, "pelvis drop; 0 = technique default"),
        duration_s=_num((2.0, 4.0), 0.8, 20.0, "down-and-up time without the hold"),
        hold_s=_num((0.5, 1.5), 0.0, 60.0, "time at the bottom gripping the load"),
        pause_s=_PAUSE,
    ),
    "twist": _s(
        "count",
        angle_deg=_num((30.0, 60.0), 5.0, 120.0, "axial rotation of the pelvis"),
        speed_dps=_num((60.0, 200.0), 10.0, 600.0, "mean rotation rate"),
        direction=Param("choice", "both", choices=("left", "right", "both")),
        bent_deg=_num(0.0, 0.0, 90.0, "trunk flexion held while twisting"),
        hold_s=_num((0.2, 1.0), 0.0, 60.0, "time held twisted"),
        pause_s=_PAUSE,
    ),
    "lateral_bend": _s(
        "count",
        angle_deg=_num((10.0, 30.0), 2.0, 60.0, "lateral bend"),
        direction=Param("choice", "both", choices=("left", "right", "both")),
        duration_s=_num((1.5, 3.0), 0.5, 20.0, "out-and-back time"),
        hold_s=_num((0.2, 1.5), 0.0, 60.0, "hold"),
        pause_s=_PAUSE,
    ),
    "fall": _s(
        "count",
        direction=Param("choice", "forward", choices=("forward", "backward", "left", "right")),
        lie_s=_num((20.0, 90.0), 1.0, 86400.0, "time lying still after the impact"),
    ),
    "not_worn": _s(
        "duration_s",
        table_tilt_deg=_num((0.0, 3.0), 0.0, 90.0, "tilt of the resting sensor"),
    ),
    "exercise": _s(
        "count",
        exercise=Param("choice", "pelvic_tilt", choices=EXERCISES),
        reps=Param("int", 10, 1, 200),
        tempo=_num(1.0, 0.5, 2.0, "speed factor: 2 = twice as fast as nominal"),
        range_deg=_num(0.0, 0.0, 90.0, "rep range; 0 = exercise default"),
        hold_s=_num(-1.0, -1.0, 60.0, "hold at the top; -1 = exercise default"),
        pause_max_s=_num(0.0, 0.0, 10.0, "longest pause inside the set"),
        pause_probability=_num(0.0, 0.0, 1.0, "chance of a pause after a rep"),
        partial_probability=_num(0.0, 0.0, 1.0, "chance of a partial (half-range) rep"),
        rest_s=_num((5.0, 15.0), 0.0, 600.0, "rest in position after the set"),
    ),
})
