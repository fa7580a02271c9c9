"""Scoring detected events against the simulator's ground truth.

One matcher for the benchmark and the tests, so that both count hits, misses and
extras the same way: a detection matches a truth event when their spans overlap
within ``slack_s`` seconds (each is used at most once); a truth event with no
detection is a miss, a detection with no truth event an extra. Timing is scored on
the matched pairs as the absolute start and end differences, seconds.

Anything with ``start_s`` and ``end_s`` in seconds can be scored: the simulator's
:class:`~simulator.truth_types.Event`, the analysis'
:class:`~processing.event_types.Event`, or spans made up by a caller.

Where an event type is a rule over angles or postures (side bends past a limit,
sitting bouts longer than allowed), the truth events are made here by applying the
rule to the simulator's true timeline (:func:`lateral_bend_truth`,
:func:`prolonged_sitting_truth`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

from processing.events import LATERAL_HOLD_S, LATERAL_HYSTERESIS_DEG
from processing.posture import hysteresis
from processing.profile import ClinicalProfile
from processing.sitting import SITTING_BREAK_S
from processing.types import Posture
from simulator.movements import LIFT_LIKE_MIN_DEG
from simulator.truth import Timeline, Truth
from simulator.truth_types import Event as TruthEvent

# The acceptance of issue 3: start and end within half a second.
DEFAULT_SLACK_S = 0.5
# A sensor's angle error: within this of a limit (degrees), a decision is a coin flip.
BORDERLINE_DEG = 2.0


class Span(Protocol):
    """An event as far as scoring goes: when it started and ended, seconds."""

    @property
    def start_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


T = TypeVar("T", bound=Span)
D = TypeVar("D", bound=Span)


@dataclass(frozen=True, slots=True)
class Score(Generic[T, D]):
    """The outcome of matching detections against truth events of one type.

    Attributes:
        pairs: (truth, detection) matched, in truth order.
        missed: truth events without a detection.
        extra: detections without a truth event.
        excused_truth: truth events left out of the score (see :func:`excuse`).
        excused_found: detections left out of the score (see :func:`excuse`).
    """

    pairs: tuple[tuple[T, D], ...]
    missed: tuple[T, ...]
    extra: tuple[D, ...]
    excused_truth: tuple[T, ...] = ()
    excused_found: tuple[D, ...] = ()

    @property
    def hits(self) -> int:
        return len(self.pairs)

    @property
    def n_truth(self) -> int:
        """Truth events scored (hits and misses)."""
        return len(self.pairs) + len(self.missed)

    @property
    def n_found(self) -> int:
        """Detections scored (hits and extras)."""
        return len(self.pairs) + len(self.extra)

    @property
    def recall(self) -> float:
        """Hits over truth events; NaN when there were none."""
        return self.hits / self.n_truth if self.n_truth else math.nan

    @property
    def precision(self) -> float:
        """Hits over detections; NaN when there were none."""
        return self.hits / self.n_found if self.n_found else math.nan

    @property
    def start_errors_s(self) -> tuple[float, ...]:
        """|detected start − true start| per pair, s."""
        return tuple(abs(d.start_s - e.start_s) for e, d in self.pairs)

    @property
    def end_errors_s(self) -> tuple[float, ...]:
        """|detected end − true end| per pair, s."""
        return tuple(abs(d.end_s - e.end_s) for e, d in self.pairs)

    def late(self, tolerance_s: float = DEFAULT_SLACK_S) -> tuple[tuple[T, D], ...]:
        """Pairs whose start or end is off by more than ``tolerance_s``, s."""
        return tuple(
            (e, d)
            for e, d in self.pairs
            if abs(d.start_s - e.start_s) > tolerance_s or abs(d.end_s - e.end_s) > tolerance_s
        )

    def __add__(self, other: Score[T, D]) -> Score[T, D]:
        """Pool two scores (e.g. of several simulated days)."""
        return Score(
            self.pairs + other.pairs,
            self.missed + other.missed,
            self.extra + other.extra,
            self.excused_truth + other.excused_truth,
            self.excused_found + other.excused_found,
        )


def empty_score() -> Score[T, D]:
    """A score with nothing in it, to pool others into."""
    return Score((), (), ())


def match_events(
    truth: Sequence[T], found: Sequence[D], slack_s: float = DEFAULT_SLACK_S
) -> Score[T, D]:
    """Match detections to truth events of one type.

    Each truth event, in the order given, takes the first unused detection whose span
    ``[start_s, end_s]`` overlaps its own widened by ``slack_s`` (s) on both sides. The
    matching is greedy, not optimal: one long detection over two truth events is a hit
    and a miss, whichever order.
    An open detection (NaN end) never matches: score closed events.

    Raises:
        ValueError: ``slack_s`` is negative or not finite.
    """
    if not math.isfinite(slack_s) or slack_s < 0:
        raise ValueError(f"slack_s must be finite and >= 0, got {slack_s!r}")
    pairs: list[tuple[T, D]] = []
    missed: list[T] = []
    used: set[int] = set()
    for e in truth:
        hit = next(
            (
                i
                for i, d in enumerate(found)
                if i not in used and d.start_s < e.end_s + slack_s and d.end_s > e.start_s - slack_s
            ),
            None,
        )
        if hit is None:
            missed.append(e)
        else:
            used.add(hit)
            pairs.append((e, found[hit]))
    extra = tuple(d for i, d in enumerate(found) if i not in used)
    return Score(tuple(pairs), tuple(missed), extra)


def excuse(
    score: Score[T, D],
    truth_borderline: Callable[[T], bool],
    found_borderline: Callable[[D], bool],
) -> Score[T, D]:
    """The score with borderline cases left out: neither a miss nor an extra.

    A truth event for which ``truth_borderline`` holds is left out whether it was found
    or not (with its detection, if any), so that a coin flip counts neither way; an
    extra detection for which ``found_borderline`` holds is left out too. Hits on
    other truth events stay hits.
    """
    pairs = tuple((e, d) for e, d in score.pairs if not truth_borderline(e))
    missed = tuple(e for e in score.missed if not truth_borderline(e))
    extra = tuple(d for d in score.extra if not found_borderline(d))
    excused_t = tuple(e for e, _ in score.pairs if truth_borderline(e))
    excused_t += tuple(e for e in score.missed if truth_borderline(e))
    excused_f = tuple(d for e, d in score.pairs if truth_borderline(e))
    excused_f += tuple(d for d in score.extra if found_borderline(d))
    return Score(
        pairs,
        missed,
        extra,
        score.excused_truth + excused_t,
        score.excused_found + excused_f,
    )


def pooled(scores: Iterable[Score[T, D]]) -> Score[T, D]:
    """All ``scores`` pooled into one."""
    total: Score[T, D] = empty_score()
    for s in scores:
        total = total + s
    return total


# --- Truth for the events whose definition is a rule over the true angles and postures ---


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in ``mask`` (N,) as ``(start, stop)`` index pairs (stop exclusive)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def lateral_bend_truth(
    timeline: Timeline,
    side_bends: Iterable[TruthEvent],
    limit_deg: float,
    hysteresis_deg: float,
    hold_s: float,
) -> list[TruthEvent]:
    """The side bends past a limit, from the true lateral angle, as the detector defines them.

    Inside each scripted side bend (``side_bends``, the simulator's ``lateral_bend`` events,
    which span the whole movement whatever its size), a run of the true ``|lateral_deg|``
    past ``limit_deg`` until it falls ``hysteresis_deg`` under it, lasting ``hold_s`` or
    more (s; from its first to its last sample). Start and end are that run's first and
    last samples; ``peak_deg`` is the signed lateral angle of largest size.

    Raises:
        ValueError: a negative hysteresis or hold.
    """
    if hysteresis_deg < 0 or hold_s < 0:
        raise ValueError(f"hysteresis_deg and hold_s must be >= 0, got {hysteresis_deg}, {hold_s}")
    t = timeline.t_s
    lateral = np.nan_to_num(timeline.lateral_deg)
    size = np.abs(lateral)
    past, _ = hysteresis(size > limit_deg, size < limit_deg - hysteresis_deg, False)
    inside = np.zeros(len(t), dtype=bool)
    for e in side_bends:
        inside |= (t >= e.start_s) & (t <= e.end_s)
    out = []
    for a, b in _runs(past & inside):
        if t[b - 1] - t[a] >= hold_s:
            k = a + int(np.argmax(size[a:b]))
            out.append(TruthEvent("lateral_bend", float(t[a]), float(t[b - 1]), float(lateral[k])))
    return out


def sitting_bouts_truth(timeline: Timeline, break_s: float) -> list[TruthEvent]:
    """Sitting bouts of the truth timeline, whatever their length.

    A bout runs from the first to the last sample labelled ``sitting``; a stretch of other
    labels longer than ``break_s`` (s) between two sitting samples, or any lying or
    not-worn sample there, ends it (the detector's rule: short breaks do not count). Unlike
    the detector, sitting runs under a second count too (the simulator labels none that
    short) and there are no gaps in the truth.

    Raises:
        ValueError: a negative ``break_s``.
    """
    if break_s < 0:
        raise ValueError(f"break_s must be >= 0, got {break_s!r}")
    t = timeline.t_s
    sitting = np.flatnonzero(timeline.posture == Posture.SITTING)
    if len(sitting) == 0:
        return []
    ends = np.cumsum((timeline.posture == Posture.LYING) | (timeline.posture == Posture.NOT_WORN))
    cut = (np.diff(t[sitting]) > break_s) | (np.diff(ends[sitting]) > 0)
    bounds = [0, *(np.flatnonzero(cut) + 1).tolist(), len(sitting)]
    return [
        TruthEvent("prolonged_sitting", float(t[sitting[lo]]), float(t[sitting[hi - 1]]))
        for lo, hi in itertools.pairwise(bounds)
    ]


def prolonged_sitting_truth(
    timeline: Timeline, limit_s: float, break_s: float
) -> list[TruthEvent]:
    """The sitting bouts (:func:`sitting_bouts_truth`) that lasted ``limit_s`` (s) or more.

    Start and end are the bout's: the detector reports the bout, not the moment it
    passed the limit (that is when it alerts).
    """
    return [
        b for b in sitting_bouts_truth(timeline, break_s) if b.end_s - b.start_s >= limit_s
    ]


def true_peak(
    timeline: Timeline, span: Span, column: str = "flexion_deg", magnitude: bool = False
) -> float:
    """The largest true value of ``column`` over ``span`` (degrees; NaN when none), or of
    its size with ``magnitude`` (side bends either way)."""
    t = timeline.t_s
    values = getattr(timeline, column)[(t >= span.start_s) & (t <= span.end_s)]
    values = values[np.isfinite(values)]
    if magnitude:
        values = np.abs(values)
    return float(values.max()) if len(values) else math.nan


def lateral_bend_borderline(
    timeline: Timeline,
    side_bends: Sequence[TruthEvent],
    limit_deg: float,
    hysteresis_deg: float,
    hold_s: float,
    margin_deg: float,
) -> tuple[Callable[[TruthEvent], bool], Callable[[Span], bool]]:
    """Which side bends are coin flips for a sensor with ``margin_deg`` of angle error.

    Returns two predicates for :func:`excuse`: a truth side bend (from
    :func:`lateral_bend_truth` with the same arguments) that the rule at
    ``limit_deg + margin_deg`` would not have counted; an extra detection that the rule at
    ``limit_deg - margin_deg`` would have counted, or whose true peak side bend is within
    ``margin_deg`` of the limit (the truth rule only looks inside scripted side bends; the
    simulator's getting into and out of bed leans exactly 20° sideways).
    """
    surely = lateral_bend_truth(timeline, side_bends, limit_deg + margin_deg, hysteresis_deg,
                                hold_s)  # fmt: skip
    maybe = lateral_bend_truth(timeline, side_bends, limit_deg - margin_deg, hysteresis_deg,
                               hold_s)  # fmt: skip

    def truth_borderline(e: TruthEvent) -> bool:
        return not match_events(surely, [e], 0.0).pairs

    def found_borderline(d: Span) -> bool:
        peak = true_peak(timeline, d, "lateral_deg", magnitude=True)
        return abs(peak - limit_deg) <= margin_deg or bool(
            match_events(maybe, [d], 0.0).pairs
        )

    return truth_borderline, found_borderline


def truth_events(truth: Truth, kind: str, profile: ClinicalProfile) -> list[TruthEvent]:
    """The truth events of ``kind`` on a simulated day under ``profile``: side bends and
    prolonged sitting by the detector's rules on the true timeline, the rest as simulated.

    Raises:
        ValueError: the day has no truth timeline (it was streamed to files).
    """
    tl = truth.timeline
    if tl is None:
        raise ValueError("the simulated day has no truth timeline")
    if kind == "lateral_bend":
        return lateral_bend_truth(
            tl, truth.events_of(kind), profile.lateral_limit_deg, LATERAL_HYSTERESIS_DEG,
            LATERAL_HOLD_S,
        )  # fmt: skip
    if kind == "prolonged_sitting":
        return prolonged_sitting_truth(tl, profile.sitting_max_min * 60.0, SITTING_BREAK_S)
    return truth.events_of(kind)


def borderline(
    truth: Truth, kind: str, profile: ClinicalProfile, margin_deg: float = BORDERLINE_DEG
) -> tuple[Callable[[TruthEvent], bool], Callable[[Span], bool]] | None:
    """Which truth events and which extra detections of ``kind`` are coin flips (for
    :func:`excuse`), or None where no rule is defined.

    Bends: a truth bend peaking within ``margin_deg`` of the limit, an extra whose true peak
    is within it under the limit. Lifts: the same around the simulator's lift-like 40°,
    either side (it counts from the standing posture, a few degrees forward). Side bends:
    :func:`lateral_bend_borderline`.
    """
    tl = truth.timeline
    if tl is None:
        return None
    if kind in ("bend", "lift"):
        edge = profile.flexion_limit_deg if kind == "bend" else LIFT_LIKE_MIN_DEG
        below = margin_deg if kind == "bend" else 0.0

        def truth_near(e: TruthEvent) -> bool:
            near = abs(e.peak_deg - edge) <= margin_deg
            return near and (kind == "bend" or e.technique == "stoop")

        def found_near(d: Span) -> bool:
            peak = true_peak(tl, d)
            return edge - margin_deg <= peak < edge + margin_deg - below

        return truth_near, found_near
    if kind == "lateral_bend":
        return lateral_bend_borderline(
            tl, truth.events_of(kind), profile.lateral_limit_deg, LATERAL_HYSTERESIS_DEG,
            LATERAL_HOLD_S, margin_deg,
        )  # fmt: skip
    return None
