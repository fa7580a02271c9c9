"""Lift-like movements: down to something low and back up, with their technique.

A lumbar sensor cannot weigh a load (a study that tried classified load
weight correctly 64 % of the time: Hlucny & Novak, Sensors 20:2323, 2020), so
these are *lift-like movements*; whether something was lifted, and how heavy,
is the patient's own report.

The detector follows *episodes*: from the first lean out of upright (the
trunk's inclination past ``LEAN_ENTER_DEG``) until the trunk has stayed
upright for ``EPISODE_QUIET_S``. An episode is judged when it ends, from its
leans ("excursions"):

* it must start and end standing or walking (settled posture, transitions
  skipped): out of or into a seat or a bed is not a lift;
* a lean backwards in it (``BACK_TILT_DEG``) means a seat: sitting down leans
  forward, then the pelvis tilts back against the seat;
* a *stoop* is a forward excursion that holds, or goes deep: the trunk is still
  flexed at the bottom (``LIFT_BOTTOM_FLEX_DEG``);
* two *brief* forward leans with an upright, lowered spell between them are a
  squat (lean forward to go down, upright at the bottom, lean to come up) when
  the pelvis went down at least ``PAIR_SQUAT_DROP_M``; the same two leans around
  a seat (sitting on a chair and standing up) drop the pelvis onto the seat, where
  the double integral, broken by the impact and the backward slide, shows little.
  This is the weakest judgement here: a waist sensor sees an upright squat and a
  short sit on a stool almost alike (see the README).

The technique of a single excursion comes from how far the pelvis went down
(vertical acceleration integrated twice, at rest at both ends): a *squat*
lowers the pelvis and keeps the trunk fairly upright; a *stoop* flexes the
trunk with the pelvis high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from processing.event_types import Event, EventNotice, Phase, Severity
from processing.posture import hysteresis
from processing.profile import ClinicalProfile
from processing.types import BoolArray, FloatArray, Posture

# A lean out of upright: inclination past ENTER, back under EXIT (degrees).
LEAN_ENTER_DEG: Final = 7.0
LEAN_EXIT_DEG: Final = 4.0
# Upright this long ends an episode; an episode longer than MAX is work bent over, not a lift.
EPISODE_QUIET_S: Final = 8.0
EPISODE_MAX_S: Final = 60.0
# A lift flexes the trunk at least this much and lasts at least LIFT_MIN_S.
LIFT_MIN_FLEX_DEG: Final = 15.0
LIFT_MIN_S: Final = 1.0
LIFT_MAX_S: Final = 20.0
# At the bottom (the deepest quarter of the excursion) the trunk is still this far forward.
LIFT_BOTTOM_FLEX_DEG: Final = 8.0
# A lean shorter than this above half its peak is brief (a transition lean), unless deeper
# than DEEP_LEAN_DEG (a quick bend down to the floor).
BRIEF_LEAN_S: Final = 1.6
DEEP_LEAN_DEG: Final = 35.0
# Leaning back this far (flexion below minus this) inside an episode means a seat.
BACK_TILT_DEG: Final = 8.0
# A single excursion is a squat when the pelvis went this far down with the trunk flexed
# less than SQUAT_MAX_FLEX_DEG; two brief leans are a squat when it went PAIR_SQUAT_DROP_M.
SQUAT_MIN_DROP_M: Final = 0.25
SQUAT_MAX_FLEX_DEG: Final = 45.0
PAIR_SQUAT_DROP_M: Final = 0.2
# Rest before the movement, for the zero-velocity start of the integration.
REST_PAD_S: Final = 0.5

_UPRIGHT: Final = (int(Posture.STANDING), int(Posture.WALKING))
_STOPS: Final = (int(Posture.WALKING), int(Posture.SITTING), int(Posture.LYING),
                 int(Posture.NOT_WORN))  # fmt: skip
_COLUMNS: Final = ("t", "flex", "incl", "vert", "post")


@dataclass(slots=True)
class _Episode:
    before: int
    start_s: float  # first tilted sample
    pad: int
    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, cols: dict[str, np.ndarray], a: int, b: int) -> None:
        if b > a:
            for k in _COLUMNS:
                self.parts.setdefault(k, []).append(cols[k][a:b])

    def array(self, key: str) -> np.ndarray:
        return np.concatenate(self.parts[key])


@dataclass(frozen=True, slots=True)
class _Excursion:
    a: int
    b: int  # sample indices into the episode's arrays, end exclusive


class LiftDetector:
    """Streaming lift-like movement detection (see the module doc)."""

    def __init__(self, profile: ClinicalProfile, rate_hz: float) -> None:
        self.profile = profile
        self._pad = max(1, round(REST_PAD_S * rate_hz))
        self._on = False
        self._ep: _Episode | None = None
        self._last_tilt_s = -math.inf
        self._settled = -1  # not known yet: no lift can start before a posture is seen
        self._pre: dict[str, np.ndarray] = {k: np.empty(0) for k in _COLUMNS}

    def update(
        self,
        t: FloatArray,
        flexion_deg: FloatArray,
        lateral_deg: FloatArray,
        posture: np.ndarray,
        vert_mps2: FloatArray,
        gap: BoolArray,
    ) -> list[EventNotice]:
        """Feed N final samples: times (s), trunk angles (°), posture codes, vertical free
        acceleration (m/s²) and gap flags, all shape (N,)."""
        n = len(t)
        if n == 0:
            return []
        incl = _inclination_deg(flexion_deg, lateral_deg)
        # Walking, sitting, lying and off the body end an episode; no lean starts one there.
        stop = np.isin(posture, _STOPS)
        tilted, self._on = hysteresis(incl > LEAN_ENTER_DEG, incl < LEAN_EXIT_DEG, self._on)
        tilted &= ~stop
        cols = {"t": t, "flex": flexion_deg, "incl": incl, "vert": vert_mps2,
                "post": posture.astype(np.float64)}  # fmt: skip
        settled = self._settled_before(posture)
        change = (np.diff(tilted.astype(np.int8)) != 0) | (np.diff(stop.astype(np.int8)) != 0)
        cuts = np.flatnonzero(change) + 1
        bounds = np.unique(np.concatenate([[0, n], cuts, np.flatnonzero(gap)]))
        notices: list[EventNotice] = []
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if gap[a]:
                self._ep = None  # nothing is known across a gap
            if stop[a]:
                if self._ep is not None:
                    notices += self._close(int(posture[a]), float(t[a]))
            elif tilted[a]:
                if self._ep is None:
                    self._ep = _Episode(int(settled[a]), float(t[a]), 0)
                    self._seed_rest(cols, a)
                self._ep.add(cols, a, b)
                self._last_tilt_s = float(t[b - 1])
                if float(t[b - 1]) - self._ep.start_s > EPISODE_MAX_S:
                    self._ep = None
            elif self._ep is not None:
                c = a + int(np.searchsorted(t[a:b], self._last_tilt_s + EPISODE_QUIET_S))
                self._ep.add(cols, a, c)
                if c < b:
                    notices += self._close(int(settled[c]), float(t[c]))
        self._settled = int(settled[-1]) if posture[-1] == Posture.OTHER else int(posture[-1])
        for k in _COLUMNS:
            self._pre[k] = np.concatenate([self._pre[k], cols[k][-self._pad :]])[-self._pad :]
        return notices

    def finish(self) -> list[EventNotice]:
        """Judge an episode the data ended in (as if the trunk stayed upright)."""
        if self._ep is None:
            return []
        return self._close(self._settled, float(self._ep.array("t")[-1]))

    def _settled_before(self, posture: np.ndarray) -> np.ndarray:
        """The last posture other than ``OTHER`` before each sample, shape (N,)."""
        known = posture != Posture.OTHER
        idx = np.where(known, np.arange(len(posture)), -1)
        last = np.maximum.accumulate(idx)
        prev = np.concatenate([[-1], last[:-1]])
        out = np.where(prev >= 0, posture[np.maximum(prev, 0)], self._settled)
        return np.asarray(out, dtype=np.int64)

    def _seed_rest(self, cols: dict[str, np.ndarray], i: int) -> None:
        """Start the episode's record with the rest just before it (zero-velocity start)."""
        ep = self._ep
        if ep is None:
            return
        a = max(0, i - self._pad)
        lead = self._pad - (i - a)
        if lead > 0 and len(self._pre["t"]):
            for k in _COLUMNS:
                ep.parts.setdefault(k, []).append(self._pre[k][-lead:])
        ep.add(cols, a, i)
        ep.pad = sum(len(p) for p in ep.parts.get("t", []))

    def _close(self, after: int, decided_s: float) -> list[EventNotice]:
        ep, self._ep = self._ep, None
        if ep is None or not ep.parts:
            return []
        notices: list[EventNotice] = []
        for event in judge_episode(ep, after, self.profile, decided_s):
            notices += [EventNotice(Phase.OPENED, event), EventNotice(Phase.CLOSED, event)]
        return notices


