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
  needs no mounting. The trunk passing the bend limit on the way down is part of
  the fall, not a bend (:class:`FallBends`).
"""

from __future__ import annotations

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
from processing.sitting import SittingBouts
from processing.twists import TwistDetector
from processing.types import GRAVITY_MPS2, BoolArray, FloatArray, Posture

# EN 1005-4: a side bend beyond 20° is awkward; one held 1 s counts as an occurrence.
LATERAL_AWKWARD_DEG: Final = 20.0
LATERAL_HOLD_S: Final = 1.0
LATERAL_HYSTERESIS_DEG: Final = 3.0
# Falls (waist-worn sensors see 3 g and more in falls, up to about 2.5 g in sitting down
# heavily): an impact beyond FALL_IMPACT_G, then an attitude change of at least
# FALL_TILT_DEG still there FALL_AFTER_S later; the attitude before is from FALL_BEFORE_S.
FALL_IMPACT_G: Final = 3.0
FALL_TILT_DEG: Final = 60.0
FALL_BEFORE_S: Final = (2.0, 1.0)
FALL_AFTER_S: Final = (1.5, 3.0)
FALL_REFRACTORY_S: Final = 5.0
# A bend is part of a fall when a fall's impact comes within FALL_BEND_LEAD_S after the bend
# began (the trunk passes the limit on the way down; a fall's descent lasts under a second)
# or FALL_BEND_LAG_S before it (still pitching forward as it lands). Whether to wait for an
# impact still to come is told by the hips dropping: the specific force under FALL_DROP_G
# (an ordinary bend keeps it above ~0.75 g, a fall's descent takes it to 0.1–0.6 g) within
# FALL_DROP_S (before, after) the bend began; the descent is under way by then.
FALL_BEND_LEAD_S: Final = 2.0
FALL_BEND_LAG_S: Final = 0.5
FALL_DROP_G: Final = 0.6
FALL_DROP_S: Final = (1.0, 0.3)
# How far back the fall records for bends are kept behind the bends' own samples, s: a
# bend's start may be dated back to when the trunk began to rise (REST_LOOKBACK_S).
_FALL_MEMORY_S: Final = 30.0


@dataclass(slots=True)
class _Candidate:
    index: int  # global sample index of the impact
    t_s: float
    before: FloatArray  # attitude before, unit (3,)
    peak_g: float
    fell: bool | None = None  # decided a fall or not (None: not yet)


@dataclass(slots=True)
class FallDetector:
    """Impact, then a changed attitude that stays: a fall (see the module doc).

    Once ``watched`` (by :class:`FallBends`), it also keeps what bends need to know about
    falls: the impacts and their verdicts (``impacts``), the stretches where the specific
    force dropped under ``FALL_DROP_G`` (``drops``, (start, end) s) and the last time seen
    (``seen_s``); the watcher forgets them (:meth:`forget_before`).
    """

    rate_hz: float
    watched: bool = False
    seen_s: float = -math.inf
    impacts: list[_Candidate] = field(default_factory=list)
    drops: list[tuple[float, float]] = field(default_factory=list)
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
        if n == 0:
            return []
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
            cand = _Candidate(offset + int(i), ts, before / np.linalg.norm(before), peak_g)
            self._pending.append(cand)
            if self.watched:
                self.impacts.append(cand)
            self._quiet_until_s = ts + FALL_REFRACTORY_S
        if self.watched:
            self._note_drops(t_s, acc_norm_mps2)
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
                cand.fell = False
                continue
            tilt = _angle_deg(up[sel].sum(axis=0), cand.before)
            # Still down at the end of the window (judged against the sensor's own vertical
            # before the fall, so it needs no mounting): the person did not get up.
            end_tilt = _angle_deg(up[sel][-max(1, len(up[sel]) // 4) :].sum(axis=0), cand.before)
            cand.fell = tilt >= FALL_TILT_DEG and end_tilt >= FALL_TILT_DEG
            if cand.fell:
                # From the loss of balance to the impact; known FALL_AFTER_S later.
                decided = cand.t_s + FALL_AFTER_S[1]
                event = Event(
                    "fall", cand.t_s - FALL_BEFORE_S[1], cand.t_s, tilt, "",
                    Severity.CRITICAL, decided,
                )  # fmt: skip
                notices += [EventNotice(Phase.OPENED, event), EventNotice(Phase.CLOSED, event)]
        self._pending = still
        return notices

    def _note_drops(self, t_s: FloatArray, acc_norm_mps2: FloatArray) -> None:
        """Note the stretches (start, end) s where |f| (N,) fell under FALL_DROP_G."""
        low = np.concatenate([[False], acc_norm_mps2 < FALL_DROP_G * GRAVITY_MPS2, [False]])
        edges = np.flatnonzero(np.diff(low.astype(np.int8)))
        self.drops += [
            (float(t_s[a]), float(t_s[b - 1])) for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]
        self.seen_s = float(t_s[-1])

    def dropped(self, from_s: float, to_s: float) -> bool:
        """Whether |f| fell under FALL_DROP_G between ``from_s`` and ``to_s`` (s)."""
        return any(a <= to_s and b >= from_s for a, b in self.drops)

    def forget_before(self, t_s: float) -> None:
        """Forget the impacts and drops before ``t_s`` (s): no bend asks about them."""
        self.impacts = [c for c in self.impacts if c.t_s >= t_s]
        self.drops = [d for d in self.drops if d[1] >= t_s]


def _angle_deg(a: FloatArray, unit_b: FloatArray) -> float:
    """Angle between vector ``a`` (3,) and unit vector ``unit_b`` (3,), degrees."""
    cos = float(np.dot(a, unit_b)) / max(float(np.linalg.norm(a)), 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


class FallBends:
    """Bend notices, less the bends that are part of a fall.

    A bend is part of a fall when a fall's impact lies within ``FALL_BEND_LAG_S`` before to
    ``FALL_BEND_LEAD_S`` after its start, and either that impact came by the time the bend
    opened or the hips dropped as it began (``FALL_DROP_S``); such a bend is dropped whole
    (neither ``OPENED`` nor ``CLOSED`` goes out, so no alert and no event). Which bends
    wait: one that opened with no impact near and no drop goes out at once with a hold of
    ``FALL_DROP_S[1]`` or more (the real profiles' 3–10 s: ordinary bends are not delayed),
    else ``FALL_DROP_S[1]`` after its start, to see the hips not drop; one that may be part of a
    fall waits for the impact (up to ``FALL_BEND_LEAD_S`` after its start) and for the
    fall's verdict (``FALL_AFTER_S`` after the impact), so its alert, if it is not a fall,
    is late by up to ``FALL_BEND_LEAD_S`` + ``FALL_AFTER_S[1]``, 5 s. Notices go out in the
    order they came (the alert policy's cooldown counts from the previous bend), so a bend
    right after a waiting one waits too. Judged from the data alone, so streaming equals
    offline; it needs the fall detector to have seen the raw samples up to the bends'.
    """

    def __init__(self, falls: FallDetector, hold_s: float) -> None:
        """``hold_s``: the bends' hold time, s (a bend not yet opened began at most that
        long ago, so what the fall detector knew before then is no longer asked for)."""
        self.falls = falls
        self.hold_s = hold_s
        falls.watched = True
        self._queue: list[EventNotice] = []
        self._dropped: dict[float, bool] = {}  # verdicts of open bends, by start (s)

    def update(self, notices: list[EventNotice], now_s: float) -> list[EventNotice]:
        """The bend notices that can go out, given new ones; ``now_s``: the bends' last
        sample (s)."""
        out = self._release(notices, final=False)
        head = self._queue[0].event.start_s if self._queue else now_s
        self.falls.forget_before(min(head, now_s - self.hold_s) - _FALL_MEMORY_S)
        return out

    def finish(self, notices: list[EventNotice]) -> list[EventNotice]:
        """The rest: an impact never decided was no fall (none was reported)."""
        return self._release(notices, final=True)

    def _release(self, notices: list[EventNotice], final: bool) -> list[EventNotice]:
        self._queue += notices
        out = []
        while self._queue:
            notice = self._queue[0]
            start = notice.event.start_s
            if notice.phase is Phase.OPENED:
                verdict = self._part_of_fall(notice.event, final)
                if verdict is None:
                    break
                self._dropped[start] = verdict
            # A closing comes after its opening, which was judged (or never went out).
            dropped = self._dropped.get(start, False)
            if notice.phase is Phase.CLOSED:
                self._dropped.pop(start, None)
            self._queue.pop(0)
            if not dropped:
                out.append(notice)
        return out

    def _part_of_fall(self, bend: Event, final: bool) -> bool | None:
        """Whether ``bend`` (opened) is part of a fall; None while that is not known."""
        f = self.falls
        cue_to = bend.start_s + FALL_DROP_S[1]
        if f.seen_s < cue_to and not final:
            return None
        lead = bend.start_s + FALL_BEND_LEAD_S
        impact_by = lead if f.dropped(bend.start_s - FALL_DROP_S[0], cue_to) else bend.detected_s
        impact_by = min(impact_by, lead)
        if f.seen_s < impact_by and not final:
            return None
        near = [c for c in f.impacts if bend.start_s - FALL_BEND_LAG_S <= c.t_s <= impact_by]
        if any(c.fell for c in near):
            return True
        if any(c.fell is None for c in near) and not final:
            return None
        return False


class EventDetector:
    """The detectors over the final results of one stream, for one patient's profile.

    Falls are not here: :class:`FallDetector` runs on the raw stream (it needs no
    mounting), so that a fall is reported as soon as it is decided; the one from
    :meth:`watch_falls` also takes away the bends that are part of its falls.
    """

    def __init__(self, profile: ClinicalProfile, rate_hz: float) -> None:
        self.profile = profile
        self.rate_hz = rate_hz
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
        self._fall_bends: FallBends | None = None

    def watch_falls(self) -> FallDetector:
        """A fall detector for the same stream, whose falls take their bends away
        (:class:`FallBends`): feed it the raw samples before their results come here."""
        falls = FallDetector(self.rate_hz)
        self._fall_bends = FallBends(falls, self.profile.flexion_hold_s)
        return falls

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
        if self._fall_bends is not None:
            bends = self._fall_bends.update(bends, float(t_s[-1]))
        return bends + self.lateral.update(t_s, side & eligible, lateral_deg, gap)

    def update_final(self, c: EventChunk) -> list[EventNotice]:
        """Twists, sitting bouts and lifts, which need the final posture (walking status)."""
        if len(c.t_s) == 0:
            return []
        eligible = _upright_activity(c.posture)
        return (
            self.twist.update(c, eligible)
            + self.sitting.update(c)
            + self.lifts.update(
                c.t_s, c.flexion_deg, c.lateral_deg, c.posture, c.vert_mps2, c.gap,
                c.inclination_deg,
            )
        )

    def finish(self) -> list[EventNotice]:
        bends = self.bend.finish()
        if self._fall_bends is not None:
            bends = self._fall_bends.finish(bends)
        notices = bends + self.lateral.finish() + self.twist.finish()
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
