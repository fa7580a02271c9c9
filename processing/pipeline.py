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

import numpy as np

from processing.angles import trunk_angles
from processing.buffer import ColumnBuffer
from processing.event_types import EventChunk, EventNotice
from processing.events import EventDetector
from processing.features import FeatureExtractor
from processing.gait import StepDetector
from processing.mounting import Mounting, nominal_mounting
from processing.mounting_search import MountingSearch
from processing.orientation import OrientationEstimator
from processing.posture import LyingLatch, PostureClassifier, not_worn
from processing.profile import ClinicalProfile
from processing.reference import AxisSums, UprightRefiner
from processing.results import AnalysisChunk, MountingChange, concat_chunks
from processing.settings import PipelineSettings
from processing.types import BoolArray, FloatArray, ImuSamples

# A mounting found while results stream (re-attachment, refinement) takes effect this long
# after the sample the final results had reached; the fast results are kept from running
# further ahead than that, so a change never falls on results already given.
CHANGE_DELAY_S = 300.0

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
    "flex": ((), np.float64),
    "lat": ((), np.float64),
    "incl": ((), np.float64),
    "lying": ((), np.bool_),
    "horiz": ((3,), np.float64),
    "vel": ((), np.float64),
}


class Analyzer(MountingSearch):
    """Streaming analysis of one sensor's stream at a fixed nominal sample rate.

    Two horizons: trunk angles, lying and the bend and side-bend events are final
    as soon as samples arrive (once the mounting is known), so alerts need not wait;
    posture, steps and the other events wait for walking status (about a second).
    A change of mounting found later (re-attachment, refinement) takes effect
    ``CHANGE_DELAY_S`` after the sample the final results had reached, never on
    results already given, so live results equal offline ones.
    """

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
        self._falls = None if self._events is None else self._events.watch_falls()
        self._notices: list[EventNotice] = []
        self._orient = OrientationEstimator(settings.orientation, sample_rate_hz)
        self._features = FeatureExtractor(sample_rate_hz)
        self._steps = StepDetector(settings.gait, sample_rate_hz)
        self._posture = PostureClassifier(settings.posture, sample_rate_hz)
        self._lying = LyingLatch(settings.posture, sample_rate_hz)
        self._buf = ColumnBuffer(_COLUMNS)
        self._calib_n = round(settings.mounting.calibration_walk_s * sample_rate_hz)
        self._grid = max(1, round(PENDING_CHECK_S * sample_rate_hz))
        self._nonwear_n = round(settings.posture.nonwear_min_s * sample_rate_hz)
        self._delay = round(CHANGE_DELAY_S * sample_rate_hz)
        self._pending_from: int | None = 0  # results wait for a mounting from here
        self._provisional_from: int | None = None  # the nominal mounting in use is checked from
        self._scan = 0  # walking scanned for a mounting up to here
        self._sums = AxisSums()  # the walking block being gathered (calibration, remount check)
        self._refiner: UprightRefiner | None = None
        self._refined_to = 0
        self._seeds: dict[int, AxisSums] = {}  # what each new mounting was found from, by index
        self._still_run = 0
        self._back_on: list[int] = []  # where the sensor moved again after non-wear
        self._fast = 0  # angles (and fast events) known up to here
        self._cur: Mounting | None = None  # the mounting at self._fast
        self._todo: list[tuple[int, Mounting]] = []  # found, not yet in effect
        self._hist: list[tuple[int, Mounting]] = []  # in effect from these indices
        self._hist_pos = 0  # the final results have passed this many of them
        self._applied: list[MountingChange] = []  # took effect since the last results
        self._done = 0  # final results emitted up to here
        self.mountings: list[MountingChange] = []
        nominal = nominal_mounting(settings.mounting)
        if nominal is not None:
            # Worn as designed: results and alerts from the first sample; the first walking
            # with standing next to it measures the real axes (MountingSearch._try_calibrate).
            self._pending_from = None
            self._provisional_from = 0
            self._set_mounting(0, nominal)

    @property
    def mounting(self) -> Mounting | None:
        """The mounting in use for the newest results (None until one is known)."""
        return self._cur

    def update(self, samples: ImuSamples, gap_before: BoolArray | None = None) -> AnalysisChunk:
        """Feed the next samples; returns the results that became final."""
        if len(samples) == 0:
            return self._emit(self._done, [], [])
        o = self._orient.update(samples)
        f = self._features.update(o.quat, samples.acc_mps2, samples.gyr_rads)
        start = self._buf.stop
        off = self._watch_nonwear(start, f.motion_rads)
        n = len(samples)
        self._buf.append(
            t=samples.t_s,
            quat=o.quat,
            up=f.up_s,
            motion=f.motion_rads,
            tilt=f.tilt_rads,
            off=off,
            horiz=f.horiz_acc_mps2,
            vel=f.vert_vel_mps,
            gap=np.zeros(n, bool) if gap_before is None else gap_before,
            yaw=f.yaw_rads,
            accn=f.acc_norm_mps2,
            vraw=f.vert_raw_mps2,
            peak=np.zeros(n, bool),
            flex=np.zeros(n),
            lat=np.zeros(n),
            incl=np.zeros(n),
            lying=np.zeros(n, bool),
        )
        g = self._steps.update(f.vert_acc_mps2, gap_before, f.up_s)
        self._mark_peaks(g.peak_index)
        if self._falls is not None:
            # Falls need no mounting: reported from the raw stream, without waiting.
            self._notices += self._falls.update(samples.t_s, f.up_s, f.acc_norm_mps2)
        self._fast_path()
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
        steps_t = [self._buf.get("t", int(i), int(i) + 1)[0] for i in step_index]
        stop = self._buf.stop if final else min(decided, self._buf.stop)
        self._scan_walking(stop, final)
        start, parts = self._done, []
        # Fast and final results move up together, the fast ones never more than the
        # change delay ahead (see _set_mounting), until the final ones reach `stop`.
        while True:
            self._fast_path()
            horizon = min(stop, self._fast)
            if horizon <= self._done:
                break
            self._learn(self._done, horizon)
            parts.append(self._results(self._done, horizon))
            self._done = horizon
        out = self._emit(start, parts, steps_t)
        searched = self._search_from()
        keep_from = self._done if searched is None else min(searched, self._done)
        self._buf.drop_before(min(keep_from, self._scan))
        self._steps.forget_before(self._buf.start)
        return out

    def _fast_path(self) -> None:
        """Angles, lying, bends and side bends for the samples the mounting covers."""
        # Never more than the change delay ahead of the final results: a mounting found while
        # they catch up takes effect `delay` after a sample they have reached, so beyond here.
        stop = min(self._buf.stop, self._done + self._delay - 1)
        if self._pending_from is not None:
            stop = min(stop, self._pending_from)
        if self._back_on:
            stop = min(stop, max(self._back_on[0], self._fast))  # it may be put on anew there
        lo = self._fast
        g = self._buf.get
        while lo < stop:
            while self._todo and self._todo[0][0] <= lo:
                index, mounting = self._todo.pop(0)
                self._cur = mounting
                self._hist.append((index, mounting))
                change = MountingChange(index, float(g("t", index, index + 1)[0]), mounting)
                self._applied.append(change)
                self.mountings.append(change)
            if self._cur is None:
                break  # nothing can be said before a mounting is known
            hi = min([i for i, _ in self._todo if i > lo] + [stop])
            ang = trunk_angles(g("up", lo, hi), self._cur)
            lying = self._lying.update(ang.flexion_deg, ang.inclination_deg)
            g("flex", lo, hi)[:] = ang.flexion_deg
            g("lat", lo, hi)[:] = ang.lateral_deg
            g("incl", lo, hi)[:] = ang.inclination_deg
            g("lying", lo, hi)[:] = lying
            if self._events is not None:
                eligible = ~(lying | g("off", lo, hi))
                # Lying apart from the sensor being off: only lying dates a bend's end.
                self._notices += self._events.update_fast(
                    g("t", lo, hi), ang.flexion_deg, ang.lateral_deg, eligible, g("gap", lo, hi),
                    lying,
                )
            lo = hi
        self._fast = lo

    def _learn(self, a: int, b: int) -> None:
        """Let the upright reference learn from ``[a, b)``, mounting by mounting."""
        lo = a
        while lo < b:
            while self._hist_pos < len(self._hist) and self._hist[self._hist_pos][0] <= lo:
                index, _ = self._hist[self._hist_pos]
                self._hist_pos += 1
                seed = self._seeds.pop(index, None)
                if seed is not None:
                    self._refiner = UprightRefiner(
                        self.settings.mounting, self.sample_rate_hz, seed
                    )
                    self._refined_to = index
            later = [i for i, _ in self._hist[self._hist_pos :] if i > lo]
            hi = min([*later, b])
            self._refine(lo, hi, self._hist[self._hist_pos - 1][1])
            lo = hi

    def _refine(self, lo: int, hi: int, mounting: Mounting) -> None:
        """Learn from ``[lo, hi)`` under ``mounting``; a refinement takes effect later."""
        while self._refiner is not None and self._refined_to < hi:
            if self._refiner.done:
                self._refiner = None  # the reference is settled for this mounting
                return
            a = max(lo, self._refined_to)
            g = self._buf.get
            due = self._refiner.scan(
                a,
                mounting,
                g("up", a, hi),
                g("motion", a, hi),
                g("tilt", a, hi),
                self._steps.walking_mask(a, hi),
                g("horiz", a, hi),
                g("vel", a, hi),
            )
            self._refined_to = hi if due is None else due
            if due is None:
                return
            latest = self._latest()
            new = self._refiner.refined(latest if latest is not None else mounting)
            if new is not None:
                self._set_mounting(due + self._delay, new)

    def _results(self, a: int, b: int) -> tuple[FloatArray, ...]:
        g = self._buf.get
        flexion, lateral, incl = (
            g("flex", a, b).copy(),
            g("lat", a, b).copy(),
            g("incl", a, b).copy(),
        )
        walking = self._steps.walking_mask(a, b)
        posture = self._posture.update(
            flexion, incl, g("tilt", a, b), walking, g("off", a, b), g("lying", a, b)
        )
        if self._events is not None:
            self._notices += self._events.update_final(
                EventChunk(
                    g("t", a, b),
                    flexion,
                    lateral,
                    posture,
                    g("yaw", a, b),
                    g("accn", a, b),
                    g("up", a, b),
                    g("gap", a, b),
                    g("vraw", a, b),
                    g("peak", a, b),
                    incl,
                )
            )
        return (g("t", a, b).copy(), g("quat", a, b).copy(), flexion, lateral, incl, posture)

    def _emit(
        self,
        start: int,
        parts: list[tuple[FloatArray, ...]],
        steps_t: list[float],
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
            self._take_applied(),
            self._take_notices(),
        )

    def _take_notices(self) -> tuple[EventNotice, ...]:
        notices, self._notices = tuple(self._notices), []
        return notices

    def _take_applied(self) -> tuple[MountingChange, ...]:
        applied, self._applied = tuple(self._applied), []
        return applied


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
