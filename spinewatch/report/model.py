"""The report's data model: one patient-day, as the report needs it.

Everything here is plain, frozen data; loaders fill it (from an analysis folder, the
local store or InfluxDB) and the findings, plots and HTML only read it.

Times are on the recording's clock, in seconds (``*_s``), and turned into wall-clock
times only through :meth:`PatientDay.clock`. A quantity that was not measured is
``None``, never ``0``: a day with a gap or without wear must not read as a day of
stillness.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np

from processing.profile import ClinicalProfile

EVENT_TYPES: Final = ("bend", "lift", "twist", "lateral_bend", "prolonged_sitting", "fall")
POSTURES: Final = ("lying", "sitting", "standing", "walking", "other", "not_worn")
FLEXION_ZONES: Final = ("extension", "neutral", "caution", "beyond")


@dataclass(frozen=True, slots=True)
class Span:
    """A time interval ``[start_s, end_s]`` on the recording's clock, s."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Event:
    """One row of ``events.csv``: a risky movement or a fall.

    ``peak_deg`` is the peak angle, ° (None when the event has none); ``technique``
    is ``stoop``/``squat`` for lifts, the side for twists and side bends, else ``""``.
    """

    type: str
    start_s: float
    end_s: float
    peak_deg: float | None
    technique: str
    severity: str


@dataclass(frozen=True, slots=True)
class Rep:
    """One repetition of an exercise: range of motion, °; hold time, s."""

    start_s: float
    end_s: float
    range_deg: float
    hold_s: float
    partial: bool


@dataclass(frozen=True, slots=True)
class ExerciseSet:
    """One set of a home exercise (``reps.csv``), with its reps (``reps_detail.csv``)."""

    exercise: str
    start_s: float
    end_s: float
    rep_count: int
    mean_range_deg: float
    reps: tuple[Rep, ...] = ()


@dataclass(frozen=True, slots=True)
class ExerciseDone:
    """One prescribed exercise on this day: done against prescribed (from adherence)."""

    exercise: str
    sets_done: int
    sets_prescribed: int
    reps_done: int
    reps_prescribed: int | None
    fraction: float


@dataclass(frozen=True, slots=True)
class Headline:
    """The day's headline numbers, as the analysis gave them (seconds unless named).

    ``None`` means not measured (no data). ``event_counts`` has every type of
    :data:`EVENT_TYPES`; ``zone_s`` the time per flexion zone while worn.
    """

    duration_s: float
    measured_s: float
    wear_s: float
    gap_s: float
    steps: int | None
    walking_s: float | None
    longest_sitting_s: float | None
    longest_sitting_start_s: float | None
    event_counts: Mapping[str, int]
    zone_s: Mapping[str, float]
    posture_s: Mapping[str, float]
    lifts_by_technique: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    """The trunk-angle timeline: times (N,) s, flexion (N,) °, posture labels (N,)."""

    t_s: np.ndarray
    flexion_deg: np.ndarray
    posture: np.ndarray

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True, slots=True)
class Targets:
    """The profile's limits and targets the report compares the day with."""

    profile_name: str
    flexion_caution_deg: float
    flexion_limit_deg: float
    extension_limit_deg: float
    sitting_max_min: float
    daily_steps_target: int
    walking_target_min: float
    daily_risky_bend_allowance: int
    lift_allowed: bool

    @classmethod
    def from_profile(cls, profile: ClinicalProfile) -> Targets:
        return cls(
            profile_name=profile.name,
            flexion_caution_deg=profile.flexion_caution_deg,
            flexion_limit_deg=profile.flexion_limit_deg,
            extension_limit_deg=profile.extension_limit_deg,
            sitting_max_min=profile.sitting_max_min,
            daily_steps_target=profile.daily_steps_target,
            walking_target_min=profile.walking_target_min,
            daily_risky_bend_allowance=profile.daily_risky_bend_allowance,
            lift_allowed=profile.lift_allowed,
        )


@dataclass(frozen=True, slots=True, eq=False)
class PatientDay:
    """One patient's day: everything one report page shows.

    ``start_utc`` is the wall-clock time of ``t = 0`` on the recording's clock;
    ``timezone`` the clinic's IANA zone for showing times. ``sets`` is None when the
    analysis had no exercise outputs (not the same as no exercise done).
    """

    patient_id: str
    date: dt.date
    start_utc: dt.datetime
    timezone: str
    headline: Headline
    series: Series
    events: tuple[Event, ...]
    gaps: tuple[Span, ...]
    not_worn: tuple[Span, ...]
    targets: Targets
    sets: tuple[ExerciseSet, ...] | None = None
    adherence: tuple[ExerciseDone, ...] | None = None
    source: str = ""

    def clock(self, t_s: float) -> dt.datetime:
        """The local wall-clock time of ``t_s`` (recording seconds)."""
        return (self.start_utc + dt.timedelta(seconds=t_s)).astimezone(ZoneInfo(self.timezone))

    def hhmm(self, t_s: float) -> str:
        """``t_s`` as local ``HH:MM``."""
        return self.clock(t_s).strftime("%H:%M")

    @property
    def worn(self) -> bool:
        """Whether the sensor was worn at all (any worn, measured time)."""
        return self.headline.wear_s > 0


@dataclass(frozen=True, slots=True)
class DayTrend:
    """The key numbers of one day for the 7-day trend; ``None``: no data that day."""

    date: dt.date
    wear_h: float | None = None
    steps: int | None = None
    walking_min: float | None = None
    risky_bends: int | None = None
    lifts: int | None = None
    longest_sitting_min: float | None = None
    exercise_fraction: float | None = None

    @classmethod
    def of(cls, day: PatientDay) -> DayTrend:
        """The trend numbers of ``day``; movement numbers stay None when it was not worn."""
        h = day.headline
        if not day.worn:
            return cls(date=day.date, wear_h=0.0)
        fractions = [a.fraction for a in day.adherence or ()]
        return cls(
            date=day.date,
            wear_h=h.wear_s / 3600,
            steps=h.steps,
            walking_min=None if h.walking_s is None else h.walking_s / 60,
            risky_bends=h.event_counts.get("bend", 0),
            lifts=h.event_counts.get("lift", 0),
            longest_sitting_min=(None if h.longest_sitting_s is None else h.longest_sitting_s / 60),
            exercise_fraction=sum(fractions) / len(fractions) if fractions else None,
        )


def finite_or_none(x: float | None) -> float | None:
    """``x`` if it is a finite number, else None."""
    return x if x is not None and math.isfinite(x) else None
