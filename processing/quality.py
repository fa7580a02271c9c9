"""Data-quality checks on IMU samples: time gaps and sensor saturation.

Both checks stream: each has a detector that carries its state from chunk to
chunk, and an offline function over a whole recording. However a recording is
cut into chunks, the detectors' concatenated output equals the offline result.

* Gaps: an interval longer than ``gap_factor`` nominal sample periods means
  samples are missing (a radio drop-out, a dropped corrupt row). Gaps are
  reported, never filled: the consumer decides what an interruption means.
* Saturation: a sensor that clips repeats its full-scale value. Without a
  known full scale, a run of at least ``saturation_min_run`` identical absolute
  values on one axis, far above anything a still or walking person produces,
  is taken as clipping; with a configured full scale every sample that reaches
  it is flagged. Clipped samples under-report the movement, so callers should
  not trust angles or peaks computed from them.

Streaming saturation needs look-ahead: the first samples of a run are only
known to be clipped once the run is ``saturation_min_run`` long, so the
detector holds back at most ``saturation_min_run - 1`` samples and reports
flags with the global index of their first sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from processing.types import GRAVITY_MPS2, BoolArray, FloatArray, IntArray
from spinewatch.errors import InputDataError

# An interval longer than this many nominal periods is a gap in the data (the one default
# of the analysis, the summary and the report).
GAP_FACTOR: Final = 1.5


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """Settings of the quality checks.

    Attributes:
        gap_factor: an interval longer than this many nominal sample periods
            is a gap. 1.5 catches a single missing sample while tolerating
            timestamp jitter of up to half a period.
        saturation_min_run: consecutive samples with the same absolute value on
            one axis that count as clipping when no full scale is configured.
        acc_saturation_floor_mps2: without a configured full scale, only values
            at least this large can be clipping. 1.5 g is below the smallest
            common accelerometer range (±2 g) but above anything sustained
            that a person produces, so quantised sensors resting at 1 g are
            not flagged.
        gyr_saturation_floor_rads: the same for the gyroscope, rad/s (below the
            ±125 °/s = 2.18 rad/s range).
        acc_full_scale_mps2: accelerometer full scale, m/s², if known
            (e.g. 8 g = 78.45 m/s²); samples reaching it are flagged.
        gyr_full_scale_rads: gyroscope full scale, rad/s, if known.
        full_scale_tolerance: a sample within this fraction of the full scale
            counts as reaching it (calibration shifts the clipped value a bit).
    """

    gap_factor: float = field(default=GAP_FACTOR, metadata={"min": 1.0})
    saturation_min_run: int = field(default=4, metadata={"min": 2})
    acc_saturation_floor_mps2: float = field(
        default=1.5 * GRAVITY_MPS2, metadata={"min": 0.0, "unit": "m/s²"}
    )
    gyr_saturation_floor_rads: float = field(default=2.0, metadata={"min": 0.0, "unit": "rad/s"})
    acc_full_scale_mps2: float | None = field(default=None, metadata={"unit": "m/s²"})
    gyr_full_scale_rads: float | None = field(default=None, metadata={"unit": "rad/s"})
    full_scale_tolerance: float = field(default=0.005, metadata={"min": 0.0, "max": 0.5})

    def __post_init__(self) -> None:
        if not (np.isfinite(self.gap_factor) and self.gap_factor >= 1.0):
            raise InputDataError(
                "quality.gap_factor must be at least 1",
                value=self.gap_factor,
                advice="1.5 flags one missing sample and tolerates jitter",
            )
        if self.saturation_min_run < 2:
            raise InputDataError(
                "quality.saturation_min_run must be at least 2",
                value=self.saturation_min_run,
                advice="a single sample at a large value is not evidence of clipping",
            )
        for name in ("acc_saturation_floor_mps2", "gyr_saturation_floor_rads"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0.0):
                raise InputDataError(f"quality.{name} must be finite and ≥ 0", value=value)
        for name in ("acc_full_scale_mps2", "gyr_full_scale_rads"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0.0):
                raise InputDataError(
                    f"quality.{name} must be positive", value=value, advice="or leave it unset"
                )
        if not 0.0 <= self.full_scale_tolerance <= 0.5:
            raise InputDataError(
                "quality.full_scale_tolerance must be between 0 and 0.5",
                value=self.full_scale_tolerance,
            )


# --------------------------------------------------------------------------- gaps


@dataclass(frozen=True, slots=True)
class Gap:
    """An interruption of the sample stream.

    Attributes:
        start_s: time of the last sample before the gap, s.
        end_s: time of the first sample after the gap, s.
        missing_samples: estimated number of samples lost,
            ``round((end_s - start_s) × rate) - 1``, at least 1.
    """

    start_s: float
    end_s: float
    missing_samples: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class GapResult:
    """Gaps found in some samples.

    Attributes:
        after_gap: shape (N,), True for the first sample after each gap.
        gaps: the gaps, in time order.
    """

    after_gap: BoolArray
    gaps: tuple[Gap, ...]


def _check_rate(nominal_rate_hz: float) -> float:
    rate = float(nominal_rate_hz)
    if not (np.isfinite(rate) and rate > 0.0):
        raise InputDataError(
            "nominal sample rate must be positive and finite",
            value=nominal_rate_hz,
            advice="estimate it from the median sample interval",
        )
    return rate


def _check_times(t_s: FloatArray) -> FloatArray:
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise InputDataError("t_s must have shape (N,)", value=t.shape)
    return t


def _gaps_from_intervals(
    dt_s: FloatArray, t_before: FloatArray, t_after: FloatArray, rate_hz: float, factor: float
) -> tuple[BoolArray, tuple[Gap, ...]]:
    """Gaps where ``dt_s`` (intervals ending at each sample) exceeds the limit."""
    is_gap = dt_s > factor / rate_hz
    index = np.flatnonzero(is_gap)
    # round() keeps the estimate right under jitter; at least 1 because the
    # interval did exceed the limit.
    missing = np.maximum(np.rint(dt_s[index] * rate_hz).astype(np.int64) - 1, 1)
    gaps = tuple(
        Gap(float(t_before[i]), float(t_after[i]), int(m))
        for i, m in zip(index.tolist(), missing.tolist(), strict=True)
    )
    return is_gap, gaps


def find_gaps(
    t_s: FloatArray, nominal_rate_hz: float, settings: QualitySettings | None = None
) -> GapResult:
    """All gaps in a whole recording.

    Args:
        t_s: sample times, s, shape (N,), increasing.
        nominal_rate_hz: the recording's nominal sample rate, Hz.
        settings: quality settings (``gap_factor``).

    Returns:
        The per-sample "first after a gap" flags, shape (N,), and the gaps.
    """
    settings = settings or QualitySettings()
    rate = _check_rate(nominal_rate_hz)
    t = _check_times(t_s)
    after = np.zeros(t.shape[0], dtype=np.bool_)
    if t.shape[0] < 2:
        return GapResult(after, ())
    is_gap, gaps = _gaps_from_intervals(np.diff(t), t[:-1], t[1:], rate, settings.gap_factor)
    after[1:] = is_gap
    return GapResult(after, gaps)


class GapDetector:
    """Streaming gap detection; equals :func:`find_gaps` however the data is chunked.

    The result of each :meth:`update` is aligned with its chunk (no delay).
    """

    def __init__(self, nominal_rate_hz: float, settings: QualitySettings | None = None) -> None:
        self.settings = settings or QualitySettings()
        self.nominal_rate_hz = _check_rate(nominal_rate_hz)
        self._last_t: float | None = None
        self.gap_count = 0
        self.missing_samples = 0

    def update(self, t_s: FloatArray) -> GapResult:
        """Gaps ending in this chunk of times (s, shape (n,))."""
        t = _check_times(t_s)
        if t.shape[0] == 0:
            return GapResult(np.zeros(0, dtype=np.bool_), ())
        if self._last_t is None:
            before = np.concatenate(([t[0]], t[:-1]))
        else:
            before = np.concatenate(([self._last_t], t[:-1]))
        is_gap, gaps = _gaps_from_intervals(
            t - before, before, t, self.nominal_rate_hz, self.settings.gap_factor
        )
        self._last_t = float(t[-1])
        self.gap_count += len(gaps)
        self.missing_samples += sum(g.missing_samples for g in gaps)
        return GapResult(is_gap, gaps)


# --------------------------------------------------------------------- saturation


@dataclass(frozen=True, slots=True)
class SaturationResult:
    """Samples at the sensors' clipping value.

    Attributes:
        start_index: global index of the first sample these flags describe.
        acc_saturated: shape (K,), True where any accelerometer axis clips.
        gyr_saturated: shape (K,), True where any gyroscope axis clips.
    """

    start_index: int
    acc_saturated: BoolArray
    gyr_saturated: BoolArray

    @property
    def acc_count(self) -> int:
        return int(np.count_nonzero(self.acc_saturated))

    @property
    def gyr_count(self) -> int:
        return int(np.count_nonzero(self.gyr_saturated))

    def __len__(self) -> int:
        return int(self.acc_saturated.shape[0])


def _check_xyz(name: str, values: FloatArray) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise InputDataError(f"{name} must have shape (N, 3)", value=arr.shape)
    return arr


def _full_scale_flags(abs_values: FloatArray, full_scale: float | None, tol: float) -> BoolArray:
    if full_scale is None:
        return np.zeros(abs_values.shape[0], dtype=np.bool_)
    flags: BoolArray = np.logical_or.reduce(abs_values >= full_scale * (1.0 - tol), axis=1)
    return flags


def _run_flags(
    a: FloatArray, floor: float, min_run: int, prev_abs: float, prev_len: int
) -> tuple[BoolArray, int, int]:
    """Clipping runs on one axis of one chunk.

    Args:
        a: absolute values of one axis, shape (n,), n ≥ 1.
        floor: smallest value that can be clipping.
        min_run: run length that counts as clipping.
        prev_abs, prev_len: value and length of the run that ended at the
            previous chunk's last sample (``prev_len`` 0 if none).

    Returns:
        Flags of this chunk's samples, shape (n,); the carried run's total
        length if it continued into this chunk and reached ``min_run`` just
        now (0 otherwise) - its earlier samples must be flagged too; and the
        length of the run ending at the last sample (0 if none).
    """
    candidate = a >= floor
    same = np.empty(a.shape[0], dtype=np.bool_)
    same[0] = bool(candidate[0]) and prev_len > 0 and a[0] == prev_abs
    same[1:] = candidate[1:] & candidate[:-1] & (a[1:] == a[:-1])
    starts = candidate & ~same
    # Run 0 is the run carried in from the previous chunk; its length counts
    # the samples seen before.
    run_id: IntArray = np.cumsum(starts, dtype=np.int64)
    lengths = np.bincount(run_id[candidate], minlength=int(run_id[-1]) + 1)
    carried_in_chunk = int(lengths[0])
    lengths[0] += prev_len
    flags: BoolArray = candidate & (lengths[run_id] >= min_run)
    retro = 0
    if carried_in_chunk > 0 and 0 < prev_len < min_run <= lengths[0]:
        retro = prev_len
    end_len = int(lengths[run_id[-1]]) if candidate[-1] else 0
    return flags, retro, end_len


def find_saturation(
    acc_mps2: FloatArray, gyr_rads: FloatArray, settings: QualitySettings | None = None
) -> SaturationResult:
    """Saturated samples of a whole recording.

    Args:
        acc_mps2: specific force, m/s², shape (N, 3).
        gyr_rads: angular rate, rad/s, shape (N, 3).
        settings: quality settings.

    Returns:
        Flags for all N samples (``start_index`` 0).
    """
    settings = settings or QualitySettings()
    acc = np.abs(_check_xyz("acc_mps2", acc_mps2))
    gyr = np.abs(_check_xyz("gyr_rads", gyr_rads))
    if acc.shape[0] != gyr.shape[0]:
        raise InputDataError(
            "acc_mps2 and gyr_rads must have the same length", value=(acc.shape[0], gyr.shape[0])
        )
    n = acc.shape[0]
    flags: list[BoolArray] = []
    flag: BoolArray
    for arr, floor, full_scale in (
        (acc, settings.acc_saturation_floor_mps2, settings.acc_full_scale_mps2),
        (gyr, settings.gyr_saturation_floor_rads, settings.gyr_full_scale_rads),
    ):
        flag = _full_scale_flags(arr, full_scale, settings.full_scale_tolerance)
        if n > 0 and full_scale is None:
            for axis in range(3):
                # Offline every run is complete, so no run carries over.
                run, _, _ = _run_flags(arr[:, axis], floor, settings.saturation_min_run, 0.0, 0)
                flag |= run
        flags.append(flag)
    return SaturationResult(0, flags[0], flags[1])


class SaturationDetector:
    """Streaming saturation flags; equal to :func:`find_saturation` once finished.

    Each :meth:`update` returns final flags for the samples it can decide, up
    to ``saturation_min_run - 1`` samples behind the input;
    :meth:`finish` returns the rest. Concatenating every result in order gives
    the offline flags.
    """

    def __init__(self, settings: QualitySettings | None = None) -> None:
        self.settings = settings or QualitySettings()
        self._next_index = 0
        # Flags of samples not yet returned, shape (P, 2): acc, gyr.
        self._pending = np.zeros((0, 2), dtype=np.bool_)
        # Per sensor (acc, gyr) and axis: value and length of the current run.
        self._run_abs = np.zeros((2, 3))
        self._run_len = np.zeros((2, 3), dtype=np.int64)
        self.acc_count = 0
        self.gyr_count = 0

    def update(self, acc_mps2: FloatArray, gyr_rads: FloatArray) -> SaturationResult:
        """Flags decided after this chunk (acc m/s², gyr rad/s, both shape (n, 3))."""
        s = self.settings
        acc = np.abs(_check_xyz("acc_mps2", acc_mps2))
        gyr = np.abs(_check_xyz("gyr_rads", gyr_rads))
        if acc.shape[0] != gyr.shape[0]:
            raise InputDataError(
                "acc_mps2 and gyr_rads must have the same length",
                value=(acc.shape[0], gyr.shape[0]),
            )
        n = acc.shape[0]
        if n == 0:
            return self._emit(0)
        held = self._pending.shape[0]
        combined = np.concatenate([self._pending, np.zeros((n, 2), dtype=np.bool_)])
        for sensor, (arr, floor, full_scale) in enumerate(
            (
                (acc, s.acc_saturation_floor_mps2, s.acc_full_scale_mps2),
                (gyr, s.gyr_saturation_floor_rads, s.gyr_full_scale_rads),
            )
        ):
            column = combined[:, sensor]
            column[held:] |= _full_scale_flags(arr, full_scale, s.full_scale_tolerance)
            if full_scale is not None:
                continue
            for axis in range(3):
                flags, retro, end_len = _run_flags(
                    arr[:, axis],
                    floor,
                    s.saturation_min_run,
                    float(self._run_abs[sensor, axis]),
                    int(self._run_len[sensor, axis]),
                )
                column[held:] |= flags
                if retro:
                    # The held-back samples of this run are the last `retro`
                    # of the pending ones (an unconfirmed run never outgrows
                    # the pending window).
                    column[held - retro : held] = True
                self._run_len[sensor, axis] = end_len
                if end_len:
                    self._run_abs[sensor, axis] = arr[-1, axis]
        self._pending = combined
        unconfirmed = np.where(self._run_len < s.saturation_min_run, self._run_len, 0)
        keep = int(unconfirmed.max())
        return self._emit(combined.shape[0] - keep)

    def finish(self) -> SaturationResult:
        """Flags of the samples still held back (runs too short to be clipping)."""
        self._run_len[:] = 0
        return self._emit(self._pending.shape[0])

    def _emit(self, count: int) -> SaturationResult:
        out = self._pending[:count]
        self._pending = self._pending[count:]
        result = SaturationResult(self._next_index, out[:, 0].copy(), out[:, 1].copy())
        self._next_index += count
        self.acc_count += result.acc_count
        self.gyr_count += result.gyr_count
        return result
