"""Ground-truth value objects produced while a scenario is planned and generated."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """A scored movement: ``type`` is bend, lift, twist, lateral_bend, fall, not_worn or remount.

    Attributes:
        type: event type.
        start_s: start time, s.
        end_s: end time, s.
        peak_deg: peak angle of the event, degrees (flexion for bends and lifts, axial
            rotation for twists, lateral bend, inclination after a fall; NaN if none).
        technique: ``stoop`` or ``squat`` for lifts, fall direction for falls, else "".
    """

    type: str
    start_s: float
    end_s: float
    peak_deg: float = math.nan
    technique: str = ""


@dataclass(frozen=True, slots=True)
class Rep:
    """One repetition of an exercise.

    Attributes:
        start_s: start, s.
        end_s: end, s.
        range_deg: peak change of the scored angle from the rep's start, degrees
            (signed: flexion for sagittal exercises, lateral for lateral ones).
        hold_s: time held at the top, s (0 when the exercise has no hold).
        partial: True when the rep was deliberately cut short (reduced range).
    """

    start_s: float
    end_s: float
    range_deg: float
    hold_s: float = 0.0
    partial: bool = False


@dataclass(frozen=True, slots=True)
class ExerciseSet:
    """One set of one exercise: ``reps`` lists every rep in time order."""

    exercise: str
    start_s: float
    end_s: float
    reps: tuple[Rep, ...]


@dataclass(frozen=True, slots=True)
class Mounting:
    """A sensor-to-body rotation in force from ``start_s`` to ``end_s`` (quaternion w, x, y, z)."""

    start_s: float
    end_s: float
    quat_wxyz: tuple[float, float, float, float]
