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

EVENT_TYPES: Final = ("bend", "lift", "twist", "lateral_bend", "prolonged_sitting", "fall")


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
