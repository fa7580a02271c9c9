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
    """Sitting bouts longer than the profile allows; breaks under SITTING_BREAK_S do not count."""

    def __init__(self, profile: ClinicalProfile) -> None:
        self.limit_s = profile.sitting_max_min * 60.0
        self.start_s: float | None = None
        self.last_s = -math.inf
        self.opened = False

    def update(self, c: EventChunk) -> list[EventNotice]:
        notices: list[EventNotice] = []
        n = len(c.t_s)
        if n == 0:
            return notices
        sitting = np.flatnonzero(c.posture == Posture.SITTING)
        # Lying, taking the sensor off and gaps end a bout whatever their length.
        ends = (c.posture == Posture.LYING) | (c.posture == Posture.NOT_WORN) | c.gap
        ends_before = np.concatenate([[0], np.cumsum(ends)])  # ends in samples [0, i)
        if len(sitting):
            ts = c.t_s[sitting]
            prev_t = np.concatenate([[self.last_s], ts[:-1]])
            prev_i = np.concatenate([[-1], sitting[:-1]])
            # An end between the previous sitting sample and this one (inclusive of this).
            ended = ends_before[sitting + 1] - ends_before[prev_i + 1] > 0
            new_bout = ended | (ts - prev_t > SITTING_BREAK_S)
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
                    self.start_s = float(ts[lo])
                start = self.start_s if self.start_s is not None else float(ts[lo])
                if not self.opened:
                    due = np.flatnonzero(ts[lo:hi] - start >= self.limit_s)
                    if len(due):
                        self.last_s = float(ts[lo + due[0]])
                        self.opened = True
                        notices.append(
                            EventNotice(Phase.OPENED, self._event(self.last_s, math.nan))
                        )
                self.last_s = float(ts[hi - 1])
            last_sit = int(sitting[-1])
        else:
            last_sit = -1
        # After the last sitting sample: an end, or a long enough stretch, ends the bout.
        if self.start_s is not None and (
            ends_before[n] - ends_before[last_sit + 1] > 0
            or c.t_s[-1] - self.last_s > SITTING_BREAK_S
        ):
            notices += self._close()
        return notices

    def finish(self) -> list[EventNotice]:
        return self._close()

    def _event(self, detected_s: float, end_s: float) -> Event:
        start = self.start_s if self.start_s is not None else detected_s
        duration = (self.last_s if math.isnan(end_s) else end_s) - start
        severity = Severity.FAR_BEYOND if duration >= 2 * self.limit_s else Severity.BEYOND
        return Event("prolonged_sitting", start, end_s, math.nan, "", severity, detected_s)

    def _close(self) -> list[EventNotice]:
        notices = []
        if self.start_s is not None and self.opened:
            notices.append(EventNotice(Phase.CLOSED, self._event(self.last_s, self.last_s)))
        self.start_s, self.opened = None, False
        return notices


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
