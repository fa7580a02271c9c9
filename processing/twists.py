"""Twists: fast rotation of the pelvis about the vertical while not walking.

One lumbar sensor sees the pelvis turn, not the spine twist above it, and cannot
tell a twist from turning on the spot; so rotations larger than a spine allows
(``TURN_MIN_DEG``), or with steps in them, are turning around and not reported;
nor are rotations that begin within ``TWIST_LYING_S`` of lying, or that are still
open (turning, or within ``TWIST_MERGE_S`` of it) when lying begins: getting into or
out of bed swings the whole body round. A twist that came back before the patient
lay down is a twist.

A twist is the heading's excursion from where it started: turning out and back
is one twist, whose peak is the largest excursion. Rotations less than
``TWIST_MERGE_S`` apart belong to the same twist. Every decision is taken at a
sample from the samples before it, so the result does not depend on how the
stream is chunked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from processing.event_types import Event, EventChunk, EventNotice, PerMinute, Phase, Severity
from processing.posture import hysteresis
from processing.profile import ClinicalProfile
from processing.types import BoolArray, FloatArray, Posture

# Pelvis rotations beyond this are turning around, not twisting the spine.
TURN_MIN_DEG: Final = 100.0
# Turning on the spot steps; twisting keeps the feet planted. This many foot contacts
# during a rotation make it a turn.
TURN_MIN_STEPS: Final = 2
# A twist is over when the heading is back within this fraction of its peak excursion
# (or this many degrees) of where it started.
TWIST_RETURN_FRACTION: Final = 0.3
TWIST_RETURN_DEG: Final = 5.0
# Rotations closer than this in time belong to one twist (out and back).
TWIST_MERGE_S: Final = 2.0
# A rotation that begins within this time (s) after lying, or is still open when lying
# begins, is getting into or out of bed (the legs swing round), rolling over or a fall: the
# whole body turns, not the spine.
TWIST_LYING_S: Final = 2.0
# A rotation is followed from this fraction of the rate limit (so that its slow start and
# end count), and is a twist only if its rate reached the limit.
TWIST_TRACK_FRACTION: Final = 0.3


@dataclass(slots=True)
class _Twist:
    """The rotation being followed."""

    start_s: float
    last_s: float  # last sample of it that was rotating (or where the heading came back)
    cum_deg: float = 0.0  # heading turned since it began
    peak_deg: float = 0.0  # largest excursion, signed
    max_flex_deg: float = -math.inf
    max_rate_dps: float = 0.0
    steps: int = 0
    near_lying: bool = False


class TwistDetector:
    """Streaming twist detection (see the module doc)."""

    def __init__(self, profile: ClinicalProfile) -> None:
        self.profile = profile
        self._run: _Twist | None = None
        self._fast = False
        self._last_t = math.nan
        # After the heading came back, the rest of that rotation is not a new twist.
        self._wait_still = False
        self._per_minute = PerMinute()
        self._lying_s = -math.inf  # the last lying sample so far, s

    def update(self, c: EventChunk, eligible: BoolArray) -> list[EventNotice]:
        """Twists closed in these N samples; ``eligible`` (N,) is False where a twist
        cannot happen (walking, lying, the sensor off)."""
        n = len(c.t_s)
        if n == 0:
            return []
        rate_dps = np.degrees(c.yaw_rads)
        speed = np.abs(rate_dps)
        track = TWIST_TRACK_FRACTION * self.profile.twist_rate_limit_dps
        moving, self._fast = hysteresis(speed > track, speed < 0.5 * track, self._fast)
        active = moving & eligible
        prev_t = c.t_s[0] if math.isnan(self._last_t) else self._last_t
        self._last_t = float(c.t_s[-1])
        dt = np.diff(c.t_s, prepend=prev_t)
        step = np.where(c.gap, 0.0, rate_dps * dt)
        lying = c.posture == Posture.LYING
        last_lying = np.maximum.accumulate(np.where(lying, c.t_s, self._lying_s))
        self._lying_s = float(last_lying[-1])
        notices: list[EventNotice] = []
        i = 0
        while i < n:
            if self._run is None:
                if self._wait_still:
                    still = np.flatnonzero(~active[i:] | c.gap[i:])
                    if len(still) == 0:
                        break
                    i += int(still[0])
                    self._wait_still = False
                ahead = np.flatnonzero(active[i:])
                if len(ahead) == 0:
                    break
                i += int(ahead[0])
                self._run = _Twist(float(c.t_s[i]), float(c.t_s[i]))
                self._run.near_lying = c.t_s[i] - last_lying[i] <= TWIST_LYING_S
            elif c.gap[i]:
                notices += self._close()  # nothing is known across a gap
                continue
            stop, over = self._follow(c, active, step, speed, i, lying)
            i = stop
            if over:
                notices += self._close()
        return notices

    def finish(self) -> list[EventNotice]:
        return self._close()

    def _follow(
        self, c: EventChunk, active: BoolArray, step: FloatArray, speed: FloatArray, i: int,
        lying: BoolArray,
    ) -> tuple[int, bool]:  # fmt: skip
        """Follow the open twist from sample ``i``: where it stopped, and whether it is over."""
        run = self._run
        if run is None:
            return i, False
        n = len(c.t_s)
        end = n
        gaps = np.flatnonzero(c.gap[i + 1 :])
        if len(gaps):
            end = i + 1 + int(gaps[0])  # a gap closes it before the gap's sample
        # Quiet for longer than TWIST_MERGE_S since the last rotating sample: over.
        t = c.t_s[i:end]
        last_active = np.maximum.accumulate(np.where(active[i:end], t, -math.inf))
        last_before = np.maximum(np.concatenate([[run.last_s], last_active[:-1]]), run.last_s)
        quiet = ~active[i:end] & (t - last_before > TWIST_MERGE_S)
        if quiet.any():
            end = i + int(np.argmax(quiet))
        over = end < n
        if end <= i:
            return i, over
        cum = run.cum_deg + np.cumsum(step[i:end])
        peak = np.maximum.accumulate(np.maximum(np.abs(cum), abs(run.peak_deg)))
        # Back near where it started, after going past the limit: the twist is over.
        back_at = np.maximum(TWIST_RETURN_FRACTION * peak, TWIST_RETURN_DEG)
        done = (peak >= self.profile.twist_limit_deg) & (np.abs(cum) < back_at)
        back = bool(done.any())
        if back:
            end = i + int(np.argmax(done)) + 1
            over = True
            self._wait_still = bool(active[end - 1])
        k = end - i
        j = int(np.argmax(np.abs(cum[:k])))
        if abs(cum[j]) > abs(run.peak_deg):
            run.peak_deg = float(cum[j])
        run.cum_deg = float(cum[k - 1])
        run.max_flex_deg = max(run.max_flex_deg, float(np.max(c.flexion_deg[i:end])))
        run.max_rate_dps = max(run.max_rate_dps, float(np.max(speed[i:end])))
        run.steps += int(np.count_nonzero(c.step_peak[i:end]))
        run.near_lying |= bool(lying[i:end].any())
        rotating = np.flatnonzero(active[i:end])
        if back:
            run.last_s = float(c.t_s[end - 1])
        elif len(rotating):
            run.last_s = float(c.t_s[i + int(rotating[-1])])
        return end, over

    def _close(self) -> list[EventNotice]:
        run, self._run = self._run, None
        if run is None:
            return []
        p = self.profile
        angle = abs(run.peak_deg)
        if not (p.twist_limit_deg <= angle < TURN_MIN_DEG):
            return []
        if run.max_rate_dps < p.twist_rate_limit_dps:
            return []  # a slow turn, not a twist
        if run.steps >= TURN_MIN_STEPS:
            return []  # the feet stepped round with the pelvis: turning, not twisting
        if run.near_lying:
            return []  # getting into or out of bed, rolling over, falling
        bent = run.max_flex_deg > p.flexion_caution_deg
        often = self._per_minute.count(run.start_s) > p.twist_max_per_min
        severity = Severity.FAR_BEYOND if bent or often else Severity.BEYOND
        side = "left" if run.peak_deg > 0 else "right"
        event = Event("twist", run.start_s, run.last_s, run.peak_deg, side, severity, run.last_s)
        return [EventNotice(Phase.OPENED, event), EventNotice(Phase.CLOSED, event)]
