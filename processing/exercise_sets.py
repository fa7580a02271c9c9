"""Sets from reps: which prescribed exercise they are, which reps count, where to split.

Pure functions used by :mod:`processing.exercise` when a set is reported.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from processing.exercise_types import (
    ExerciseModel,
    ExerciseSet,
    ExerciseSettings,
    Family,
    RepDetail,
)
from processing.reps import RawRep

# Face down, a rep whose trunk also flexed by this fraction of its extension is cat–camel.
CAT_FRACTION = 0.4
# A set splits in two exercises only at a pause this long, s, and when each part fits its
# own exercise better than the other's by this much (see _scores).
SPLIT_MIN_GAP_S = 3.0
SPLIT_MARGIN = 1.0
# A first or last rep this many times slower than the set's median is not part of it.
EDGE_SLOW_FACTOR = 2.5


def make_set(
    family: Family,
    models: dict[str, ExerciseModel],
    settings: ExerciseSettings,
    raw: list[RawRep],
    final: bool,
) -> ExerciseSet | None:
    """The set ``raw`` makes (exercise chosen, small and over-long reps dropped), or None."""
    if not raw:
        return None
    fit = scores(family, models, raw)
    name = min(fit, key=lambda n: fit[n])
    model = models[name]
    if name == "cat_camel":
        # Both ends count: the cat's flexion and the camel's extension.
        raw = [dataclasses.replace(r, range_deg=0.5 * (r.range_deg + r.opposite_deg)) for r in raw]
    ranges = np.array([r.range_deg for r in raw])
    med = float(np.median(ranges))
    keep = ranges >= max(model.min_range_deg, settings.partial_fraction * med)
    keep &= np.array([model.min_hold_s <= r.hold_s <= model.max_hold_s for r in raw])
    reps = _trim_edges([r for r, k in zip(raw, keep, strict=True) if k])
    if len(reps) < model.min_reps:
        return None
    flag = settings.partial_flag_fraction * float(np.median([r.range_deg for r in reps]))
    detail = tuple(
        RepDetail(
            r.start_s,
            r.end_s,
            round(r.range_deg, 2),
            round(r.hold_s, 2),
            round(r.wobble_deg, 2),
            r.range_deg < flag,
        )
        for r in reps
    )
    return ExerciseSet(-1, name, reps[0].start_s, reps[-1].end_s, detail, final)


def _trim_edges(reps: list[RawRep]) -> list[RawRep]:
    """Drop a first or last rep much slower than the set's others.

    Getting up from a chair just before a set of stands, or sitting back down after
    reaching for something just after it, is a sit-stand cycle too, but a slow one.
    """
    while len(reps) >= 3:
        durations = np.array([r.end_s - r.start_s for r in reps])
        if durations[0] > EDGE_SLOW_FACTOR * float(np.median(durations[1:])):
            reps = reps[1:]
        elif durations[-1] > EDGE_SLOW_FACTOR * float(np.median(durations[:-1])):
            reps = reps[:-1]
        else:
            break
    return reps


def _gap(v: float, lo: float, hi: float, scale: float) -> float:
    return max(0.0, lo - v, v - hi) / scale


def scores(
    family: Family, models: dict[str, ExerciseModel], reps: list[RawRep]
) -> dict[str, float]:
    """How badly the reps fit each prescribed exercise of ``family`` (0: typical)."""
    hold = float(np.median([r.hold_s for r in reps]))
    rng = float(np.median([r.range_deg for r in reps]))
    cat = float(np.mean([r.opposite_deg >= CAT_FRACTION * r.range_deg for r in reps]))
    out = {}
    for name, m in models.items():
        score = _gap(hold, *m.typical_hold_s, 1.0) + _gap(rng, *m.typical_range_deg, 10.0)
        if family is Family.FACE_DOWN:
            # Cat–camel flexes before each extension; a press-up does not.
            score += 2.0 * (1.0 - cat if name == "cat_camel" else cat)
        out[name] = score
    return out


def split_point(family: Family, models: dict[str, ExerciseModel], reps: list[RawRep]) -> int | None:
    """Where one exercise gave way to another of the same position, if it did.

    Two exercises done back to back with a short rest look like one set; split at the
    longest pause (at least ``SPLIT_MIN_GAP_S``) after which the reps clearly fit another
    exercise (by ``SPLIT_MARGIN`` on both sides) and each part is a set of its own.
    """
    if len(models) < 2:
        return None
    best, best_gap = None, SPLIT_MIN_GAP_S
    for k in range(2, len(reps) - 1):
        gap = reps[k].start_s - reps[k - 1].end_s
        if gap < best_gap:
            continue
        a, b = scores(family, models, reps[:k]), scores(family, models, reps[k:])
        na, nb = min(a, key=lambda n: a[n]), min(b, key=lambda n: b[n])
        if na != nb and a[nb] - a[na] >= SPLIT_MARGIN and b[na] - b[nb] >= SPLIT_MARGIN:
            best, best_gap = k, gap
    return best
