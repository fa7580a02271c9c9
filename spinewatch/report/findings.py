"""Plain-language findings for the top of a report page, derived only from the data.

Every function here is pure: a :class:`~spinewatch.report.model.PatientDay` in,
sentences out. Rules they keep:

* a gap or non-wear is said as such; a figure from a day with missing time says
  it covers only the measured time; nothing unmeasured is given as zero;
* a count is a count of what the sensor saw: lifts are "lift-like movements"
  (a lumbar sensor cannot weigh a load), and no finding guesses a cause.

:func:`attention_reasons` gives the reasons a patient-day needs the therapist's
attention, for the clinic summary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from spinewatch.report.model import PatientDay, Span

Kind = Literal["data", "attention", "info"]

# A set's mean range below this fraction of the earlier sets' best is "falling".
RANGE_FALL_FRACTION: Final = 0.8
# Exercises judged by hold time, not range: no range claims for them.
HOLD_EXERCISES: Final = frozenset({"bird_dog", "abdominal_bracing"})
MAX_SPANS_LISTED: Final = 3


@dataclass(frozen=True, slots=True)
class Finding:
    """One sentence; ``kind``: ``data`` (gaps, wear), ``attention`` or ``info``."""

    text: str
    kind: Kind = "info"


@dataclass(frozen=True, slots=True)
class AttentionRules:
    """When a patient-day needs attention: below ``min_wear_h`` hours worn, adherence
    below ``min_adherence`` (0–1), any fall, risky bends over the profile's allowance."""

    min_wear_h: float = 8.0
    min_adherence: float = 0.5


def minutes(seconds: float) -> str:
    """A duration as ``"40 min"`` or ``"2 h 05 min"``."""
    m = round(seconds / 60)
    if m == 0 and seconds > 0:
        return "< 1 min"
    return f"{m} min" if m < 120 else f"{m // 60} h {m % 60:02d} min"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _spans(day: PatientDay, spans: Sequence[Span]) -> str:
    parts = [
        f"{day.hhmm(s.start_s)}–{day.hhmm(s.end_s)} ({minutes(s.duration_s)})"
        for s in spans[:MAX_SPANS_LISTED]
    ]
    more = len(spans) - MAX_SPANS_LISTED
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def coverage_findings(day: PatientDay) -> list[Finding]:
    """Gaps and non-wear, stated as such."""
    h = day.headline
    out: list[Finding] = []
    if h.measured_s <= 0:
        return [Finding("No data was recorded on this day: there are no figures for it.", "data")]
    if not day.worn:
        return [
            Finding(
                f"The sensor was not worn ({minutes(h.measured_s)} recorded, all off the body): "
                "no movement figures for this day.",
                "data",
            )
        ]
    if day.gaps:
        out.append(
            Finding(
                f"No data {_spans(day, day.gaps)}: sensor or gateway off; nothing is known "
                "about those times.",
                "data",
            )
        )
    if day.not_worn:
        out.append(Finding(f"Not worn {_spans(day, day.not_worn)}.", "data"))
    if out:
        out.append(
            Finding(
                f"Figures below cover the {minutes(h.wear_s)} the sensor was worn "
                f"out of {minutes(h.duration_s)} from first to last sample.",
                "data",
            )
        )
    return out


def fall_findings(day: PatientDay) -> list[Finding]:
    falls = [e for e in day.events if e.type == "fall"]
    if not day.worn:
        return []
    if not falls:
        return [Finding("No falls detected while worn.")]
    times = ", ".join(day.hhmm(e.start_s) for e in falls)
    return [
        Finding(
            f"{plural(len(falls), 'fall')} detected (at {times}): check with the patient.",
            "attention",
        )
    ]


def bend_findings(day: PatientDay) -> list[Finding]:
    if not day.worn:
        return []
    t = day.targets
    n = day.headline.event_counts.get("bend", 0)
    if n == 0:
        return [Finding(f"No risky bends past {t.flexion_limit_deg:g}° while worn.")]
    far = sum(1 for e in day.events if e.type == "bend" and e.severity == "far_beyond")
    text = f"{plural(n, 'risky bend')} past {t.flexion_limit_deg:g}°"
    if far:
        text += f" ({far} of them 20° or more past it)"
    allowance = t.daily_risky_bend_allowance
    if n > allowance:
        return [Finding(f"{text}; the daily allowance is {allowance}.", "attention")]
    return [Finding(f"{text}, within the daily allowance of {allowance}.")]


def lift_findings(day: PatientDay) -> list[Finding]:
    """Lift-like movements by technique, with the hours they fell in."""
    if not day.worn:
        return []
    parts: list[str] = []
    for technique in ("stoop", "squat"):
        lifts = [e for e in day.events if e.type == "lift" and e.technique == technique]
        if not lifts:
            parts.append(f"no {technique} lifts")
        elif len(lifts) == 1:
            parts.append(f"1 {technique} lift at {day.hhmm(lifts[0].start_s)}")
        else:
            first = day.clock(lifts[0].start_s).replace(minute=0, second=0, microsecond=0)
            last = day.clock(max(e.end_s for e in lifts))
            end_hour = (last.hour + (1 if (last.minute or last.second) else 0)) % 24
            parts.append(
                f"{len(lifts)} {technique} lifts between {first:%H}:00 and {end_hour:02d}:00"
            )
    other = sum(1 for e in day.events if e.type == "lift" and e.technique not in ("stoop", "squat"))
    if other:
        parts.append(f"{plural(other, 'lift')} of unknown technique")
    any_lift = day.headline.event_counts.get("lift", 0) > 0
    text = "; ".join(parts)
    text = text[0].upper() + text[1:] + " (lift-like movements: the load is not measured)."
    kind: Kind = "attention" if any_lift and not day.targets.lift_allowed else "info"
    return [Finding(text, kind)]


