"""The analysis pipeline: orientation → features → steps → mounting → angles → posture.

:class:`Analyzer` is the streaming form; :func:`analyze_samples` runs it over
a whole recording in one call, which is what makes live and offline results
the same. Results come out in order, a few seconds behind the input (step
runs must be confirmed); while the mounting is unknown (at the start, and
after the sensor was off the body) results are held back until walking
reveals it, for at most ``mounting.max_pending_s``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from processing.angles import trunk_angles
from processing.buffer import ColumnBuffer
from processing.event_types import EventNotice
from processing.events import EventChunk, EventDetector, FallDetector
from processing.features import FeatureExtractor
from processing.gait import GaitSettings, StepDetector
from processing.mounting import (
    STANDING_MIN_S,
    Mounting,
    MountingSettings,
    dominant_up,
    forward_from_bends,
    standing_samples,
)
from processing.orientation import OrientationEstimator, OrientationSettings
from processing.posture import PostureClassifier, PostureSettings, not_worn
from processing.profile import ClinicalProfile
from processing.reference import AxisSums, UprightRefiner
from processing.results import AnalysisChunk, MountingChange, concat_chunks
from processing.types import BoolArray, FloatArray, ImuSamples
from spinewatch.errors import InputDataError


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Settings of the whole analysis (each stage's own settings inside).

    Attributes:
        calibration_window_s: optional ``(start, end)`` in recording seconds
            when the person stood upright; gives the up axis directly.
    """

    orientation: OrientationSettings = field(default_factory=OrientationSettings)
    gait: GaitSettings = field(default_factory=GaitSettings)
    mounting: MountingSettings = field(default_factory=MountingSettings)
    posture: PostureSettings = field(default_factory=PostureSettings)
    calibration_window_s: tuple[float, float] | None = None


# While results wait for a mounting, look for one this often (on a grid of samples).
PENDING_CHECK_S = 5.0
# Samples per block when a whole recording is analysed at once.
OFFLINE_BLOCK = 32768

_COLUMNS: dict[str, tuple[tuple[int, ...], type]] = {
    "t": ((), np.float64),
    "quat": ((4,), np.float64),
    "up": ((3,), np.float64),
    "motion": ((), np.float64),
    "tilt": ((), np.float64),
    "off": ((), np.bool_),
    "gap": ((), np.bool_),
    "yaw": ((), np.float64),
    "accn": ((), np.float64),
    "vraw": ((), np.float64),
    "peak": ((), np.bool_),
    "horiz": ((3,), np.float64),
    "vel": ((), np.float64),
}


