"""Step detection and walking bouts from the vertical acceleration of the pelvis.

At each foot contact the pelvis is at its lowest and is pushed up: the
band-passed vertical acceleration peaks once per step. A peak counts as a
step only inside a run of regular intervals, which rejects isolated bumps
(sitting down, a knock on the sensor) and keeps slow post-operative gait,
where amplitude is small but rhythm is still regular.

Streaming: peaks are confirmed ``peak_halfwidth_s`` after they happen and a
run once ``min_run_steps`` steps agree, so results lag the input by a few
seconds; the same code runs offline, which is what makes the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import lfilter

from processing.settings import GaitSettings
from processing.types import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class GaitResult:
    """What step detection decided in one update.

    Attributes:
        step_index: global sample indices of newly confirmed steps, shape (K,).
        decided_until: every sample before this global index has its final
            walking status (see :meth:`StepDetector.walking_mask`).
        peak_index: global indices of every foot-contact-like peak found in this update,
            in a walking run or not (turning on the spot steps too), shape (P,).
    """

    step_index: IntArray
    decided_until: int
    peak_index: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


class StepDetector:
    """Streaming step detection on band-passed vertical acceleration.

    A step is a peak of the signal above an adaptive threshold; steps count
    only in runs of at least ``min_run_steps`` with plausible, regular
    intervals. A walking bout spans its run's steps, extended by half a step
    interval at each end.
    """

    def __init__(self, settings: GaitSettings, sample_rate_hz: float) -> None:
        self.settings = settings
        self._r = max(1, round(settings.peak_halfwidth_s * sample_rate_hz))
        self._env_pole = float(np.exp(-1.0 / (settings.envelope_s * sample_rate_hz)))
        self._env_state = np.zeros(1)
        self._min_gap = max(1, round(settings.min_step_interval_s * sample_rate_hz))
        self._max_gap = round(settings.max_step_interval_s * sample_rate_hz)
        self._n_seen = 0  # global index of the next input sample
        # The last 2r samples (and thresholds) before _n_seen: context for peaks near a chunk edge.
        self._tail = np.empty(0)
        self._tail_thr = np.empty(0)
        self._tail_up = np.empty((0, 3))
        self._cos_tilt = float(np.cos(np.radians(settings.max_tilt_change_deg)))
        self._run_up: FloatArray = np.zeros(3)  # attitude at the run's last step
        self._gaps: list[int] = []  # global indices of samples that follow a gap, not yet passed
        self._run: list[int] = []  # peaks of the current run (global indices)
        self._confirmed = False
        self._bouts: list[tuple[int, int]] = []  # closed walking bouts [start, end)

    def update(
        self,
        vert_acc_mps2: FloatArray,
        gap_before: np.ndarray | None = None,
        up_s: FloatArray | None = None,
    ) -> GaitResult:
        """Feed band-passed vertical acceleration (N,) m/s².

        ``gap_before`` (N,) marks samples that follow a gap; ``up_s`` (N, 3), earth-up
        seen from the sensor, lets runs whose attitude jumps between steps be rejected.
        """
        x = np.asarray(vert_acc_mps2, dtype=np.float64)
        up = np.tile([0.0, 0.0, 1.0], (len(x), 1)) if up_s is None else up_s
        thr = self._threshold(x)
        if gap_before is not None:
            self._gaps += [int(i) + self._n_seen for i in np.flatnonzero(gap_before)]
        full = np.concatenate([self._tail, x])
        full_thr = np.concatenate([self._tail_thr, thr])
        full_up = np.concatenate([self._tail_up, up])
        base = self._n_seen - len(self._tail)
        # The first r positions of the context were judged by the previous call.
        first = 0 if self._n_seen == 0 else self._r
        peaks = self._peaks(full, full_thr, base, first)
        ups = [full_up[p - base] for p in peaks]
        self._n_seen += len(x)
        keep = min(2 * self._r, len(full))
        self._tail, self._tail_thr = full[len(full) - keep :], full_thr[len(full) - keep :]
        self._tail_up = full_up[len(full) - keep :]
        steps = self._advance(peaks, ups, known_until=self._n_seen - self._r)
        return GaitResult(
            np.asarray(steps, dtype=np.int64), self._decided(), np.asarray(peaks, dtype=np.int64)
        )

    def finish(self) -> GaitResult:
        """End of stream: judge the tail with the data there is and close the run."""
        r = self._r
        full = np.concatenate([self._tail, np.full(r, -np.inf)])
        full_thr = np.concatenate([self._tail_thr, np.full(r, np.inf)])
        base = self._n_seen - len(self._tail)
        first = 0 if self._n_seen <= len(self._tail) else r
        peaks = self._peaks(full, full_thr, base, first)
        ups = [self._tail_up[p - base] for p in peaks]
        steps = self._advance(peaks, ups, known_until=self._n_seen)
        self._close_run()
        return GaitResult(
            np.asarray(steps, dtype=np.int64), self._n_seen, np.asarray(peaks, dtype=np.int64)
        )

    def walking_mask(self, start: int, stop: int) -> np.ndarray:
        """Walking status of global samples ``[start, stop)``; final below ``decided_until``."""
        mask = np.zeros(max(0, stop - start), dtype=bool)
        spans = list(self._bouts)
        if self._confirmed:
            spans.append((self._bout_start(), self._run[-1] + 1))
        for a, b in spans:
            lo, hi = max(a, start), min(b, stop)
            if hi > lo:
                mask[lo - start : hi - start] = True
        return mask

    def forget_before(self, index: int) -> None:
        """Drop closed bouts that end before global sample ``index`` (bounded memory)."""
        self._bouts = [b for b in self._bouts if b[1] > index]
        self._gaps = [g for g in self._gaps if g >= index - self._max_gap]

    def _decided(self) -> int:
        # A new run can reach back at most half a step interval before its first contact.
        decided = self._n_seen - self._r - self._max_gap // 2 - 1
        if self._run and not self._confirmed:
            # That run may still be confirmed, and then walking starts before its first step.
            decided = min(decided, self._run[0] - self._max_gap // 2)
        elif self._run:
            # Walking goes on after the last step only if the next one comes: not known yet.
            decided = min(decided, self._run[-1] + 1)
        return max(0, decided)

    def _threshold(self, x: FloatArray) -> FloatArray:
        a = self._env_pole
        power, _ = lfilter([1.0 - a], [1.0, -a], x * x, zi=self._env_state * a)
        if len(power):
            self._env_state = power[-1:].copy()
        s = self.settings
        thr: FloatArray = np.maximum(s.min_peak_mps2, s.relative_peak * np.sqrt(power))
        return thr

    def _peaks(self, full: FloatArray, thr: FloatArray, base: int, first: int) -> list[int]:
        """Global indices of peaks at positions ``first …`` of ``full`` (r samples of context)."""
        r = self._r
        if len(full) < 2 * r + 1:
            return []
        centre = full[r : len(full) - r]
        # Only local maxima above threshold can be peaks: check the full window for those alone.
        cand = (centre > thr[r : len(full) - r]) & (centre > full[r - 1 : len(full) - r - 1])
        cand &= centre >= full[r + 1 : len(full) - r + 1]
        pos = np.flatnonzero(cand)
        if len(pos):
            w = sliding_window_view(full, 2 * r + 1)[pos]
            ok = (w[:, r] > w[:, :r].max(axis=1)) & (w[:, r] >= w[:, r + 1 :].max(axis=1))
            pos = pos[ok]
        pos = pos + r
        return [int(p) + base for p in pos if p >= first]

    def _advance(self, peaks: list[int], ups: list[FloatArray], known_until: int) -> list[int]:
        """Run logic over new peaks (with the attitude at each); returns newly confirmed steps."""
        steps: list[int] = []
        s = self.settings
        for p, up in zip(peaks, ups, strict=True):
            if self._run:
                last = self._run[-1]
                interval = p - last
                if interval < self._min_gap:
                    continue  # a second bump within one step is not a new foot contact
                regular = interval <= self._max_gap and not any(last < g <= p for g in self._gaps)
                regular = regular and float(np.dot(up, self._run_up)) >= self._cos_tilt
                if regular and len(self._run) >= 2:
                    ratio = interval / (last - self._run[-2])
                    regular = 1.0 / s.max_interval_ratio <= ratio <= s.max_interval_ratio
                if not regular:
                    self._close_run()
            self._run.append(p)
            self._run_up = up
            if self._confirmed:
                steps.append(p)
            elif len(self._run) >= s.min_run_steps:
                self._confirmed = True
                steps += self._run
        if self._run and known_until - self._run[-1] > self._max_gap:
            self._close_run()  # the next step is overdue: the run has ended
        return steps

    def _bout_start(self) -> int:
        half = (self._run[1] - self._run[0]) // 2 if len(self._run) > 1 else 0
        start = max(0, self._run[0] - half)
        # A bout never reaches back across a gap: nothing is known of the time in between.
        before = [g for g in self._gaps if g <= self._run[0]]
        return max(start, before[-1]) if before else start

    def _close_run(self) -> None:
        if self._confirmed:
            last = self._run[-1]
            half = (last - self._run[-2]) // 2 if len(self._run) > 1 else 0
            end = last + half + 1
            after = [g for g in self._gaps if g > last]
            self._bouts.append((self._bout_start(), min([end, *after])))
        self._run = []
        self._confirmed = False