def sitting_findings(day: PatientDay) -> list[Finding]:
    h = day.headline
    if h.longest_sitting_s is None or h.longest_sitting_s <= 0:
        return [] if not day.worn else [Finding("No sitting seen while worn.")]
    limit_min = day.targets.sitting_max_min
    at = "" if h.longest_sitting_start_s is None else f" at {day.hhmm(h.longest_sitting_start_s)}"
    m = round(h.longest_sitting_s / 60)
    if h.longest_sitting_s > limit_min * 60:
        return [
            Finding(
                f"Sat for {m} minutes without a break{at} (limit {limit_min:g} min).", "attention"
            )
        ]
    return [Finding(f"Longest sitting bout {m} min{at}, within the {limit_min:g} min limit.")]


def activity_findings(day: PatientDay) -> list[Finding]:
    h = day.headline
    if not day.worn or h.steps is None or h.walking_s is None:
        return []
    t = day.targets
    partial = day.gaps or day.not_worn
    text = (
        f"{h.steps} steps (target {t.daily_steps_target}) and {minutes(h.walking_s)} walking "
        f"(target {t.walking_target_min:g} min)"
    )
    if partial:
        text += ", counted while worn"
    return [Finding(text + ".")]


def _range_falling(sets: Sequence[Sequence[float]]) -> str | None:
    """``"in the last set"``, ``"through the set"`` or None, from ranges (°) per set."""
    means = [sum(r) / len(r) for r in sets if r]
    if len(means) >= 2 and means[-1] < RANGE_FALL_FRACTION * max(means[:-1]):
        return "range falling in the last set"
    last = list(sets[-1]) if sets else []
    if len(last) >= 6:
        third = len(last) // 3
        head, tail = last[:third], last[-third:]
        if sum(tail) / third < RANGE_FALL_FRACTION * sum(head) / third:
            return "range falling through the last set"
    return None


def exercise_findings(day: PatientDay) -> list[Finding]:
    """Sets done against prescribed, and range trends the reps show."""
    if day.sets is None:
        return [Finding("No exercise data: this analysis did not look for exercises.", "data")]
    if not day.worn:
        return []
    by_name: dict[str, list[list[float]]] = {}
    for s in day.sets:
        by_name.setdefault(s.exercise, []).append(
            [r.range_deg for r in s.reps if math.isfinite(r.range_deg)]
        )
    out: list[Finding] = []
    done = {a.exercise: a for a in day.adherence or ()}
    for name, a in done.items():
        label = name.replace("_", " ")
        text = f"{label}: {a.sets_done} of {a.sets_prescribed} sets"
        if a.reps_prescribed:
            text += f", {a.reps_done} of {a.reps_prescribed} reps"
        trend = None if name in HOLD_EXERCISES else _range_falling(by_name.get(name, []))
        if trend:
            text += f", {trend}"
        kind: Kind = "attention" if a.fraction < AttentionRules().min_adherence else "info"
        out.append(Finding(text + ".", kind))
    extra = []
    for name, sets in by_name.items():
        if name in done:
            continue
        reps = sum(s.rep_count for s in day.sets if s.exercise == name)
        trend = None if name in HOLD_EXERCISES else _range_falling(sets)
        extra.append(
            f"{name.replace('_', ' ')} {plural(len(sets), 'set')} of {plural(reps, 'rep')}"
            + (f" ({trend})" if trend else "")
        )
    if extra:  # one sentence, so that a long list does not push the plots off the page
        head = "Not prescribed: " if done else "Exercises (none prescribed): "
        out.append(Finding(head + "; ".join(extra) + "."))
    if not out:
        out.append(Finding("No exercise sets recognised while worn."))
    return out


def findings(day: PatientDay) -> list[Finding]:
    """All findings of a day, data coverage first, then attention before information."""
    body = (
        fall_findings(day)
        + bend_findings(day)
        + lift_findings(day)
        + sitting_findings(day)
        + activity_findings(day)
        + exercise_findings(day)
    )
    order = {"data": 0, "attention": 1, "info": 2}
    return coverage_findings(day) + sorted(body, key=lambda f: order[f.kind])


def attention_reasons(day: PatientDay | None, rules: AttentionRules) -> list[str]:
    """Why this patient-day needs attention (empty: it does not); None: no data at all."""
    if day is None:
        return ["no data"]
    h = day.headline
    reasons: list[str] = []
    falls = h.event_counts.get("fall", 0)
    if falls:
        reasons.append(plural(falls, "fall"))
    bends = h.event_counts.get("bend", 0)
    if bends > day.targets.daily_risky_bend_allowance:
        reasons.append(f"{bends} risky bends (allowance {day.targets.daily_risky_bend_allowance})")
    if h.wear_s < rules.min_wear_h * 3600:
        reasons.append(f"worn {h.wear_s / 3600:.1f} h (< {rules.min_wear_h:g} h)")
    low = [a.exercise for a in day.adherence or () if a.fraction < rules.min_adherence]
    if low:
        reasons.append("exercises below " + f"{rules.min_adherence:.0%}: " + ", ".join(low))
    return reasons
