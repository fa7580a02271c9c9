"""The person's upright reference, accumulated as the day goes on.

The mounting first comes from a block of walking (and quiet standing next to
it, see :mod:`processing.mounting`; when none comes in time, next to bends).
One standing moment can be a degree or two off the person's usual posture,
so the reference keeps learning from
quiet standing right after walking, and from walking for the forward axis,
and is updated when the standing seen so far has doubled (4 s, 8 s, 16 s …
up to about 4 min). Updates happen at the sample where the count is reached, so
the result does not depend on how the stream was chunked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from processing.mounting import (
    STANDING_MAX_DEG,
    STANDING_MIN_S,
    STANDING_NEAR_WALK_S,
    STANDING_STILL_RADS,
    TRANSITION_RADS,
    Mounting,
    bend_spans,
    forward_from_pendulum,
    mounting_from_walking,
    standing_samples,
)
from processing.settings import MountingSettings
from processing.types import BoolArray, FloatArray

FIRST_REFINE_S = 4.0
LAST_REFINE_S = 256.0
# Smaller changes than this are not worth a discontinuity in the angle series.
MIN_CHANGE_DEG = 0.3


@dataclass(slots=True)
class AxisSums:
    """Sums over walking and quiet standing samples, for a mounting estimate."""

    n_walk: int = 0
    first_walk: int = -1
    up_walk: FloatArray = field(default_factory=lambda: np.zeros(3))
    pend: FloatArray = field(default_factory=lambda: np.zeros(3))
    hpow: float = 0.0
    vpow: float = 0.0
    n_stand: int = 0
    up_stand: FloatArray = field(default_factory=lambda: np.zeros(3))

    def add_walking(
        self, start: int, walk: BoolArray, up: FloatArray, horiz: FloatArray, vel: FloatArray
    ) -> None:
        """Add the walking samples among rows (N,) starting at global index ``start``.

        ``horiz`` (N, 3) is band-passed horizontal acceleration, ``vel`` (N,) vertical velocity.
        """
        if not walk.any():
            return
        if self.first_walk < 0:
            self.first_walk = start + int(np.argmax(walk))
        # Weighted sums (0/1 weights) read each row once, without copying the selection.
        w = walk.astype(np.float64)
        wv = w * vel
        self.n_walk += int(np.count_nonzero(walk))
        self.up_walk = self.up_walk + w @ up
        self.pend = self.pend + wv @ horiz
        self.hpow += float(w @ np.einsum("ij,ij->i", horiz, horiz))
        self.vpow += float(wv @ vel)

    def add_standing(self, stand: BoolArray, up: FloatArray) -> None:
        self.n_stand += int(stand.sum())
        self.up_stand = self.up_stand + up[stand].sum(axis=0)

    def mounting(
        self, settings: MountingSettings, rate_hz: float, up: FloatArray | None = None
    ) -> Mounting:
        """The mounting these sums support; ``up`` (a calibration window) overrides the up axis."""
        walk = mounting_from_walking(self.up_walk, self.pend, self.hpow, self.vpow, settings)
        source = "walking"
        if up is None and self.n_stand >= STANDING_MIN_S * rate_hz:
            up = self.up_stand / np.linalg.norm(self.up_stand)
            source = "walking+standing"
        elif up is not None:
            source = "calibration"
        if up is None:
            return walk
        forward, corr = forward_from_pendulum(up, self.pend, self.hpow, self.vpow)
        return Mounting(up, forward, source, corr if walk.forward_confidence > 0 else 0.0)


def standing_next_to_bends(
    up_s: FloatArray,
    motion_rads: FloatArray,
    tilt_rads: FloatArray,
    walk_up: FloatArray,
    rate_hz: float,
) -> BoolArray:
    """Quiet standing next to bends, for a walking mounting with no standing next to walking.

    People bend from standing (bends, lifts), and stand still before and after,
    so still, near-upright samples within ``STANDING_NEAR_WALK_S`` of a bend
    (brief, deep: see :func:`processing.mounting.bend_spans`), with no other
    fast tilt between, are standing, as next to walking. Sitting, which tilts the
    pelvis back further than ``STANDING_MAX_DEG`` from walking, is left out.

    Args:
        up_s: earth-up seen from the sensor, shape (N, 3).
        motion_rads: angular speed, rad/s, shape (N,).
        tilt_rads: tilting speed, rad/s, shape (N,).
        walk_up: the up axis found while walking, shape (3,).
        rate_hz: sample rate, Hz.

    Returns:
        Which samples are quiet standing, shape (N,).
    """
    in_bend = np.zeros(len(motion_rads), bool)
    for a, b in zip(*bend_spans(up_s, motion_rads, walk_up, rate_hz), strict=True):
        in_bend[a:b] = True
    if not in_bend.any():
        return in_bend
    # The bend with the fast tilting that leads into it and out of it.
    moving = in_bend | (tilt_rads > TRANSITION_RADS)
    run = np.cumsum(np.diff(moving.astype(np.int8), prepend=0) == 1) * moving
    bend_runs = np.bincount(run[in_bend], minlength=int(run.max()) + 1) > 0
    bend_runs[0] = False
    bend: BoolArray = bend_runs[run]
    return standing_samples(up_s, motion_rads, tilt_rads, bend, walk_up, rate_hz)


class UprightRefiner:
    """Streaming refinement of the upright reference from standing right after walking."""

    def __init__(self, settings: MountingSettings, rate_hz: float, sums: AxisSums) -> None:
        self.settings = settings
        self.rate_hz = rate_hz
        self.sums = sums
        self._near = round(STANDING_NEAR_WALK_S * rate_hz)
        self._since_walk = self._near + 1  # samples since the last walking sample
        self._moved_since_walk = True  # a fast movement happened since then
        self._next = round(FIRST_REFINE_S * rate_hz)
        while self._next <= sums.n_stand:
            self._next *= 2
        self._last = round(LAST_REFINE_S * rate_hz)

    @property
    def done(self) -> bool:
        """All refinements are made; nothing more to learn."""
        return self._next > self._last

    def scan(
        self,
        start: int,
        mounting: Mounting,
        up: FloatArray,
        motion: FloatArray,
        tilt: FloatArray,
        walking: BoolArray,
        horiz: FloatArray,
        vel: FloatArray,
    ) -> int | None:
        """Learn from rows (N,) that begin at global ``start``, stopping where a refinement is due.

        Returns the global index from which a refined mounting should apply
        (rows before it were learnt from), or None when all rows were learnt
        from and no refinement is due.
        """
        n = len(motion)
        idx = np.arange(n)
        last_walk = np.maximum.accumulate(np.where(walking, idx, -1))
        since = np.where(last_walk >= 0, idx - last_walk, self._since_walk + idx + 1)
        # A fast movement since the last step (sitting down, bending) ends the standing.
        moved = (tilt > TRANSITION_RADS) & ~walking
        last_move = np.maximum.accumulate(np.where(moved, idx, -1))
        moved_since = np.where(
            last_walk >= 0, last_move > last_walk, (last_move >= 0) | self._moved_since_walk
        )
        upright = (up @ mounting.up) > np.cos(np.radians(STANDING_MAX_DEG))
        stand = (since <= self._near) & ~moved_since & ~walking & upright
        stand &= motion < STANDING_STILL_RADS
        stop = n
        due = False
        if self._next <= self._last:
            count = np.cumsum(stand) + self.sums.n_stand
            hit = np.flatnonzero(count >= self._next)
            if len(hit):
                stop, due = int(hit[0]) + 1, True
        self.sums.add_standing(stand[:stop], up[:stop])
        self.sums.add_walking(start, walking[:stop], up[:stop], horiz[:stop], vel[:stop])
        if stop:
            self._since_walk = int(since[stop - 1])
            self._moved_since_walk = bool(moved_since[stop - 1])
        if not due:
            return None
        self._next *= 2
        return start + stop

    def refined(self, current: Mounting) -> Mounting | None:
        """A new mounting from all that was learnt, or None if it is not meaningfully different."""
        new = self.sums.mounting(self.settings, self.rate_hz)
        if new.source != "walking+standing" or current.source == "calibration":
            return None
        change = max(
            current.up_angle_deg(new.up),
            float(np.degrees(np.arccos(np.clip(np.dot(current.forward, new.forward), -1.0, 1.0)))),
        )
        return new if change >= MIN_CHANGE_DEG else None
