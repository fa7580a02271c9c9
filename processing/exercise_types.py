"""Value objects of the exercise recogniser: settings, prescriptions, reps and sets.

Exercise names are those of a prescription (``spinewatch.settings.ExerciseName``).
Every angle is in degrees and every time in seconds of the recording's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final

from spinewatch.errors import InputDataError


class Family(Enum):
    """Which detector sees an exercise: the trunk position it is done in and the angle it moves.

    A lumbar sensor cannot tell lying prone from kneeling on hands and knees (both are a
    face-down, horizontal trunk), so press-ups and cat–camel share one detector and are told
    apart by the movement (cat–camel also flexes).
    """

    SUPINE = "supine"  # extension excursions lying on the back
    FACE_DOWN = "face_down"  # extension excursions, face down
    FACE_DOWN_LATERAL = "face_down_lateral"  # side tilts held, face down (bird-dog)
    UPRIGHT = "upright"  # extension excursions standing
    SIT_STAND = "sit_stand"  # repeated full stands from a seat


@dataclass(frozen=True, slots=True)
class ExerciseModel:
    """What an exercise looks like to a lumbar sensor (the recogniser's prior).

    Attributes:
        family: the detector that sees it.
        min_range_deg: a rep must move at least this far from rest to count.
        typical_range_deg: (low, high) usual range of a rep, for telling exercises of one
            family apart.
        typical_hold_s: (low, high) usual hold at the top of a rep.
        max_hold_s: an excursion held longer is a change of position, not a rep (sitting
            back in a chair after reaching forward is no standing extension).
        is_hold: the exercise is a hold (quality is hold time and wobble, not range).
        min_reps: fewer reps than this in a row are not a set.
        min_hold_s: a rep of a hold exercise must be held at least this long, s.
    """

    family: Family
    min_range_deg: float
    typical_range_deg: tuple[float, float]
    typical_hold_s: tuple[float, float]
    max_hold_s: float
    is_hold: bool = False
    min_reps: int = 2
    min_hold_s: float = 0.0


# Defaults from ../shared/clinical-rules.md (ranges a lumbar sensor sees) and typical
# programmes; min_range_deg sits below half the low end of the typical range, so that a
# half-range (partial) rep still counts.
EXERCISE_MODELS: Final = MappingProxyType(
    {
        "pelvic_tilt": ExerciseModel(Family.SUPINE, 2.0, (5.0, 15.0), (0.0, 1.0), 8.0),
        "bridge": ExerciseModel(Family.SUPINE, 6.0, (15.0, 30.0), (1.5, 5.0), 15.0),
        "knee_to_chest": ExerciseModel(Family.SUPINE, 4.0, (10.0, 20.0), (5.0, 30.0), 60.0),
        "prone_press_up": ExerciseModel(Family.FACE_DOWN, 6.0, (15.0, 30.0), (0.5, 3.0), 10.0),
        "cat_camel": ExerciseModel(Family.FACE_DOWN, 4.0, (10.0, 20.0), (0.3, 2.0), 10.0),
        "bird_dog": ExerciseModel(
            Family.FACE_DOWN_LATERAL,
            1.0,
            (2.0, 6.0),
            (5.0, 30.0),
            60.0,
            is_hold=True,
            min_hold_s=2.0,
        ),
        "standing_back_extension": ExerciseModel(
            Family.UPRIGHT, 6.0, (15.0, 30.0), (0.5, 3.0), 8.0, min_reps=3
        ),
        "sit_to_stand": ExerciseModel(
            Family.SIT_STAND, 15.0, (20.0, 45.0), (0.0, 3.0), 60.0, min_reps=3
        ),
    }
)
RECOGNISED_EXERCISES: Final = tuple(EXERCISE_MODELS)


@dataclass(frozen=True, slots=True)
class Prescribed:
    """One prescribed exercise (the processing side of ``ExercisePrescription``).

    Attributes:
        exercise: exercise name.
        sets: sets per session.
        reps: reps per set (None: a hold prescription only).
        hold_s: hold per rep, s (None: no hold prescribed).
        days_per_week: sessions per week.
    """

    exercise: str
    sets: int = 1
    reps: int | None = None
    hold_s: float | None = None
    days_per_week: int = 7


@dataclass(frozen=True, slots=True)
class ExerciseSettings:
    """Settings of :class:`~processing.exercise.ExerciseRecognizer` (units in names).

    Attributes:
        rate_hz: the angle streams are block-averaged to this rate before detection
            (exercise movements last a second or more).
        max_gap_s: longest pause between one rep's end and the next one's start inside a set.
        partial_fraction: a rep counts if its range is at least this fraction of the set's
            median range (and at least the exercise's ``min_range_deg``): a half-range rep is
            a rep done short, counted and flagged ``partial``; smaller wiggles are not reps.
        partial_flag_fraction: reps under this fraction of the median range are flagged
            ``partial``.
        context_enter_s: a lying or face-down trunk must last this long before its
            exercises are looked for (a deep bend is face down for a moment).
        max_out_s: an excursion away from rest longer than this is not a rep.
    """

    rate_hz: float = 10.0
    max_gap_s: float = 14.0
    partial_fraction: float = 0.2
    partial_flag_fraction: float = 0.7
    context_enter_s: float = 3.0
    max_out_s: float = 45.0
    models: MappingProxyType[str, ExerciseModel] = field(default_factory=lambda: EXERCISE_MODELS)

    def __post_init__(self) -> None:
        if not 0.5 <= self.rate_hz <= 100.0:
            raise InputDataError("rate_hz must be 0.5-100 Hz", value=self.rate_hz)
        if not 0.0 < self.partial_fraction <= self.partial_flag_fraction <= 1.0:
            raise InputDataError(
                "need 0 < partial_fraction <= partial_flag_fraction <= 1",
                value=(self.partial_fraction, self.partial_flag_fraction),
            )


@dataclass(frozen=True, slots=True)
class RepDetail:
    """One repetition as measured.

    Attributes:
        start_s, end_s: when the trunk left rest and came back (20% of the rep's range), s.
        range_deg: peak excursion from rest, degrees (for sit-to-stand: the forward lean
            from the seat).
        hold_s: time held at the top, s: the time within 10% of the peak less the smooth
            turn-around estimated from the rise and fall times (0 for no hold).
        wobble_deg: RMS of the trunk's flexion and lateral bend about their means while held,
            degrees (the quality of a hold).
        partial: the range was under ``partial_flag_fraction`` of the set's median.
    """

    start_s: float
    end_s: float
    range_deg: float
    hold_s: float
    wobble_deg: float
    partial: bool = False

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class ExerciseSet:
    """One set of one exercise.

    Attributes:
        index: the set's number in the stream (0, 1, …); a provisional report and the final
            one of the same set share it.
        exercise: exercise name.
        start_s, end_s: first rep's start and last rep's end, s.
        reps: the reps counted, in time order (holds for hold exercises).
        final: False for a provisional report of a set still running (live use).
    """

    index: int
    exercise: str
    start_s: float
    end_s: float
    reps: tuple[RepDetail, ...]
    final: bool = True

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def mean_range_deg(self) -> float:
        return sum(r.range_deg for r in self.reps) / max(1, len(self.reps))

    @property
    def tempo_s(self) -> float:
        """Mean time per rep including the rest between reps, s."""
        if len(self.reps) < 2:
            return self.reps[0].duration_s if self.reps else 0.0
        return (self.reps[-1].start_s - self.reps[0].start_s) / (len(self.reps) - 1)
