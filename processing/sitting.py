"""Prolonged sitting: bouts of sitting longer than the profile allows, as results stream by.

A *sitting bout* is a stretch of the posture's ``sitting`` samples (in runs of at least
``SITTING_MIN_S``) that breaks shorter than ``SITTING_BREAK_S`` do not end; lying, taking
the sensor off and gaps end it whatever their length. It is reported
(:class:`~processing.event_types.EventNotice`) ``OPENED`` when it passes the profile's
limit and ``CLOSED`` when it is over.

It is dated by the trunk itself, not by the posture's edges (which lag a few tenths of a
second behind the pelvis coming to rest and getting up): it starts when the trunk came to
rest on the seat and ends when it started to move out of it, within ``SITTING_DATE_MAX_S``
of the posture's own edges and never across a gap (see ``SITTING_STILL_DPS``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from processing.event_types import Event, EventChunk, EventNotice, Phase, Severity
from processing.profile import ClinicalProfile
from processing.types import BoolArray, FloatArray, IntArray, Posture

# A sitting bout survives breaks shorter than this (shifting, reaching, a brief stand).
SITTING_BREAK_S: Final = 30.0
# The posture says "sitting" a few tenths of a second after the pelvis came to rest on the
# seat and still says it as the trunk starts to get up (its tilting rate is smoothed against
# jitter), so a bout is dated by the trunk itself: it starts when the trunk came to rest
# (flexion and side bend changing slower than SITTING_STILL_DPS) within SITTING_SETTLE_DEG
# of the tilt it sat with, and ends when it started to move again; at most
# SITTING_DATE_MAX_S from the posture's own edges, never across a gap.
SITTING_STILL_DPS: Final = 3.0
SITTING_SETTLE_DEG: Final = 2.0
SITTING_DATE_MAX_S: Final = 5.0
# Sitting held for less than this is passing through a seated pose (the pause between
# sitting on the bed and lying back, or getting up from the floor), not sitting.
SITTING_MIN_S: Final = 1.0


class SittingBouts:
    """Sitting bouts longer than the profile allows; breaks under SITTING_BREAK_S do not count.

    A bout is dated from when the trunk came to rest on the seat to when it started to
    move out of it (see ``SITTING_STILL_DPS``); whether it is one bout, and whether it is
    past the limit, follow the posture's sitting samples, in runs of SITTING_MIN_S or more.
    """

    def __init__(self, profile: ClinicalProfile) -> None:
        self.limit_s = profile.sitting_max_min * 60.0
        self.start_s: float | None = None
        self.last_s = -math.inf  # the last sitting sample of the bout
        self.end_s = -math.inf  # when the trunk started to move out of the seat
        self.opened = False
        self.opened_s = math.nan  # when it passed the limit (valid once opened)
        # The bout's first sitting sample, while the trunk was still moving there (s).
        self._settle_from: float | None = None
        # The first sample of the run of sitting samples going on at the end of the last
        # chunk (s), if one was.
        self._run_start_s: float | None = None
        # The last SITTING_DATE_MAX_S (and a second more) of times, angles and gaps, to date
        # a bout's edges across chunks.
        self._hist_t = np.empty(0)
        self._hist_flex = np.empty(0)
        self._hist_lat = np.empty(0)
        self._hist_gap = np.empty(0, dtype=bool)

    def update(self, c: EventChunk) -> list[EventNotice]:
        notices: list[EventNotice] = []
        n = len(c.t_s)
        if n == 0:
            return notices
        edges = _SeatEdges(
            np.concatenate([self._hist_t, c.t_s]),
            np.concatenate([self._hist_flex, c.flexion_deg]),
            np.concatenate([self._hist_lat, c.lateral_deg]),
            np.concatenate([self._hist_gap, c.gap]),
            len(self._hist_t),
        )
        if self._settle_from is not None:
            self._settle(edges, edges.offset)
        run_start = self._sitting_runs(c)
        sitting = np.flatnonzero(c.t_s - run_start >= SITTING_MIN_S)  # NaN: not sitting
        # Lying, taking the sensor off and gaps end a bout whatever their length.
        ends = (c.posture == Posture.LYING) | (c.posture == Posture.NOT_WORN) | c.gap
        ends_before = np.concatenate([[0], np.cumsum(ends)])  # ends in samples [0, i)
        if len(sitting):
            ts = c.t_s[sitting]
            prev_t = np.concatenate([[self.last_s], ts[:-1]])
            prev_i = np.concatenate([[-1], sitting[:-1]])
            # An end between the previous sitting sample and this one (inclusive of this).
            ended = ends_before[sitting + 1] - ends_before[prev_i + 1] > 0
            # A break lasts until the run of sitting after it began, not until it counted.
            new_bout = ended | (run_start[sitting] - prev_t > SITTING_BREAK_S)
            if self.start_s is None:
                new_bout[0] = True
            cuts = np.flatnonzero(new_bout)
            bounds = [*cuts.tolist(), len(sitting)]
            if cuts.size == 0 or cuts[0] > 0:
                bounds = [0, *bounds]  # the first stretch continues the open bout
            for lo, hi in itertools.pairwise(bounds):
                if hi <= lo:
                    continue
                if new_bout[lo]:
                    notices += self._close()
                    first = edges.index_of(float(run_start[sitting[lo]]))
                    self.start_s = edges.came_to_rest(first)
                    if edges.moving_at(first):  # still settling: it starts once at rest
                        self._settle_from = self.start_s
                        self._settle(edges, first)
                start = self.start_s if self.start_s is not None else float(ts[lo])
                if not self.opened:
                    due = self._due(edges, sitting[lo:hi], ts[lo:hi] - start)
                    if due is not None:
                        self.last_s = float(ts[lo + due])
                        self.opened, self.opened_s = True, self.last_s
                        notices.append(
                            EventNotice(Phase.OPENED, self._event(self.last_s, math.nan))
                        )
                self.last_s = float(ts[hi - 1])
                # An alert that went out is not taken back: the bout ends no earlier than it.
                floor_s = self.opened_s if self.opened else start
                last = edges.offset + int(sitting[hi - 1])
                self.end_s = max(edges.started_moving(last), floor_s)
            last_sit = int(sitting[-1])
        else:
            last_sit = -1
        # After the last sitting sample: an end, or a long enough stretch, ends the bout
        # (unless sitting began again within the break and may yet count).
        pending = self._run_start_s is not None and (
            self._run_start_s - self.last_s <= SITTING_BREAK_S
        )
        if self.start_s is not None and (
            ends_before[n] - ends_before[last_sit + 1] > 0
            or (c.t_s[-1] - self.last_s > SITTING_BREAK_S and not pending)
        ):
            notices += self._close()
        keep = edges.t >= c.t_s[-1] - (SITTING_DATE_MAX_S + 1.0)
        self._hist_t, self._hist_flex = edges.t[keep], edges.flex[keep]
        self._hist_lat, self._hist_gap = edges.lat[keep], edges.gap[keep]
        return notices

    def finish(self) -> list[EventNotice]:
        return self._close()

    def _due(self, edges: _SeatEdges, sitting: IntArray, sat_s: FloatArray) -> int | None:
        """The first of these sitting samples (indices into the chunk, (M,), sat for
        ``sat_s`` (M,) s) where the bout passed the limit with the trunk still on the seat,
        or None. The posture still says sitting for a moment once the trunk has begun to
        get up (or to lie back): a bout that ends just short of the limit is not past it."""
        for k in np.flatnonzero(sat_s >= self.limit_s).tolist():
            if not edges.moving_at(edges.offset + int(sitting[k])):
                return int(k)
        return None

    def _sitting_runs(self, c: EventChunk) -> FloatArray:
        """When the run of sitting samples each sample is in began (s, (N,); NaN where not
        sitting); a gap starts a new run. Carries the run going on at the end."""
        is_sit = c.posture == Posture.SITTING
        before = np.concatenate([[self._run_start_s is not None], is_sit[:-1]])
        begins = is_sit & (~before | c.gap)
        idx = np.maximum.accumulate(np.where(begins, np.arange(len(is_sit)), -1))
        carried = math.nan if self._run_start_s is None else self._run_start_s
        start = np.where(idx >= 0, c.t_s[np.maximum(idx, 0)], carried)
        start = np.where(is_sit, start, math.nan)
        self._run_start_s = float(start[-1]) if is_sit[-1] else None
        return start

    def _settle(self, edges: _SeatEdges, i: int) -> None:
        """Move a settling bout's start on to when the trunk came to rest, from sample ``i``
        of ``edges`` on (it is decided within SITTING_DATE_MAX_S, before any limit)."""
        if self._settle_from is None:
            return
        rest_s, decided = edges.comes_to_rest(i, self._settle_from)
        if rest_s is not None and self.start_s is not None:
            self.start_s = rest_s
        if decided:
            self._settle_from = None

    def _event(self, detected_s: float, end_s: float) -> Event:
        start = self.start_s if self.start_s is not None else detected_s
        duration = (self.last_s if math.isnan(end_s) else end_s) - start
        severity = Severity.FAR_BEYOND if duration >= 2 * self.limit_s else Severity.BEYOND
        return Event("prolonged_sitting", start, end_s, math.nan, "", severity, detected_s)

    def _close(self) -> list[EventNotice]:
        notices = []
        if self.start_s is not None and self.opened:
            notices.append(EventNotice(Phase.CLOSED, self._event(self.last_s, self.end_s)))
        self.start_s, self.opened, self._settle_from = None, False, None
        return notices


@dataclass(frozen=True, slots=True)
class _SeatEdges:
    """Recent samples (M,) of times (s), flexion and side bend (degrees) and gaps, to date
    where a sitting bout began and ended (see ``SITTING_STILL_DPS``); ``offset`` is the
    index of the chunk's first sample."""

    t: FloatArray
    flex: FloatArray
    lat: FloatArray
    gap: BoolArray
    offset: int

    def _moving(self, lo: int, hi: int) -> BoolArray:
        """Whether the trunk turned faster than SITTING_STILL_DPS into each sample of [lo, hi)."""
        a = max(lo - 1, 0)
        dt = np.maximum(np.diff(self.t[a:hi]), 1e-9)
        fast = np.hypot(np.diff(self.flex[a:hi]), np.diff(self.lat[a:hi])) / dt > SITTING_STILL_DPS
        if a == lo:  # the very first sample kept has no sample before it
            fast = np.concatenate([[False], fast])
        out: BoolArray = fast & ~self.gap[lo:hi]  # nothing is known across a gap
        return out

    def _window(self, i: int) -> int:
        return int(np.searchsorted(self.t, self.t[i] - SITTING_DATE_MAX_S, side="left"))

    def _back(self, i: int, lo: int, keep: BoolArray) -> int:
        """The first index of the run of ``keep`` (over [lo, i]) that ends at ``i``, not
        crossing a gap (a sample after a gap is the first a run may hold)."""
        blocked = ~keep
        blocked[:-1] |= self.gap[lo + 1 : i + 1]
        stops = np.flatnonzero(blocked)
        return lo if len(stops) == 0 else lo + int(stops[-1]) + 1

    def index_of(self, t_s: float) -> int:
        """The index of the sample at ``t_s`` (s; one of ``t``, or the first after it)."""
        return min(int(np.searchsorted(self.t, t_s, side="left")), len(self.t) - 1)

    def moving_at(self, i: int) -> bool:
        """Whether the trunk was moving into sample ``i``."""
        return bool(self._moving(i, i + 1)[0])

    def comes_to_rest(self, i: int, from_s: float) -> tuple[float | None, bool]:
        """The first still sample from sample ``i`` on, within SITTING_DATE_MAX_S of
        ``from_s`` and before a gap (s, or None), and whether that is decided (found, or
        the window or a gap passed)."""
        moving = self._moving(i, len(self.t))
        stops = np.flatnonzero(self.gap[i:] | (self.t[i:] > from_s + SITTING_DATE_MAX_S))
        end = int(stops[0]) if len(stops) else len(moving)
        still = np.flatnonzero(~moving[:end])
        if len(still):
            return float(self.t[i + int(still[0])]), True
        return None, end < len(moving)

    def came_to_rest(self, i: int) -> float:
        """When the trunk came to rest before sample ``i`` (s; its own time when moving)."""
        lo = self._window(i)
        still = ~self._moving(lo, i + 1)
        settled = still & (np.abs(self.flex[lo : i + 1] - self.flex[i]) <= SITTING_SETTLE_DEG)
        if not settled[-1]:
            return float(self.t[i])
        return float(self.t[self._back(i, lo, settled)])

    def started_moving(self, i: int) -> float:
        """When the trunk started the movement sample ``i`` is in (s): the last still
        sample before it; its own time when still."""
        lo = self._window(i)
        moving = self._moving(lo, i + 1)
        if not moving[-1]:
            return float(self.t[i])
        first = self._back(i, lo, moving)
        return float(self.t[max(first - 1, lo)])