def judge_episode(
    ep: _Episode, after: int, profile: ClinicalProfile, decided_s: float
) -> list[Event]:
    """The lift-like movements of one finished episode (see the module doc), known at
    ``decided_s`` (s); ``after`` is the settled posture once it ended."""
    t, flex, incl, vert = (ep.array(k) for k in ("t", "flex", "incl", "vert"))
    tilted, _ = hysteresis(incl > LEAN_ENTER_DEG, incl < LEAN_EXIT_DEG, False)
    tilted[: ep.pad] = False
    edges = np.flatnonzero(np.diff(np.concatenate([[0], tilted.astype(np.int8), [0]])))
    excursions = [_Excursion(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    # Out of a seat or a bed, the first lean is getting up; into one, the last is going down.
    if ep.before not in _UPRIGHT:
        excursions = excursions[1:]
    if after not in _UPRIGHT:
        excursions = excursions[:-1]
    # Leaning back is a seat: the leans on either side of it are sitting down and getting up.
    seat = [float(np.min(flex[x.a : x.b])) < -BACK_TILT_DEG for x in excursions]
    near_seat = [any(seat[max(0, k - 1) : k + 2]) for k in range(len(excursions))]
    excursions = [x for x, s in zip(excursions, near_seat, strict=True) if not s]
    events: list[Event] = []
    i = 0
    while i < len(excursions):
        x = excursions[i]
        nxt = excursions[i + 1] if i + 1 < len(excursions) else None
        paired = nxt is not None and t[nxt.a] - t[x.b - 1] <= EPISODE_QUIET_S
        if nxt is not None and paired and _brief(t, flex, x) and _brief(t, flex, nxt):
            mid = (x.b + nxt.a) // 2
            if _pelvis_drop_m(t[:mid], vert[:mid]) >= PAIR_SQUAT_DROP_M:
                events.append(_event(profile, t, flex, x.a, nxt.b, "squat", decided_s))
            i += 2  # a squat, or down onto a seat and back up: either way done
            continue
        event = _single(profile, t, flex, vert, x, ep.pad, decided_s)
        if event is not None:
            events.append(event)
        i += 1
    return events


def _brief(t: FloatArray, flex: FloatArray, x: _Excursion) -> bool:
    """A short, shallow forward lean (half-peak width under ``BRIEF_LEAN_S``)."""
    seg = flex[x.a : x.b]
    peak = float(np.max(seg))
    if peak >= DEEP_LEAN_DEG:
        return False
    above = seg >= 0.5 * peak
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    return bool(np.count_nonzero(above) * dt < BRIEF_LEAN_S)


def _single(
    profile: ClinicalProfile, t: FloatArray, flex: FloatArray, vert: FloatArray,
    x: _Excursion, pad: int, decided_s: float,
) -> Event | None:  # fmt: skip
    seg = flex[x.a : x.b]
    peak = float(np.max(seg))
    duration = float(t[x.b - 1] - t[x.a])
    if peak < LIFT_MIN_FLEX_DEG or not LIFT_MIN_S <= duration <= LIFT_MAX_S:
        return None
    if _brief(t, flex, x):
        return None  # a lean in passing (reaching, a transition), not down to something
    deep = seg >= np.percentile(seg, 75)
    if float(np.min(seg[deep])) < LIFT_BOTTOM_FLEX_DEG:
        return None
    lo = max(0, x.a - pad)
    drop = _pelvis_drop_m(t[lo : x.b], vert[lo : x.b])
    squat = drop >= SQUAT_MIN_DROP_M and peak < SQUAT_MAX_FLEX_DEG
    return _event(profile, t, flex, x.a, x.b, "squat" if squat else "stoop", decided_s)


def _event(
    profile: ClinicalProfile,
    t: FloatArray,
    flex: FloatArray,
    a: int,
    b: int,
    technique: str,
    decided_s: float,
) -> Event:
    peak = float(np.max(flex[a:b]))
    if not profile.lift_allowed or peak >= profile.flexion_limit_deg:
        severity = Severity.BEYOND
    else:
        severity = Severity.CAUTION
    start, end = float(t[a]), float(t[b - 1])
    return Event("lift", start, end, peak, technique, severity, max(end, decided_s))


def _inclination_deg(flexion_deg: FloatArray, lateral_deg: FloatArray) -> FloatArray:
    """Angle of the trunk from upright, degrees (N,): cos i = cos f · cos l."""
    c = np.cos(np.radians(flexion_deg)) * np.cos(np.radians(lateral_deg))
    out: FloatArray = np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))
    return out


def _pelvis_drop_m(t: FloatArray, vert: FloatArray) -> float:
    """How far the sensor went down, m: vertical acceleration integrated twice, at rest at ends."""
    if len(t) < 3:
        return 0.0
    dt = np.diff(t, prepend=t[0])
    v = np.cumsum((vert - np.median(vert[: max(1, len(vert) // 10)])) * dt)
    # At rest before and after: remove the linear drift that bias leaves in the velocity.
    v -= np.linspace(0.0, v[-1], len(v))
    h = np.cumsum(v * dt)
    low = float(np.min(h))
    return max(0.0, -low) if math.isfinite(low) else 0.0
