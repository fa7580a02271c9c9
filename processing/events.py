"""Risky movements and falls, detected as results stream by.

Each detector works on final per-sample results (angles, posture) and a few
raw signals, carries its state between chunks, and reports
:class:`~processing.event_types.EventNotice` objects: ``OPENED`` when the
condition is complete (the moment an alert may go out), ``CLOSED`` when the
event is over. No event spans a gap in the data.

What one lumbar sensor can and cannot say, honestly:

* a *bend* is the lower trunk (pelvis and lumbar spine) flexed past the profile's
  limit for longer than its hold time, with hysteresis, while not lying; getting down
  to the floor and up are bends, resting there is not (dated by
  :class:`~processing.posture.RestEdges`, which says what a held deep stoop becomes);
* a *twist* is the pelvis turning about the vertical while the person is not
  walking: the sensor sees the pelvis, not the spine twisting above it, and
  cannot tell twisting from turning on the spot, so rotations larger than a
  spine allows (``TURN_MIN_DEG``) are taken as turning around and not reported;
* a *fall* is an impact followed by the trunk's attitude staying changed
  (lying, or not getting up), judged from the sensor's own vertical, so it
  needs no mounting.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from processing.event_types import (
    FAR_MARGIN_DEG,
    Event,
    EventChunk,
    EventNotice,
    PerMinute,
    Phase,
    Severity,
)
from processing.held import HeldCondition
from processing.lifts import LiftDetector
from processing.posture import RestEdges, hysteresis
from processing.profile import ClinicalProfile
from processing.twists import TwistDetector
from processing.types import GRAVITY_MPS2, BoolArray, FloatArray, Posture

# EN 1005-4: a side bend beyond 20° is awkward; one held 1 s counts as an occurrence.
LATERAL_AWKWARD_DEG: Final = 20.0
LATERAL_HOLD_S: Final = 1.0
LATERAL_HYSTERESIS_DEG: Final = 3.0
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
# Falls (waist-worn sensors see 3 g and more in falls, up to about 2.5 g in sitting down
# heavily): an impact beyond FALL_IMPACT_G, then an attitude change of at least
# FALL_TILT_DEG still there FALL_AFTER_S later; the attitude before is from FALL_BEFORE_S.
FALL_IMPACT_G: Final = 3.0
FALL_TILT_DEG: Final = 60.0
FALL_BEFORE_S: Final = (2.0, 1.0)
FALL_AFTER_S: Final = (1.5, 3.0)
FALL_REFRACTORY_S: Final = 5.0


@dataclass(slots=True)
class _Candidate:
    index: int  # global sample index of the impact
    t_s: float
    before: FloatArray  # attitude before, unit (3,)
    peak_g: float


@dataclass(slots=True)
class FallDetector:
    """Impact, then a changed attitude that stays: a fall (see the module doc)."""

    rate_hz: float
    _hist_up: FloatArray = field(default_factory=lambda: np.empty((0, 3)))
    _hist_t: FloatArray = field(default_factory=lambda: np.empty(0))
    _pending: list[_Candidate] = field(default_factory=list)
    _quiet_until_s: float = -math.inf

    def update(
        self, t_s: FloatArray, up_s: FloatArray, acc_norm_mps2: FloatArray
    ) -> list[EventNotice]:
        """Feed N samples as they arrive: times (N,) s, earth-up in the sensor (N, 3), |f| (N,).

        Needs no mounting and no posture, so it runs on the raw stream: a fall is
        reported ``FALL_AFTER_S`` after the impact, even before the mounting is known.
        """
        n = len(t_s)
        keep = round((FALL_BEFORE_S[0] + FALL_AFTER_S[1] + 1.0) * self.rate_hz)
        up = np.concatenate([self._hist_up, up_s])[-keep - n :]
        t = np.concatenate([self._hist_t, t_s])[-keep - n :]
        impacts = np.flatnonzero(acc_norm_mps2 > FALL_IMPACT_G * GRAVITY_MPS2)
        offset = len(t) - n
        for i in impacts:
            ts = float(t_s[i])
            if ts < self._quiet_until_s:
                continue
            sel = (t >= ts - FALL_BEFORE_S[0]) & (t <= ts - FALL_BEFORE_S[1])
            if not sel.any():
                continue
            before = up[sel].sum(axis=0)
            peak_g = float(acc_norm_mps2[i] / GRAVITY_MPS2)
            self._pending.append(
                _Candidate(offset + int(i), ts, before / np.linalg.norm(before), peak_g)
            )
            self._quiet_until_s = ts + FALL_REFRACTORY_S
        notices = self._decide(t, up)
        self._hist_up, self._hist_t = up[-keep:], t[-keep:]
        return notices

    def _decide(self, t: FloatArray, up: FloatArray) -> list[EventNotice]:
        notices = []
        still: list[_Candidate] = []
        for cand in self._pending:
            if len(t) == 0 or t[-1] < cand.t_s + FALL_AFTER_S[1]:
                still.append(cand)
                continue
            sel = (t >= cand.t_s + FALL_AFTER_S[0]) & (t <= cand.t_s + FALL_AFTER_S[1])
            if not sel.any():
                continue
            tilt = _angle_deg(up[sel].sum(axis=0), cand.before)
            # Still down at the end of the window (judged against the sensor's own vertical
            # before the fall, so it needs no mounting): the person did not get up.
            end_tilt = _angle_deg(up[sel][-max(1, len(up[sel]) // 4) :].sum(axis=0), cand.before)
            if tilt >= FALL_TILT_DEG and end_tilt >= FALL_TILT_DEG:
                # From the loss of balance to the impact; known FALL_AFTER_S later.
                decided = cand.t_s + FALL_AFTER_S[1]
                event = Event(
                    "fall", cand.t_s - FALL_BEFORE_S[1], cand.t_s, tilt, "",
                    Severity.CRITICAL, decided,
                )  # fmt: skip
                notices += [EventNotice(Phase.OPENED, event), EventNotice(Phase.CLOSED, event)]
        self._pending = still
        return notices


def _angle_deg(a: FloatArray, unit_b: FloatArray) -> float:
    """Angle between vector ``a`` (3,) and unit vector ``unit_b`` (3,), degrees."""
    cos = float(np.dot(a, unit_b)) / max(float(np.linalg.norm(a)), 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


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
                    due = np.flatnonzero(ts[lo:hi] - start >= self.limit_s)
                    if len(due):
                        self.last_s = float(ts[lo + due[0]])
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


class EventDetector:
    """The detectors over the final results of one stream, for one patient's profile.

    Falls are not here: :class:`FallDetector` runs on the raw stream (it needs no
    mounting), so that a fall is reported as soon as it is decided.
    """

    def __init__(self, profile: ClinicalProfile, rate_hz: float) -> None:
        self.profile = profile
        p = profile
        self._bend_on = False
        self._lat_on = False
        self._rest = RestEdges(rate_hz)
        self.bend = HeldCondition("bend", p.flexion_hold_s, self._grade_bend)
        self.lateral = HeldCondition("lateral_bend", LATERAL_HOLD_S, self._grade_lateral)
        self.twist = TwistDetector(p)
        self.sitting = SittingBouts(p)
        self.lifts = LiftDetector(profile, rate_hz)
        self._side_per_minute = PerMinute()

    def update(self, c: EventChunk) -> list[EventNotice]:
        """Notices for N new final samples, in time order (fast and final detectors)."""
        if len(c.t_s) == 0:
            return []
        eligible = _upright_activity(c.posture)
        lying = c.posture == Posture.LYING
        fast = self.update_fast(c.t_s, c.flexion_deg, c.lateral_deg, eligible, c.gap, lying)
        return sorted(fast + self.update_final(c), key=_order)

    def update_fast(
        self,
        t_s: FloatArray,
        flexion_deg: FloatArray,
        lateral_deg: FloatArray,
        eligible: BoolArray,
        gap: BoolArray,
        lying: BoolArray | None = None,
    ) -> list[EventNotice]:
        """Bends and side bends, which need only angles: run as samples arrive.

        ``eligible`` (N,) is False where the trunk is horizontal or the sensor is off;
        ``lying`` (N,), where it is lying (default: wherever not ``eligible``).
        """
        if len(t_s) == 0:
            return []
        p = self.profile
        bend, self._bend_on = hysteresis(
            flexion_deg > p.flexion_limit_deg,
            flexion_deg < p.flexion_limit_deg - p.flexion_hysteresis_deg,
            self._bend_on,
        )
        # Getting down to the floor and up: date the bend by when the trunk came to rest.
        dates = self._rest.update(
            t_s, flexion_deg, bend, bend & eligible, ~eligible if lying is None else lying, gap,
            p.flexion_limit_deg - p.flexion_hysteresis_deg,
        )  # fmt: skip
        lat = np.abs(lateral_deg)
        side, self._lat_on = hysteresis(
            lat > p.lateral_limit_deg,
            lat < p.lateral_limit_deg - LATERAL_HYSTERESIS_DEG,
            self._lat_on,
        )
        bends = self.bend.update(t_s, bend & eligible, flexion_deg, gap, dates)
        return bends + self.lateral.update(t_s, side & eligible, lateral_deg, gap)

    def update_final(self, c: EventChunk) -> list[EventNotice]:
        """Twists, sitting bouts and lifts, which need the final posture (walking status)."""
        if len(c.t_s) == 0:
            return []
        eligible = _upright_activity(c.posture)
        return (
            self.twist.update(c, eligible)
            + self.sitting.update(c)
            + self.lifts.update(c.t_s, c.flexion_deg, c.lateral_deg, c.posture, c.vert_mps2, c.gap)
        )

    def finish(self) -> list[EventNotice]:
        notices = self.bend.finish() + self.lateral.finish() + self.twist.finish()
        notices += self.lifts.finish()
        return sorted(notices + self.sitting.finish(), key=_order)

    def _grade_bend(self, peak: float, _start: float, _duration: float) -> tuple[Severity, str]:
        far = peak >= self.profile.flexion_limit_deg + FAR_MARGIN_DEG
        return (Severity.FAR_BEYOND if far else Severity.BEYOND), ""

    def _grade_lateral(self, peak: float, start_s: float, _duration: float) -> tuple[Severity, str]:
        """Caution under 20° (EN 1005-4 "moderate"), beyond it awkward; far beyond when
        more side bends began in the last minute than the profile allows."""
        side = "right" if peak > 0 else "left"
        if self._side_per_minute.count(start_s) > self.profile.lateral_max_per_min:
            return Severity.FAR_BEYOND, side
        if abs(peak) >= LATERAL_AWKWARD_DEG:
            return Severity.BEYOND, side
        return Severity.CAUTION, side


def _upright_activity(posture: np.ndarray) -> BoolArray:
    """Samples (N,) where bends and twists can happen: not lying, walking or off the body."""
    out: BoolArray = (
        (posture != Posture.LYING) & (posture != Posture.WALKING) & (posture != Posture.NOT_WORN)
    )
    return out


def _order(n: EventNotice) -> tuple[float, int]:
    t = n.event.detected_s if n.phase is Phase.OPENED else n.event.end_s
    return (t, 0 if n.phase is Phase.OPENED else 1)
