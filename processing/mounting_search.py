"""Finding how the sensor is worn, as the stream goes: the analyser's mounting search.

Results wait (``pending``) at the start and after the sensor was off the body,
until a block of walking and the quiet standing next to it give the mounting
(:mod:`processing.mounting`, :mod:`processing.reference`), or a time limit
passes and a fallback is used. After that, each block of walking checks that
the sensor has not moved on the body. Found mountings are registered here and
put into effect by the analyser (:mod:`processing.pipeline`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from processing.buffer import ColumnBuffer
from processing.gait import StepDetector
from processing.mounting import (
    STANDING_MIN_S,
    Mounting,
    bend_peaks,
    dominant_up,
    forward_from_bends,
    forward_from_peaks,
    standing_samples,
    upright_from_postures,
)
from processing.reference import AxisSums, standing_next_to_bends
from processing.types import FloatArray

if TYPE_CHECKING:
    from processing.results import MountingChange
    from processing.settings import PipelineSettings
from spinewatch.errors import InputDataError


class MountingSearch:
    """Mixin of :class:`processing.pipeline.Analyzer`: walking scanned for the mounting."""

    # Set up by the analyser.
    settings: PipelineSettings
    sample_rate_hz: float
    _buf: ColumnBuffer
    _steps: StepDetector
    _sums: AxisSums
    _scan: int
    _pending_from: int | None
    _provisional_from: int | None
    _back_on: list[int]
    _calib_n: int
    _grid: int
    _delay: int
    _fast: int
    _cur: Mounting | None
    _todo: list[tuple[int, Mounting]]
    _seeds: dict[int, AxisSums]
    mountings: list[MountingChange]

    def _scan_walking(self, stop: int, final: bool) -> None:
        """Gather walking in ``[scan, stop)`` to find the mounting, or to check it."""
        while self._scan < stop:
            a = self._scan
            if self._back_on and self._back_on[0] <= a:
                self._sensor_back_on(self._back_on.pop(0))
                continue
            if self._back_on:
                stop_here = min(stop, self._back_on[0])
                if stop_here < stop:
                    self._scan_walking(stop_here, False)
                    continue
            walk = self._steps.walking_mask(a, stop)
            if self._search_from() is not None:
                # While waiting, look again every few seconds (on a fixed grid of samples,
                # so that the answer does not depend on how the stream was chunked).
                b = min(stop, (a // self._grid + 1) * self._grid)
            else:
                hit = np.flatnonzero(np.cumsum(walk) + self._sums.n_walk >= self._calib_n)
                b = a + int(hit[0]) + 1 if len(hit) else stop
            g = self._buf.get
            self._sums.add_walking(
                a, walk[: b - a], g("up", a, b), g("horiz", a, b), g("vel", a, b)
            )
            self._scan = b
            if self._search_from() is not None:
                if b % self._grid == 0 and self._sums.n_walk >= self._calib_n:
                    self._try_calibrate(b, standing_needed=True)
                # Out of time is judged on the grid too: what is given up on is then the
                # same samples however the stream was chunked.
                if b % self._grid == 0 and self._out_of_time(b):
                    self._stop_waiting(b)
            elif self._sums.n_walk >= self._calib_n:
                self._check_block()
                self._sums = AxisSums()
        start = self._search_from()
        if final and start is not None and stop > start:
            self._stop_waiting(stop)

    def _out_of_time(self, stop: int) -> bool:
        """The search for the mounting has run out of time at sample ``stop``."""
        start = self._search_from()
        if start is None or stop <= start:
            return False
        t0 = float(self._buf.get("t", start, start + 1)[0])
        t_now = float(self._buf.get("t", stop - 1, stop)[0])
        ms = self.settings.mounting
        limit = ms.max_pending_s if not self.mountings else ms.max_pending_after_nonwear_s
        return t_now - t0 > limit

    def _stop_waiting(self, stop: int) -> None:
        """Settle the mounting from what ``[search start, stop)`` gave."""
        if self._sums.n_walk >= self._calib_n:
            self._try_calibrate(stop, standing_needed=False)
        if self._pending_from is not None:
            self._fallback(stop)
        # A nominal mounting not confirmed in time stays; walking blocks check it.
        self._provisional_from = None

    def _search_from(self) -> int | None:
        """Where the search for the mounting started, while one runs (results wait only
        when it is pending; under a nominal mounting they flow)."""
        return self._pending_from if self._pending_from is not None else self._provisional_from

    def _sensor_back_on(self, index: int) -> None:
        """The sensor moves again after non-wear: it may sit differently now.

        Results from here wait until walking tells the new mounting (or the
        old one is kept when none comes in time). Before the first mounting
        is known, only the walking gathered before the removal is forgotten.
        """
        self._sums = AxisSums()
        if self._pending_from is None:
            self._pending_from = index

    def _try_calibrate(self, b: int, standing_needed: bool) -> None:
        """Set the mounting from the walking gathered so far and the standing next to it.

        Walking alone can mislead (stairs lean the pelvis forward), so while
        there is time the mounting waits for quiet standing next to walking,
        unless a calibration window gives the up axis; when time is up, quiet
        standing next to bends stands in for it.
        """
        s = self._sums
        ms = self.settings.mounting
        searched = self._search_from()
        a = searched if searched is not None else self._buf.start
        window = self._calibration_up()
        walk_up = s.mounting(ms, self.sample_rate_hz).up
        g = self._buf.get
        stand = standing_samples(
            g("up", a, b),
            g("motion", a, b),
            g("tilt", a, b),
            self._steps.walking_mask(a, b),
            walk_up,
            self.sample_rate_hz,
        )
        short = window is None and stand.sum() < STANDING_MIN_S * self.sample_rate_hz
        if short and standing_needed:
            return
        if short:
            # Out of time: people also stand still before and after they bend.
            stand |= standing_next_to_bends(
                g("up", a, b), g("motion", a, b), g("tilt", a, b), walk_up, self.sample_rate_hz
            ) & ~self._steps.walking_mask(a, b)
        seed = AxisSums(s.n_walk, s.first_walk, s.up_walk, s.pend, s.hpow, s.vpow)
        seed.add_standing(stand, g("up", a, b))
        found = seed.mounting(ms, self.sample_rate_hz, window)
        if self._pending_from is not None:
            self._set_mounting(a, found, seed=seed)
        else:
            # Results under the nominal mounting are out already: the measured one takes
            # effect a fixed delay after the walking that gave it (see CHANGE_DELAY_S).
            self._set_mounting(self._scan + self._delay, found, seed=seed)
        self._pending_from = None
        self._provisional_from = None
        self._sums = AxisSums()

    def _check_block(self) -> None:
        """A block of walking after the mounting was set: has the sensor moved on the body?"""
        s = self._sums
        ms = self.settings.mounting
        new = s.mounting(ms, self.sample_rate_hz)
        latest = self._latest()
        if latest is None:
            return
        if latest.source == "nominal" or latest.up_angle_deg(new.up) > ms.remount_deg:
            # Taken up a fixed delay after the block (see CHANGE_DELAY_S).
            self._set_mounting(self._scan + self._delay, new, seed=s)

    def _calibration_up(self) -> FloatArray | None:
        win = self.settings.calibration_window_s
        if win is None or self._mountings_from_calibration_done():
            return None
        t = self._buf.get("t", self._buf.start, self._buf.stop)
        sel = (t >= win[0]) & (t <= win[1])
        if not sel.any():
            return None
        up = self._buf.get("up", self._buf.start, self._buf.stop)[sel].sum(axis=0)
        result: FloatArray = up / np.linalg.norm(up)
        return result

    def _mountings_from_calibration_done(self) -> bool:
        return any(c.mounting.source == "calibration" for c in self.mountings)

    def _fallback(self, stop: int) -> None:
        """No walking in time: keep the last mounting, or find it from still postures and bends
        (:func:`processing.mounting.upright_from_postures`)."""
        start = self._pending_from if self._pending_from is not None else stop
        latest = self._latest()
        if latest is not None:
            new = latest
        else:
            ups = self._buf.get("up", start, stop)
            motion = self._buf.get("motion", start, stop)
            rate = self.sample_rate_hz
            up = self._calibration_up()
            found = upright_from_postures(ups, motion, rate) if up is None else None
            if found is not None:
                up, forward, consistency = found
            else:
                up = dominant_up(ups, motion) if up is None else up
                forward, consistency = forward_from_peaks(bend_peaks(ups, motion, up, rate), up)
            if consistency == 0.0:
                forward, consistency = forward_from_bends(ups, motion, up)
            new = Mounting(up, forward, "fallback", consistency)
        self._set_mounting(start, new)
        self._pending_from = None

    def _latest(self) -> Mounting | None:
        """The newest mounting found, in effect or not yet."""
        return self._todo[-1][1] if self._todo else self._cur

    def _set_mounting(self, index: int, mounting: Mounting, seed: AxisSums | None = None) -> None:
        """Mounting ``mounting`` takes effect from global sample ``index``."""
        if index < self._fast:
            raise InputDataError(
                "internal: a mounting change behind results already given",
                value=(index, self._fast),
            )
        self._todo.append((index, mounting))
        self._todo.sort(key=lambda c: c[0])
        if seed is not None:
            self._seeds[index] = seed
