"""Judging an episode of leans: which were lift-like movements, and their technique.

An episode (:mod:`processing.lifts`) is judged when it ends, from its leans
("excursions"):

* it must start and end standing or walking (settled posture, transitions
  skipped): out of or into a seat or a bed is not a lift;
* a lean backwards in it (``BACK_TILT_DEG``) means a seat: sitting down leans
  forward, then the pelvis tilts back against the seat (a swing through upright,
  ``SWING_GAP_S``, is one lean; a lean apart from the seat by a settled upright
  spell, ``SEAT_LINK_S``, is a lean of its own);
* a *stoop* is a forward excursion that holds, or goes deep: the trunk is still
  flexed at the bottom (``LIFT_BOTTOM_FLEX_DEG``);
* two *brief* leans the same way (``SAME_WAY_DEG``) with an upright, lowered spell
  between them are a squat (lean forward to go down, upright at the bottom, lean to
  come up) when the pelvis went down at least ``PAIR_SQUAT_DROP_M``; the same two
  leans around a seat (sitting on a chair and standing up) drop the pelvis onto the
  seat, where the double integral, broken by the impact and the backward slide,
  shows little. This is the weakest judgement here: a waist sensor sees an upright
  squat and a short sit on a stool almost alike (see the README).

The technique of a single excursion comes from how far the pelvis went down
(vertical acceleration integrated twice, at rest at both ends): a *squat*
lowers the pelvis and keeps the trunk fairly upright; a *stoop* flexes the
trunk with the pelvis high. A lift's start and end are those of the movement
(``MOVING_DPS``), not the lean thresholds' crossings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from processing.event_types import Event, Severity
from processing.posture import hysteresis
from processing.profile import ClinicalProfile
from processing.types import FloatArray, Posture

# A lean out of upright: inclination past ENTER, back under EXIT (degrees).
LEAN_ENTER_DEG: Final = 7.0
LEAN_EXIT_DEG: Final = 4.0
# Upright this long ends an episode (the bottom of a squat is upright; see LEAN_QUIET_S in
# :mod:`processing.lifts` for the shorter wait after other leans).
EPISODE_QUIET_S: Final = 8.0
# A lift flexes the trunk at least this much and lasts at least LIFT_MIN_S.
LIFT_MIN_FLEX_DEG: Final = 15.0
# A squat keeps the trunk upright: with the pelvis down SQUAT_MIN_DROP_M, this much flexion
# is enough (a lean this shallow without the drop is reaching, not going down to something).
SQUAT_MIN_FLEX_DEG: Final = 10.0
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
# Leans on opposite sides of upright at most this far apart (s) are one swing through it.
SWING_GAP_S: Final = 0.5
# A lean at most this far (s) from such a backward lean is sitting down or getting up.
SEAT_LINK_S: Final = 2.0
# A single excursion is a squat when the pelvis went this far down with the trunk flexed
# less than SQUAT_MAX_FLEX_DEG; two brief leans are a squat when it went PAIR_SQUAT_DROP_M.
SQUAT_MIN_DROP_M: Final = 0.25
SQUAT_MAX_FLEX_DEG: Final = 45.0
PAIR_SQUAT_DROP_M: Final = 0.2
# The two leans of a squat go the same way, to within this (degrees).
SAME_WAY_DEG: Final = 60.0
# A lift starts (ends) where the trunk starts (stops) turning faster than MOVING_DPS, measured
# over RATE_SPAN_S, at most ONSET_MAX_S before (after) the lean thresholds are crossed.
MOVING_DPS: Final = 2.0
RATE_SPAN_S: Final = 0.1
ONSET_MAX_S: Final = 1.0
# The pelvis drop of a lift is integrated from this long (s) before its onset.
ONSET_REST_S: Final = 0.2
# Rest before the movement, for the zero-velocity start of the integration.
REST_PAD_S: Final = 0.5

UPRIGHT: Final = (int(Posture.STANDING), int(Posture.WALKING))
COLUMNS: Final = ("t", "flex", "lat", "incl", "lean", "vert", "post")


@dataclass(slots=True)
class Episode:
    """The samples of one episode so far (columns ``COLUMNS``), with the settled posture
    ``before`` it, its first tilted sample's time ``start_s`` (s) and ``pad``, the samples
    of rest recorded before it."""

    before: int
    start_s: float  # first tilted sample
    pad: int
    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, cols: dict[str, np.ndarray], a: int, b: int) -> None:
        if b > a:
            for k in COLUMNS:
                self.parts.setdefault(k, []).append(cols[k][a:b])

    def array(self, key: str) -> np.ndarray:
        return np.concatenate(self.parts[key])

    @property
    def length(self) -> int:
        """Samples recorded so far."""
        return sum(len(p) for p in self.parts.get("t", []))


@dataclass(frozen=True, slots=True)
class Excursion:
    """One lean of an episode: sample indices ``[a, b)`` into its arrays."""

    a: int
    b: int  # sample indices into the episode's arrays, end exclusive


def judge_episode(
    ep: Episode, after: int, profile: ClinicalProfile, decided_s: float
) -> list[Event]:
    """The lift-like movements of one finished episode (see the module doc), known at
    ``decided_s`` (s); ``after`` is the settled posture once it ended."""
    t, flex, lat, incl, lean, vert = (
        ep.array(k) for k in ("t", "flex", "lat", "incl", "lean", "vert")
    )
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 0.0  # sample period, s
    tilted, _ = hysteresis(lean > LEAN_ENTER_DEG, lean < LEAN_EXIT_DEG, False)
    tilted[: ep.pad] = False
    edges = np.flatnonzero(np.diff(np.concatenate([[0], tilted.astype(np.int8), [0]])))
    found = [Excursion(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    excursions = _swings_merged(t, flex, incl, found)
    # Leaning back is a seat: the leans on either side of it are sitting down and getting up.
    # Judged before the ends are trimmed: sitting down leans forward, then back into the seat,
    # and trimming that backward lean first would leave the forward one looking like a lift.
    seat = [float(np.min(flex[x.a : x.b])) < -BACK_TILT_DEG for x in excursions]
    near_seat = list(seat)
    for k in range(len(excursions) - 1):
        # The lean just before a seat is sitting down, the one just after is getting up,
        # unless the seat's own swing through upright already holds it; and only when it runs
        # into the seat: with the trunk settled upright in between, it is a lean of its own.
        x, y = excursions[k], excursions[k + 1]
        if t[y.a] - t[x.b - 1] > SEAT_LINK_S:
            continue
        if (seat[k] and not _leans_forward(flex, x, after_seat=True)) or (
            seat[k + 1] and not _leans_forward(flex, y, after_seat=False)
        ):
            near_seat[k] = near_seat[k + 1] = True
    # Out of a seat or a bed, the first lean is getting up; into one, the last is going down.
    keep = [not s for s in near_seat]
    if ep.before not in UPRIGHT and keep:
        keep[0] = False
    if after not in UPRIGHT and keep:
        keep[-1] = False
    excursions = [x for x, k in zip(excursions, keep, strict=True) if k]
    events: list[Event] = []
    i = 0
    while i < len(excursions):
        x = excursions[i]
        nxt = excursions[i + 1] if i + 1 < len(excursions) else None
        paired = nxt is not None and t[nxt.a] - t[x.b - 1] <= EPISODE_QUIET_S
        if (nxt is not None and paired and brief_lean(dt, incl, x) and brief_lean(dt, incl, nxt)
                and _same_way(flex, lat, incl, x, nxt)):  # fmt: skip
            mid = (x.b + nxt.a) // 2
            lo = max(0, ep.pad - round(REST_PAD_S / dt))
            if _pelvis_drop_m(t[lo:mid], vert[lo:mid]) >= PAIR_SQUAT_DROP_M:
                span = _movement_span(dt, flex, x.a, nxt.b)
                events.append(_event(profile, t, flex, span, "squat", decided_s))
            i += 2  # a squat, or down onto a seat and back up: either way done
            continue
        event = _single(profile, t, dt, flex, vert, x, decided_s)
        if event is not None:
            events.append(event)
        i += 1
    return events


def _swings_merged(
    t: FloatArray, flex: FloatArray, incl: FloatArray, excursions: list[Excursion]
) -> list[Excursion]:
    """Join leans on either side of a swing through upright into one excursion.

    Getting up from a reclined seat swings the trunk from backward to forward; the
    inclination dips under ``LEAN_EXIT_DEG`` only for the instant it passes upright
    (about 0.1 s), which would cut the movement into a sliver of backward lean (taken for
    the getting up) and a forward lean (taken for a lift). Sitting down swings the other
    way. Leans on the same side stay apart: an upright spell between them is a real pause.
    """
    out: list[Excursion] = []
    forward: list[bool] = []  # the side of each one's last lean, at its most inclined
    for x in excursions:
        fwd = bool(flex[x.a + int(np.argmax(incl[x.a : x.b]))] > 0.0)
        if out and fwd != forward[-1] and t[x.a] - t[out[-1].b - 1] <= SWING_GAP_S:
            out[-1], forward[-1] = Excursion(out[-1].a, x.b), fwd
        else:
            out.append(x)
            forward.append(fwd)
    return out


def _leans_forward(flex: FloatArray, x: Excursion, *, after_seat: bool) -> bool:
    """Whether a seat's excursion leans forward after (getting up) or before (sitting
    down) its most backward sample."""
    seg = flex[x.a : x.b]
    back = int(np.argmin(seg))
    part = seg[back:] if after_seat else seg[: back + 1]
    return bool(np.max(part) > LEAN_ENTER_DEG)


def brief_lean(dt: float, flex: FloatArray, x: Excursion) -> bool:
    """A short, shallow lean (half-peak width under ``BRIEF_LEAN_S``) in ``flex`` (degrees:
    flexion, or inclination for a lean any way); ``dt``: the sample period, s."""
    seg = flex[x.a : x.b]
    peak = float(np.max(seg))
    if peak >= DEEP_LEAN_DEG:
        return False
    above = seg >= 0.5 * peak
    return bool(np.count_nonzero(above) * dt < BRIEF_LEAN_S)


def _same_way(
    flex: FloatArray, lat: FloatArray, incl: FloatArray, x: Excursion, y: Excursion
) -> bool:
    """Whether two leans go the same way (within ``SAME_WAY_DEG`` at their most inclined),
    as going down into a squat and coming up from it do; side bends to the left and right
    do not. Not only forward: without walking, the forward axis may be a guess."""
    i = x.a + int(np.argmax(incl[x.a : x.b]))
    j = y.a + int(np.argmax(incl[y.a : y.b]))
    cos = (flex[i] * flex[j] + lat[i] * lat[j]) / max(
        float(np.hypot(flex[i], lat[i]) * np.hypot(flex[j], lat[j])), 1e-9
    )
    return bool(cos >= math.cos(math.radians(SAME_WAY_DEG)))


def _single(
    profile: ClinicalProfile, t: FloatArray, dt: float, flex: FloatArray, vert: FloatArray,
    x: Excursion, decided_s: float,
) -> Event | None:  # fmt: skip
    seg = flex[x.a : x.b]
    peak = float(np.max(seg))
    duration = float(t[x.b - 1] - t[x.a])
    if peak < SQUAT_MIN_FLEX_DEG or not LIFT_MIN_S <= duration <= LIFT_MAX_S:
        return None
    if brief_lean(dt, flex, x):
        return None  # a lean in passing (reaching, a transition), not down to something
    deep = seg >= np.percentile(seg, 75)
    if float(np.min(seg[deep])) < LIFT_BOTTOM_FLEX_DEG:
        return None
    # Integrate from rest just before the movement's onset to its end: from the lean
    # threshold the pelvis is already moving (no zero-velocity start), and from further back
    # the window can reach into a movement just before it (getting up from a chair).
    span = _movement_span(dt, flex, x.a, x.b)
    lo = max(0, span[0] - round(ONSET_REST_S / dt))
    drop = _pelvis_drop_m(t[lo : span[1] + 1], vert[lo : span[1] + 1])
    squat = drop >= SQUAT_MIN_DROP_M and peak < SQUAT_MAX_FLEX_DEG
    if peak < LIFT_MIN_FLEX_DEG and not squat:
        return None  # a shallow lean is a lift only when the pelvis went well down
    return _event(profile, t, flex, span, "squat" if squat else "stoop", decided_s)


def _event(
    profile: ClinicalProfile, t: FloatArray, flex: FloatArray, span: tuple[int, int],
    technique: str, decided_s: float,
) -> Event:  # fmt: skip
    """The lift from the movement's first to its last sample (``span``, inclusive)."""
    peak = float(np.max(flex[span[0] : span[1] + 1]))
    if not profile.lift_allowed or peak >= profile.flexion_limit_deg:
        severity = Severity.BEYOND
    else:
        severity = Severity.CAUTION
    start, end = float(t[span[0]]), float(t[span[1]])
    return Event("lift", start, end, peak, technique, severity, max(end, decided_s))