class Analyzer:
    """Streaming analysis of one sensor's stream at a fixed nominal sample rate."""

    def __init__(
        self,
        settings: PipelineSettings,
        sample_rate_hz: float,
        profile: ClinicalProfile | None = None,
    ) -> None:
        """``profile``: the patient's clinical profile; without one no events are detected."""
        self.settings = settings
        self.sample_rate_hz = sample_rate_hz
        self._events = None if profile is None else EventDetector(profile, sample_rate_hz)
        self._falls = None if profile is None else FallDetector(sample_rate_hz)
        self._notices: list[EventNotice] = []
        self._orient = OrientationEstimator(settings.orientation, sample_rate_hz)
        self._features = FeatureExtractor(sample_rate_hz)
        self._steps = StepDetector(settings.gait, sample_rate_hz)
        self._posture = PostureClassifier(settings.posture, sample_rate_hz)
        self._buf = ColumnBuffer(_COLUMNS)
        self._calib_n = round(settings.mounting.calibration_walk_s * sample_rate_hz)
        self._grid = max(1, round(PENDING_CHECK_S * sample_rate_hz))
        self._nonwear_n = round(settings.posture.nonwear_min_s * sample_rate_hz)
        self._mounting: Mounting | None = None
        self._pending_from: int | None = 0  # results wait for a mounting from here
        self._scan = 0  # walking scanned for a mounting up to here
        self._sums = AxisSums()  # the walking block being gathered (calibration, remount check)
        self._refiner: UprightRefiner | None = None
        self._refined_to = 0
        self._seeds: dict[int, AxisSums] = {}  # what each new mounting was found from, by index
        self._still_run = 0
        self._back_on: list[int] = []  # where the sensor moved again after non-wear
        self._done = 0  # results emitted up to here
        self._todo: list[MountingChange] = []  # changes not yet reached by the results
        self.mountings: list[MountingChange] = []

    @property
    def mounting(self) -> Mounting | None:
        """The mounting in use (None until one is known)."""
        return self._mounting

    def update(self, samples: ImuSamples, gap_before: BoolArray | None = None) -> AnalysisChunk:
        """Feed the next samples; returns the results that became final."""
        if len(samples) == 0:
            return self._emit(self._done, [], [])
        o = self._orient.update(samples)
        f = self._features.update(o.quat, samples.acc_mps2, samples.gyr_rads)
        start = self._buf.stop
        off = self._watch_nonwear(start, f.motion_rads)
        self._buf.append(
            t=samples.t_s,
            quat=o.quat,
            up=f.up_s,
            motion=f.motion_rads,
            tilt=f.tilt_rads,
            off=off,
            horiz=f.horiz_acc_mps2,
            vel=f.vert_vel_mps,
            gap=np.zeros(len(samples), bool) if gap_before is None else gap_before,
            yaw=f.yaw_rads,
            accn=f.acc_norm_mps2,
            vraw=f.vert_raw_mps2,
            peak=np.zeros(len(samples), bool),
        )
        g = self._steps.update(f.vert_acc_mps2, gap_before, f.up_s)
        self._mark_peaks(g.peak_index)
        if self._falls is not None:
            # Falls need no mounting: reported from the raw stream, without waiting.
            self._notices += self._falls.update(samples.t_s, f.up_s, f.acc_norm_mps2)
        return self._advance(g.decided_until, g.step_index, final=False)

    def finish(self) -> AnalysisChunk:
        """End of stream: finalise everything that is left and close open events."""
        g = self._steps.finish()
        self._mark_peaks(g.peak_index)
        out = self._advance(g.decided_until, g.step_index, final=True)
        if self._events is not None:
            out = dataclasses.replace(out, events=out.events + tuple(self._events.finish()))
        return out

    def _mark_peaks(self, peaks: np.ndarray) -> None:
        """Note foot-contact-like peaks (found a little after they happen) in the buffer."""
        for p in peaks:
            if self._buf.start <= p < self._buf.stop:
                self._buf.get("peak", int(p), int(p) + 1)[0] = True

    def _watch_nonwear(self, start: int, motion: FloatArray) -> BoolArray:
        """Non-wear flags for new samples; notes where the sensor moved again after it."""
        flags, run = not_worn(motion, self._still_run, self.settings.posture, self.sample_rate_hz)
        # The first sample that moves after a non-wear run: the sensor went back on,
        # maybe differently, so results wait for walking to tell the new mounting.
        prev = np.concatenate([[self._still_run], run[:-1]])
        back_on = np.flatnonzero((run == 0) & (prev >= self._nonwear_n))
        self._still_run = int(run[-1])
        self._back_on += [start + int(i) for i in back_on]
        return flags

    def _advance(self, decided: int, step_index: np.ndarray, final: bool) -> AnalysisChunk:
        changes: list[MountingChange] = []
        steps_t = [self._buf.get("t", int(i), int(i) + 1)[0] for i in step_index]
        stop = self._buf.stop if final else min(decided, self._buf.stop)
        self._scan_walking(stop, final, changes)
        horizon = stop if self._pending_from is None else self._pending_from
        out = self._finalise(self._done, horizon, changes, steps_t)
        keep_from = (
            self._done if self._pending_from is None else min(self._pending_from, self._done)
        )
        self._buf.drop_before(min(keep_from, self._scan))
        self._steps.forget_before(self._buf.start)
        return out

    def _scan_walking(self, stop: int, final: bool, changes: list[MountingChange]) -> None:
        """Gather walking in ``[scan, stop)`` to find the mounting, or to check it."""
        while self._scan < stop:
            a = self._scan
            if self._back_on and self._back_on[0] <= a:
                self._sensor_back_on(self._back_on.pop(0))
                continue
            if self._back_on:
                stop_here = min(stop, self._back_on[0])
                if stop_here < stop:
                    self._scan_walking(stop_here, False, changes)
                    continue
            walk = self._steps.walking_mask(a, stop)
            if self._pending_from is not None:
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
            if self._pending_from is not None:
                if b % self._grid == 0 and self._sums.n_walk >= self._calib_n:
                    self._try_calibrate(b, changes, standing_needed=True)
            elif self._sums.n_walk >= self._calib_n:
                self._check_block(changes)
                self._sums = AxisSums()
        if self._pending_from is not None and stop > self._pending_from:
            t0 = float(self._buf.get("t", self._pending_from, self._pending_from + 1)[0])
            t_now = float(self._buf.get("t", stop - 1, stop)[0])
            ms = self.settings.mounting
            limit = ms.max_pending_s if not self.mountings else ms.max_pending_after_nonwear_s
            if final or t_now - t0 > limit:
                if self._sums.n_walk >= self._calib_n:
                    self._try_calibrate(stop, changes, standing_needed=False)
                if self._pending_from is not None:
                    self._fallback(stop, changes)

    def _sensor_back_on(self, index: int) -> None:
        """The sensor moves again after non-wear: it may sit differently now.

        Results from here wait until walking tells the new mounting (or the
        old one is kept when none comes in time). Before the first mounting
        is known, only the walking gathered before the removal is forgotten.
        """
        self._sums = AxisSums()
        if self._pending_from is None:
            self._pending_from = index

    def _try_calibrate(self, b: int, changes: list[MountingChange], standing_needed: bool) -> None:
        """Set the mounting from the walking gathered so far and the standing next to it.

        Walking alone can mislead (stairs lean the pelvis forward), so while
        there is time the mounting waits for quiet standing next to walking,
        unless a calibration window gives the up axis.
        """
        s = self._sums
        ms = self.settings.mounting
        a = self._pending_from if self._pending_from is not None else self._buf.start
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
        if (
            standing_needed
            and window is None
            and stand.sum() < STANDING_MIN_S * self.sample_rate_hz
        ):
            return
        seed = AxisSums(s.n_walk, s.first_walk, s.up_walk, s.pend, s.hpow, s.vpow)
        seed.add_standing(stand, g("up", a, b))
        self._set_mounting(a, seed.mounting(ms, self.sample_rate_hz, window), changes, seed=seed)
        self._pending_from = None
        self._sums = AxisSums()

    def _check_block(self, changes: list[MountingChange]) -> None:
        """A block of walking after the mounting was set: has the sensor moved on the body?"""
        s = self._sums
        ms = self.settings.mounting
        new = s.mounting(ms, self.sample_rate_hz)
        if self._mounting is not None and self._mounting.up_angle_deg(new.up) > ms.remount_deg:
            # From this walking block on, use the new axes.
            self._set_mounting(max(s.first_walk, self._done), new, changes, seed=s)

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

    def _fallback(self, stop: int, changes: list[MountingChange]) -> None:
        """No walking in time: keep the last mounting, or guess from still postures and bends."""
        start = self._pending_from if self._pending_from is not None else stop
        if self._mounting is not None:
            new = self._mounting
        else:
            ups = self._buf.get("up", start, stop)
            motion = self._buf.get("motion", start, stop)
            up = self._calibration_up()
            if up is None:
                up = dominant_up(ups, motion)
            forward, consistency = forward_from_bends(ups, motion, up)
            new = Mounting(up, forward, "fallback", consistency)
        self._set_mounting(start, new, changes)
        self._pending_from = None

    def _set_mounting(
        self,
        index: int,
        mounting: Mounting,
        changes: list[MountingChange],
        seed: AxisSums | None = None,
    ) -> None:
        if not (self._buf.start <= index <= self._buf.stop) or self._buf.stop == 0:
            raise InputDataError("internal: mounting change outside the buffer", value=index)
        if index < self._buf.stop:
            t = float(self._buf.get("t", index, index + 1)[0])
        else:  # from the next sample on, not yet received
            t = float(self._buf.get("t", index - 1, index)[0]) + 1.0 / self.sample_rate_hz
        change = MountingChange(index, t, mounting)
        changes.append(change)
        self.mountings.append(change)
        self._todo.append(change)
        self._todo.sort(key=lambda c: c.index)
        if seed is not None:
            self._seeds[index] = seed

    def _finalise(
        self, a: int, b: int, changes: list[MountingChange], steps_t: list[float]
    ) -> AnalysisChunk:
        """Results for ``[a, b)``, switching mounting where a change takes effect."""
        parts = []
        lo = a
        while lo < b:
            while self._todo and self._todo[0].index <= lo:
                change = self._todo.pop(0)
                self._mounting = change.mounting
                seed = self._seeds.pop(change.index, None)
                if seed is not None:
                    self._refiner = UprightRefiner(
                        self.settings.mounting, self.sample_rate_hz, seed
                    )
                    self._refined_to = change.index
            if self._mounting is None:
                break  # nothing can be said before a mounting is known
            hi = min([c.index for c in self._todo if c.index > lo] + [b])
            hi = self._refine(lo, hi, changes)
            parts.append(self._results(lo, hi))
            lo = hi
        self._done = lo
        return self._emit(a, parts, steps_t, changes)

    def _refine(self, lo: int, hi: int, changes: list[MountingChange]) -> int:
        """Let the upright reference learn from ``[lo, hi)``; returns where results must pause."""
        if self._refiner is None or self._mounting is None or self._refined_to >= hi:
            return hi
        if self._refiner.done:
            self._refiner = None  # the reference is settled for this mounting
            return hi
        a = max(lo, self._refined_to)
        g = self._buf.get
        due = self._refiner.scan(
            a,
            self._mounting,
            g("up", a, hi),
            g("motion", a, hi),
            g("tilt", a, hi),
            self._steps.walking_mask(a, hi),
            g("horiz", a, hi),
            g("vel", a, hi),
        )
        self._refined_to = hi if due is None else due
        if due is None:
            return hi
        new = self._refiner.refined(self._mounting)
        if new is None:
            return hi
        self._set_mounting(due, new, changes)
        return due if due > lo else hi

    def _results(self, a: int, b: int) -> tuple[FloatArray, ...]:
        if self._mounting is None:
            raise InputDataError("internal: results without a mounting")
        up = self._buf.get("up", a, b)
        ang = trunk_angles(up, self._mounting)
        walking = self._steps.walking_mask(a, b)
        posture = self._posture.update(
            ang.flexion_deg,
            ang.inclination_deg,
            self._buf.get("tilt", a, b),
            walking,
            self._buf.get("off", a, b),
        )
        if self._events is not None:
            g = self._buf.get
            self._notices += self._events.update(
                EventChunk(
                    g("t", a, b),
                    ang.flexion_deg,
                    ang.lateral_deg,
                    posture,
                    g("yaw", a, b),
                    g("accn", a, b),
                    up,
                    g("gap", a, b),
                    g("vraw", a, b),
                    g("peak", a, b),
                )
            )
        return (
            self._buf.get("t", a, b).copy(),
            self._buf.get("quat", a, b).copy(),
            ang.flexion_deg,
            ang.lateral_deg,
            ang.inclination_deg,
            posture,
        )

    def _emit(
        self,
        start: int,
        parts: list[tuple[FloatArray, ...]],
        steps_t: list[float],
        changes: list[MountingChange] | None = None,
    ) -> AnalysisChunk:
        if parts:
            cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
        else:
            cols = [
                np.empty(0),
                np.empty((0, 4)),
                np.empty(0),
                np.empty(0),
                np.empty(0),
                np.empty(0, dtype=np.int8),
            ]
        return AnalysisChunk(
            start,
            cols[0],
            cols[1],
            cols[2],
            cols[3],
            cols[4],
            cols[5],
            np.asarray(steps_t, dtype=np.float64),
            tuple(changes or ()),
            self._take_notices(),
        )

    def _take_notices(self) -> tuple[EventNotice, ...]:
        notices, self._notices = tuple(self._notices), []
        return notices


def analyze_samples(
    samples: ImuSamples,
    settings: PipelineSettings,
    sample_rate_hz: float,
    profile: ClinicalProfile | None = None,
) -> AnalysisChunk:
    """Offline analysis of a whole recording: the streaming analyser, fed block by block.

    Blocks keep the arrays in cache (one huge block is several times slower);
    the streaming analyser gives the same result for any blocks.
    """
    an = Analyzer(settings, sample_rate_hz, profile)
    parts = [
        an.update(samples.slice(i, i + OFFLINE_BLOCK))
        for i in range(0, max(len(samples), 1), OFFLINE_BLOCK)
    ]
    parts.append(an.finish())
    return concat_chunks(parts)
