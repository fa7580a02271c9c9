"""Adherence to the home exercise programme: sets and reps done against prescribed.

A pure function of the recognised sets and the prescription, for ``summary.json``.
Days are counted from ``day_start_s`` on the recording's clock (0: the clock's
origin; pass the recording's local midnight to get calendar days), weeks are
seven such days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from processing.exercise import canonical_name
from processing.exercise_types import EXERCISE_MODELS, ExerciseSet, Prescribed

DAY_S: Final = 86400.0
# A hold counts towards a hold prescription when it lasted this fraction of the prescribed time.
HOLD_CREDIT_FRACTION: Final = 0.8


def _day(t_s: float, day_start_s: float) -> int:
    return math.floor((t_s - day_start_s) / DAY_S)


def _done(item: Prescribed, sets: list[ExerciseSet]) -> dict[str, Any]:
    reps_done = sum(s.rep_count for s in sets)
    out: dict[str, Any] = {
        "sets_done": len(sets),
        "sets_prescribed": item.sets,
        "reps_done": reps_done,
    }
    if item.reps is not None:
        out["reps_prescribed"] = item.sets * item.reps
        out["complete_sets"] = sum(1 for s in sets if s.rep_count >= item.reps)
        out["fraction"] = round(min(1.0, reps_done / out["reps_prescribed"]), 3)
    else:
        out["fraction"] = round(min(1.0, len(sets) / item.sets), 3)
    if item.hold_s is not None:
        need = HOLD_CREDIT_FRACTION * item.hold_s
        out["hold_s_prescribed"] = item.hold_s
        out["holds_long_enough"] = sum(1 for s in sets for r in s.reps if r.hold_s >= need)
    return out


def adherence(
    sets: Sequence[ExerciseSet],
    prescription: Sequence[Prescribed],
    day_start_s: float = 0.0,
    span_s: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Sets and reps done against prescribed, per day and per week (JSON-ready).

    Args:
        sets: final exercise sets (see :func:`processing.exercise.final_sets`).
        prescription: the patient's programme.
        day_start_s: where day 0 starts on the recording's clock, s.
        span_s: (first, last) time of the recording, s; every day it touches is listed,
            even days without exercise (default: the days with sets).

    Returns:
        ``{"days": [...], "weeks": [...], "not_measured": [...]}``: per day, per
        prescribed exercise, ``sets_done``, ``sets_prescribed``, ``reps_done``,
        ``reps_prescribed``, ``complete_sets`` and ``fraction`` (reps, else sets, done
        over prescribed, at most 1), and for holds ``holds_long_enough``; per week,
        ``days_done`` against ``days_per_week`` and the week's sets and reps.
    """
    measured = {*EXERCISE_MODELS, "walking"}
    items = [p for p in prescription if canonical_name(p.exercise) in measured]
    not_measured = sorted({p.exercise for p in prescription} - {p.exercise for p in items})
    done = [s for s in sets if s.final and s.reps]
    if span_s is not None:
        first, last = _day(span_s[0], day_start_s), _day(span_s[1], day_start_s)
        days = list(range(first, last + 1))
    else:
        days = sorted({_day(s.start_s, day_start_s) for s in done})
    by_day: list[dict[str, Any]] = []
    for d in days:
        todays = [s for s in done if _day(s.start_s, day_start_s) == d]
        by_day.append(
            {
                "day": d,
                "exercises": {
                    canonical_name(p.exercise): _done(
                        p, [s for s in todays if s.exercise == canonical_name(p.exercise)]
                    )
                    for p in items
                },
            }
        )
    weeks: list[dict[str, Any]] = []
    for w in sorted({d // 7 for d in days}):
        in_week = [x for x in by_day if x["day"] // 7 == w]
        entry: dict[str, Any] = {"week": w, "days_covered": len(in_week), "exercises": {}}
        for p in items:
            name = canonical_name(p.exercise)
            per_day = [x["exercises"][name] for x in in_week]
            entry["exercises"][name] = {
                "days_done": sum(1 for e in per_day if e["sets_done"] > 0),
                "days_per_week": p.days_per_week,
                "sets_done": sum(e["sets_done"] for e in per_day),
                "reps_done": sum(e["reps_done"] for e in per_day),
            }
        weeks.append(entry)
    return {"days": by_day, "weeks": weeks, "not_measured": not_measured}