def _movement_span(dt: float, flex: FloatArray, a: int, b: int) -> tuple[int, int]:
    """The first and last sample of the movement around excursion ``[a, b)`` of ``flex``
    (degrees, sampled every ``dt`` s).

    The lean thresholds are crossed well after the trunk starts to move (a slow, shallow
    squat passes ``LEAN_ENTER_DEG`` half a second in): walk back from the entry while
    flexion was still rising faster than ``MOVING_DPS`` (over ``RATE_SPAN_S``), and on from
    the exit while it still falls that fast, at most ``ONSET_MAX_S`` either way. Flexion,
    not inclination: the inclination's dip as the trunk passes upright is no stop.
    """
    if dt <= 0.0:
        return a, b - 1
    k = max(1, round(RATE_SPAN_S / dt))
    most = max(1, round(ONSET_MAX_S / dt))
    step = MOVING_DPS * k * dt  # degrees over k samples
    # Before: sample i still moves when flexion rose more than step over (i - k, i].
    lo = max(k, a - most)
    idx = np.arange(lo, a + 1)
    still = np.flatnonzero(flex[idx] - flex[idx - k] <= step) if len(idx) else idx
    start = int(idx[still[-1]]) if len(still) else lo
    # After: sample i still moves when flexion falls more than step over [i, i + k).
    hi = min(len(flex) - 1 - k, b - 1 + most)
    idx = np.arange(b - 1, hi + 1)
    still = np.flatnonzero(flex[idx] - flex[idx + k] <= step) if len(idx) else idx
    end = int(idx[still[0]]) if len(still) else max(b - 1, hi)
    return min(start, a), max(end, b - 1)


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
