"""A condition that counts once it has held long enough: bends and side bends.

:class:`HeldCondition` turns a per-sample condition (and its signal) into events with
a hold time, across chunks and never across a gap; the caller may date a run's start
and end more precisely than the condition's own samples (bends cut by lying, see
:class:`processing.posture.RestEdges`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from processing.event_types import Event, EventNotice, Phase, Severity
from processing.types import BoolArray, FloatArray


@dataclass(slots=True)
class _Run:
    start_s: float
    last_s: float
    peak: float
    opened: bool = False
    opened_s: float = 0.0  # when it had held long enough (s; valid once opened)


def _runs(active: BoolArray, gap: BoolArray, carried: bool) -> list[tuple[int, int, bool]]:
    """Runs of ``active`` as ``(start, stop, continues)``; a gap always starts a new run.

    ``carried``: a run was going on at the end of the previous chunk; the first run
    here ``continues`` it if it starts at sample 0 without a gap.
    """
    if len(active) == 0 or not active.any():
        return []
    prev = np.concatenate([[carried], active[:-1]])
    ids = np.cumsum(active & (~prev | gap))
    idx = np.flatnonzero(active)
    run_ids, first, counts = np.unique(ids[idx], return_index=True, return_counts=True)
    return [
        (int(idx[f]), int(idx[f]) + int(n), bool(r == 0))
        for r, f, n in zip(run_ids, first, counts, strict=True)
    ]


class HeldCondition:
    """A condition that counts once it has held for ``hold_s`` (bends, side bends).

    The event's peak is the value of largest magnitude; ``grade`` turns
    ``(peak, start_s, duration_s)`` into severity and technique.
    """

    def __init__(
        self,
        kind: str,
        hold_s: float,
        grade: Callable[[float, float, float], tuple[Severity, str]],
    ) -> None:
        self.kind = kind
        self.hold_s = hold_s
        self.grade = grade
        self.run: _Run | None = None

    def update(
        self,
        t: FloatArray,
        active: BoolArray,
        value: FloatArray,
        gap: BoolArray,
        dates: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None,
    ) -> list[EventNotice]:
        """Feed N samples: times (N,) s, the condition (N,), its signal (N,), gaps (N,).

        ``dates`` (each (N,)), for a caller who knows more of the movement: when a run
        that starts at a sample began, s, and the signal then (NaN: none); at the sample
        that ends a run, when it ended, s (NaN: at its last active sample), and the peak
        up to then (NaN: the run's own).
        """
        start_s, from_value, end_s, to_value = (t, None, None, None) if dates is None else dates
        notices: list[EventNotice] = []
        if self.run is not None and len(active) and (not active[0] or gap[0]):
            # The run ended with the previous chunk.
            notices += self._close(*_end(end_s, to_value, 0, bool(gap[0])))
        for a, b, continues in _runs(active, gap, self.run is not None):
            if not continues:
                notices += self._close()
            k = a + int(np.argmax(np.abs(value[a:b])))
            if self.run is None:
                self.run = _Run(min(float(start_s[a]), float(t[a])), float(t[a]), float(value[k]))
                if from_value is not None and abs(from_value[a]) > abs(self.run.peak):
                    self.run.peak = float(from_value[a])
            run = self.run
            if abs(float(value[k])) > abs(run.peak):
                run.peak = float(value[k])
            run.last_s = float(t[b - 1])
            if not run.opened:
                held = np.flatnonzero(t[a:b] - run.start_s >= self.hold_s)
                if len(held):
                    run.opened = True
                    run.opened_s = float(t[a + held[0]])
                    notices.append(EventNotice(Phase.OPENED, self._event(run.opened_s)))
            if b < len(active):  # ended inside this chunk
                notices += self._close(*_end(end_s, to_value, b, False))
        return notices

    def finish(self) -> list[EventNotice]:
        return self._close()

    def _event(self, detected_s: float, end_s: float = math.nan) -> Event:
        run = self.run
        if run is None:
            raise ValueError("internal: no run to report")
        severity, technique = self.grade(run.peak, run.start_s, run.last_s - run.start_s)
        return Event(self.kind, run.start_s, end_s, run.peak, technique, severity, detected_s)

    def _close(self, end_s: float = math.nan, peak: float = math.nan) -> list[EventNotice]:
        run = self.run
        if run is None:
            return []
        if not math.isnan(end_s):
            # An alert that went out is not taken back: the event ends no earlier than it.
            run.last_s = max(min(end_s, run.last_s), run.opened_s if run.opened else run.start_s)
            run.peak = run.peak if math.isnan(peak) or run.last_s > end_s else peak
        notices = (
            [EventNotice(Phase.CLOSED, self._event(run.last_s, run.last_s))] if run.opened else []
        )
        self.run = None
        return notices


def _end(
    end_s: FloatArray | None, peak: FloatArray | None, i: int, gap: bool
) -> tuple[float, float]:
    """A run's end and peak given by the caller at sample ``i`` (NaN: none)."""
    if end_s is None or peak is None or gap:
        return math.nan, math.nan
    return float(end_s[i]), float(peak[i])
