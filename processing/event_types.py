"""What the event detectors report, and what the alert engine consumes.

An event (a risky bend, a lift-like movement, a twist, a side bend, a
prolonged sitting bout, a fall) is reported twice: ``OPENED`` when its
condition is complete (a bend held past its hold time, a sitting bout past
its limit: the moment an alert may go out), and ``CLOSED`` when it is over,
with its end and peak. Events that are only known at their end (a lift, a
fall) are reported opened and closed together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np

from processing.types import BoolArray, FloatArray

EVENT_TYPES: Final = ("bend", "lift", "twist", "lateral_bend", "prolonged_sitting", "fall")
# Well past a limit: this much beyond it (degrees) or twice as long (sitting).
FAR_MARGIN_DEG: Final = 20.0


class Severity(StrEnum):
    """How an event compares with the patient's profile."""

    CAUTION = "caution"  # inside the caution zone, short of the limit
    BEYOND = "beyond"  # past the profile's limit
    FAR_BEYOND = "far_beyond"  # well past it (see each detector)
    CRITICAL = "critical"  # a fall: someone must know


class Phase(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Event:
    """One event, in the recording's seconds.

    Attributes:
        type: one of :data:`EVENT_TYPES`.
        start_s, end_s: when it began and ended; ``end_s`` is NaN while it is open.
        peak_deg: the peak angle (flexion for bends and lifts, rotation for twists,
            side bend for lateral bends), NaN where no angle applies.
        technique: ``stoop`` / ``squat`` for lifts, ``left`` / ``right`` for twists and
            side bends, empty otherwise.
        severity: see :class:`Severity`.
        detected_s: the time of the sample that completed the condition (latency is
            measured from it).
    """

    type: str
    start_s: float
    end_s: float
    peak_deg: float
    technique: str
    severity: Severity
    detected_s: float

    @property
    def is_open(self) -> bool:
        return math.isnan(self.end_s)


@dataclass(frozen=True, slots=True)
class EventNotice:
    """An event opening or closing (see the module doc)."""

    phase: Phase
    event: Event


@dataclass(frozen=True, slots=True)
class EventChunk:
    """The per-sample inputs of the detectors for N final samples.

    Attributes:
        t_s: times, s, (N,). flexion_deg, lateral_deg: trunk angles, (N,).
        posture: :class:`Posture` codes, (N,). yaw_rads: rotation rate about the
        vertical, rad/s (positive: turning left), (N,). acc_norm_mps2: specific-force
        magnitude, (N,). up_s: earth-up seen from the sensor, (N, 3). gap: the sample
        follows a gap, (N,). vert_mps2: vertical free acceleration, m/s², (N,).
        step_peak: a foot-contact-like peak of vertical acceleration, (N,).
        inclination_deg: the trunk's angle from upright, (N,), if already worked out
        (the detectors work it out from flexion and side bend otherwise).
    """

    t_s: FloatArray
    flexion_deg: FloatArray
    lateral_deg: FloatArray
    posture: np.ndarray
    yaw_rads: FloatArray
    acc_norm_mps2: FloatArray
    up_s: FloatArray
    gap: BoolArray
    vert_mps2: FloatArray
    step_peak: BoolArray
    inclination_deg: FloatArray | None = None


class PerMinute:
    """How many events of one kind began in the minute up to a start (EN 1005-4 counts
    side bends and twists per minute; two or more a minute are not acceptable)."""

    def __init__(self) -> None:
        self._starts: list[float] = []

    def count(self, start_s: float) -> int:
        """Occurrences in ``(start_s - 60 s, start_s]``, this one included (counted once)."""
        if start_s not in self._starts:
            self._starts.append(start_s)
        self._starts = [
            s for s in self._starts if s > start_s - 60.0 or s > self._starts[-1] - 60.0
        ]
        return sum(1 for s in self._starts if start_s - 60.0 < s <= start_s)
