"""Repetition detectors: one angle's excursions from rest, and repeated full stands.

Both run sample by sample on the recogniser's block-averaged stream (5–10 Hz),
causally, so that any chunking of the input gives the same reps. Every decision is
taken at the sample that completes it; nothing is revised afterwards.

* :class:`ExcursionDetector`: a rep is the trunk leaving a still rest level by more
  than a threshold in the exercise's direction and coming back (hysteresis: out at
  ``out_deg``, back at 20% of the rep's peak). The rest level follows the angle only
  while the trunk is still near it, and jumps to a new still level held a few seconds on the
  wrong side (the patient settled differently).
* :class:`StandDetector`: turning points of flexion with hysteresis; a full stand is
  seat, forward lean, upright, forward lean, seat, with the upright part clearly above
  both seats. A lone half-rise (lean, sit back) has no upright part and is no stand.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

import numpy as np

# Min-jerk movement s(τ) = 10τ³ − 15τ⁴ + 6τ⁵: the time spent above a level, per side, per
# unit of time rising from 20% to that level; used to take the smooth turn-around out of a
# hold. Tabulated once (τ as a function of s, by interpolation).
_TAU = np.linspace(0.0, 1.0, 2001)
_S = 10 * _TAU**3 - 15 * _TAU**4 + 6 * _TAU**5


def _turn_per_rise(level: float) -> float:
    t_hi = float(np.interp(level, _S, _TAU))
    t_lo = float(np.interp(0.2, _S, _TAU))
    return (1.0 - t_hi) / max(t_hi - t_lo, 1e-6)


# A rep starts and ends where the excursion is this fraction of its peak.
EDGE_FRACTION: Final = 0.2
# The top of a rep (for hold and wobble): by default within 10% of the peak, or within
# this many degrees.
TOP_BAND_DEG: Final = 0.5
# A lean the other way this long before a rep is reported with it (lean_deg), s.
LEAN_WINDOW_S: Final = 1.5
# A forward lean between two still levels, this far past upright and above both, means a
# sit-down or stand-up, degrees.
SEAT_LEAN_DEG: Final = 12.0
# How long the angle history is kept for measuring reps, s.
HISTORY_S: Final = 40.0


@dataclass(frozen=True, slots=True)
class RawRep:
    """A rep as a detector sees it, before sets are formed.

    Attributes:
        start_s, end_s: rep edges (20% of the peak), s.
        range_deg: peak excursion from rest, degrees.
        hold_s: estimated hold at the top, s.
        wobble_deg: RMS of flexion and lateral bend about their means at the top, degrees.
        opposite_deg: largest excursion the other way since the previous rep (at most
            ``HISTORY_S`` back), degrees: cat–camel flexes before it extends.
        lean_deg: largest excursion the other way from 1.5 s before the rep to its end,
            degrees: a forward lean next to a standing "extension" means sitting down.
        rest_deg: the rest level the rep started from (the watched angle), degrees.
    """

    start_s: float
    end_s: float
    range_deg: float
    hold_s: float = 0.0
    wobble_deg: float = 0.0
    opposite_deg: float = 0.0
    lean_deg: float = 0.0
    rest_deg: float = 0.0


class ExcursionDetector:
    """Excursions of one angle from rest, in one direction (``sign`` ±1) or either (``sign`` 0).

    Args:
        rate_hz: sample rate of the stream, Hz.
        sign: +1 counts excursions to larger angles, −1 to smaller, 0 either way.
        out_deg: leaving rest by more than this starts a rep candidate, degrees.
        back_deg: a rep also needs to come back within this of rest, degrees.
        max_out_s: longer excursions are not reps (the patient changed position), s.
        still_dps: slower than this (over 0.3 s) is still, °/s.
        resettle_s: still this long on the wrong side of rest is a new rest level, s
            (face down, cat–camel holds the cat that long before extending).
        rest_range_deg: (low, high) where a rest level may be (the exercise's starting
            position); still elsewhere (a forward lean while getting up) is not rest.
        top_fraction: a rep is held while above this fraction of its peak (lower for holds
            whose angle drifts while held).
        opposite_starts_rep: a rep that went the other way first starts there (cat–camel).
    """

    def __init__(
        self,
        rate_hz: float,
        sign: float,
        out_deg: float,
        back_deg: float,
        max_out_s: float,
        still_dps: float = 2.0,
        resettle_s: float = 3.0,
        rest_range_deg: tuple[float, float] = (-180.0, 180.0),
        top_fraction: float = 0.9,
        opposite_starts_rep: bool = False,
    ) -> None:
        self.rate_hz = rate_hz
        self.sign = sign
        self.out_deg = out_deg
        self.back_deg = back_deg
        self.max_out_s = max_out_s
        self.still_dps = still_dps
        self.resettle_s = resettle_s
        self.rest_range_deg = rest_range_deg
        self.top_fraction = top_fraction
        self.opposite_starts_rep = opposite_starts_rep
        self._lag = max(1, round(0.3 * rate_hz))
        self._alpha = 1.0 / (3.0 * rate_hz)  # rest follows still angles with a 3 s time constant
        self._hist: deque[tuple[float, float, float, float]] = deque(
            maxlen=max(8, round(HISTORY_S * rate_hz))
        )
        self.reset()

    def reset(self) -> None:
        """Forget everything (context left, gap in the data)."""
        self._hist.clear()
        self.rest: float | None = None
        self.out = False
        self._armed = True  # a new rep may start (re-armed once back near rest)
        self._peak = 0.0
        self._out_t = 0.0
        self._wrong_t = 0.0
        self._away = False
        self._last_end = -np.inf

    @property
    def busy(self) -> bool:
        """True while away from rest (a rep may be under way, cat before camel too)."""
        return self.out or self._away

    def _excursion(self, x: float) -> float:
        d = x - (self.rest if self.rest is not None else x)
        return abs(d) if self.sign == 0 else self.sign * d

    def step(self, t: float, x: float, flex: float, lat: float) -> RawRep | None:
        """One sample: time ``t`` (s), the watched angle ``x`` and flexion, lateral (degrees)."""
        self._hist.append((t, x, flex, lat))
        n = len(self._hist)
        if n <= self._lag:
            return None
        # Still means the whole trunk: the watched angle, flexion and lateral bend.
        _, x0, f0, l0 = self._hist[n - 1 - self._lag]
        change = max(abs(x - x0), abs(flex - f0), abs(lat - l0))
        still = change * self.rate_hz / self._lag < self.still_dps
        lo, hi = self.rest_range_deg
        if self.rest is None:
            if still and lo <= x <= hi:
                self.rest = x  # settled in position: this is rest
            return None
        y = self._excursion(x)
        self._away = abs(x - self.rest) > self.out_deg
        dt = 1.0 / self.rate_hz
        if not self.out:
            if y <= self.out_deg:
                self._armed = True
            elif not self._armed and still and y <= 0.5 * self._peak and lo <= x <= hi:
                # Settled back near rest a little off where it was: that is rest now.
                self.rest, self._armed = x, True
                return None
            elif self._armed:
                self.out, self._peak, self._out_t = True, y, t
                return None
            if still and abs(x - self.rest) < self.out_deg:
                self.rest += self._alpha * (x - self.rest)
                self._wrong_t = 0.0
            elif still and lo <= x <= hi:
                self._wrong_t += dt
                if self._wrong_t >= self.resettle_s:
                    self.rest, self._wrong_t, self._armed = x, 0.0, True
            else:
                self._wrong_t = 0.0
            return None
        self._peak = max(self._peak, y)
        if t - self._out_t > self.max_out_s:
            # Held away from rest too long: a new position, not a rep.
            self.out, self._wrong_t = False, 0.0
            self.rest = x if lo <= x <= hi else None
            return None
        if y <= max(self.back_deg, EDGE_FRACTION * self._peak):
            # Back near rest; a big rep's tail (20% of it) must settle before the next one.
            self.out, self._armed = False, y <= self.out_deg
            rep = self._measure(t)
            self._last_end = t
            return rep
        return None

    def _measure(self, t_end: float) -> RawRep:
        arr = np.array(self._hist)
        ts, xs = arr[:, 0], arr[:, 1]
        rest = self.rest if self.rest is not None else float(xs[-1])
        y = np.abs(xs - rest) if self.sign == 0 else self.sign * (xs - rest)
        peak = float(y.max(initial=0.0, where=ts >= self._out_t))
        ipk = int(np.flatnonzero((ts >= self._out_t) & (y >= peak))[0])
        low = np.flatnonzero(y[: ipk + 1] <= EDGE_FRACTION * peak)
        i0 = int(low[-1]) if low.size else 0
        # Small excursions (bird-dog, 1–2°) drift by a few tenths while held: widen the top.
        level = 1.0 - max(1.0 - self.top_fraction, TOP_BAND_DEG / max(peak, 1e-6))
        top = np.flatnonzero(y >= level * peak)
        top = top[top >= i0]
        t_start = float(ts[i0])
        rise = float(ts[top[0]] - t_start)
        fall = float(t_end - ts[top[-1]])
        dwell = float(ts[top[-1]] - ts[top[0]]) + 1.0 / self.rate_hz
        hold = max(0.0, dwell - _turn_per_rise(max(level, 0.3)) * (rise + fall))
        held = arr[top[0] : top[-1] + 1]
        wobble = float(np.sqrt(held[:, 2].var() + held[:, 3].var())) if len(held) > 1 else 0.0
        since = max(self._last_end, t_start - HISTORY_S)
        other = -y[(ts >= since) & (ts <= t_end)] if self.sign != 0 else np.zeros(1)
        near = -y[ts >= t_start - LEAN_WINDOW_S] if self.sign != 0 else np.zeros(1)
        opposite = max(0.0, float(other.max(initial=0.0)))
        if self.opposite_starts_rep and opposite >= 0.4 * peak:
            # Out the other way first (cat before camel): the rep starts there.
            first = np.flatnonzero((ts >= since) & (-y >= EDGE_FRACTION * opposite))
            t_start = min(t_start, float(ts[first[0]]))
        return RawRep(
            t_start,
            t_end,
            peak,
            hold,
            wobble,
            opposite,
            max(0.0, float(near.max(initial=0.0))),
            rest,
        )


class StandDetector:
    """Full stands from a seat in the flexion stream (turning points with hysteresis).

    Args:
        rate_hz: sample rate, Hz.
        hysteresis_deg: a turning point needs the angle to come back this far, degrees.
        stand_above_seat_deg: the upright part must be this far above both seats, degrees
            (sitting tilts the pelvis back 10–25° from standing).
        min_lean_deg: each forward lean must rise this far above its seat, degrees.
        max_stand_s: the two leans of a stand are at most this far apart, s.
        dwell_s: a seat held this long counts as reached (the set's last sit-down is then
            known without waiting for the next lean).
    """

    def __init__(
        self,
        rate_hz: float,
        hysteresis_deg: float = 8.0,
        stand_above_seat_deg: float = 6.0,
        min_lean_deg: float = 15.0,
        max_stand_s: float = 8.0,
        dwell_s: float = 1.0,
    ) -> None:
        self.rate_hz = rate_hz
        self.h = hysteresis_deg
        self.stand_above = stand_above_seat_deg
        self.min_lean = min_lean_deg
        self.max_stand_s = max_stand_s
        self.dwell_s = dwell_s
        self._hist: deque[tuple[float, float]] = deque(maxlen=max(8, round(HISTORY_S * rate_hz)))
        self.reset()

    def reset(self) -> None:
        """Forget everything (walking, context left, gap)."""
        self._hist.clear()
        self._ext: list[tuple[float, float, bool]] = []  # (t, value, is_peak), alternating
        self._up: bool | None = None
        self._m = 0.0
        self._tm = 0.0
        self._bottom_t = 0.0
        self._plateau = 0.0  # level the angle has kept (within 1°) since _bottom_t
        self._confirmed = False
        # Sitting (True) or standing (False) as the last lean between two still levels
        # showed (a lean, then settling lower: sat down); None: not known.
        self.seated: bool | None = None

    @property
    def busy(self) -> bool:
        """True while a lean is under way (a stand may be completing)."""
        return bool(self._up) or (self._up is False and not self._confirmed)

    def step(self, t: float, x: float) -> RawRep | None:
        """One sample: time ``t`` (s) and flexion ``x`` (degrees)."""
        self._hist.append((t, x))
        if self._up is None:
            # Where the stream starts is a valley if the angle rises from there (sitting
            # up from lying onto a seat), else it goes on down to one.
            self._up, self._m, self._tm, self._bottom_t = False, x, t, t
            self._confirmed = False
            return None
        if self._up:
            if x > self._m:
                self._m, self._tm = x, t
            if abs(x - self._plateau) > 1.0:
                self._plateau, self._bottom_t = x, t
            if (
                t - self._bottom_t >= self.dwell_s
                and self._ext
                and not self._ext[-1][2]
                and self._m - self._ext[-1][1] < self.min_lean
            ):
                # Settled higher without a lean (sat up onto a seat): that is the valley.
                self._ext[-1] = (t, x, False)
                self._up, self._m, self._tm, self._bottom_t = False, x, t, t
                self._confirmed = True
                return None
            if x < self._m - self.h:
                self._ext.append((self._tm, self._m, True))
                del self._ext[:-5]
                self._up, self._m, self._tm, self._bottom_t = False, x, t, t
                self._confirmed = False
            return None
        if x < self._m - 0.5:
            self._m, self._tm, self._bottom_t = x, t, t
        elif x > self._m + 2.0:
            self._bottom_t = t
        rep = None
        if not self._confirmed and (x > self._m + self.h or t - self._bottom_t >= self.dwell_s):
            self._confirmed = True
            self._ext.append((self._tm, self._m, False))
            del self._ext[:-5]
            self._note_seat()
            rep = self._check()
        if x > self._m + self.h:
            self._up, self._m, self._tm, self._plateau, self._bottom_t = True, x, t, x, t
        return rep

    def _note_seat(self) -> None:
        if len(self._ext) < 3:
            return
        (_, v_old, _), (_, p, _), (_, v_new, _) = self._ext[-3:]
        # Sitting down and getting up lean forward past upright; standing still between
        # two backward extensions is a "peak" at upright, and no lean.
        if p >= SEAT_LEAN_DEG and p - max(v_old, v_new) >= SEAT_LEAN_DEG:
            if v_new < v_old - self.stand_above:
                self.seated = True
            elif v_new > v_old + self.stand_above:
                self.seated = False

    def _check(self) -> RawRep | None:
        if len(self._ext) < 5:
            return None
        (t1, v1, _), (tp1, p1, _), (_, v2, _), (tp2, p2, _), (t3, v3, _) = self._ext
        if not (
            v2 - v1 >= self.stand_above
            and v2 - v3 >= self.stand_above
            and p1 - v1 >= self.min_lean
            and p2 - v3 >= self.min_lean
            and tp2 - tp1 <= self.max_stand_s
        ):
            return None
        arr = np.array(self._hist)
        ts, xs = arr[:, 0], arr[:, 1]
        before = np.flatnonzero((ts <= tp1) & (xs <= v1 + EDGE_FRACTION * (p1 - v1)))
        after = np.flatnonzero((ts >= tp2) & (xs <= v3 + EDGE_FRACTION * (p2 - v3)))
        start = float(ts[before[-1]]) if before.size else t1
        end = float(ts[after[0]]) if after.size else t3
        return RawRep(start, end, float(max(p1, p2) - v1))
