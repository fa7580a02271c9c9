"""Gap detection and sensor-time → UTC mapping (pure, no I/O).

:class:`SampleTimeline` takes packets in arrival order and gives every sample a
continuous index, a sensor time and a UTC time; it reports each gap (samples the
sensor took that never arrived) from the best evidence the sensor offers:

* a wrapping sample counter (reference sensor),
* a wrapping sensor timestamp (Movesense, reference sensor),
* arrival timing alone (Thingy:52, WitMotion): only gaps longer than
  ``arrival_gap_s`` are visible, and their size is an estimate.

Wrap-around ambiguity (a link loss longer than one counter cycle) is resolved
with the arrival time. :class:`ClockMapper` maps sensor time to UTC: slope from
a least-squares fit of arrival vs sensor time (clock drift), offset from the
lower envelope of arrivals (the least-delayed packets). No sample is invented,
none is reordered, and UTC times strictly increase.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinewatch.errors import InputDataError

FloatArray = NDArray[np.float64]

#: Packets over which the lower envelope of (arrival − fitted sensor time) is taken.
ENVELOPE_PACKETS: Final = 256
#: Packets between full recomputations of the envelope (between them it only moves down).
ENVELOPE_REFRESH: Final = 32
#: Sensor-time span (s) before the drift slope is fitted; until then the slope is 1.
MIN_FIT_SPAN_S: Final = 30.0
#: Largest clock drift accepted from the fit (ppm); beyond it the slope is clipped.
MAX_DRIFT_PPM: Final = 500.0
#: Largest disagreement (s, plus 5 % of the interval) between sensor timestamps and arrival
#: times before the sensor clock is taken to have restarted.
TIMESTAMP_TOLERANCE_S: Final = 2.0
#: Default arrival-only gap threshold (s): notifications are batched per connection event.
ARRIVAL_GAP_S: Final = 0.25

GapSource = Literal["counter", "timestamp", "arrival", "reset"]


def resolve_wrap(delta_mod: int, modulus: int, approx: float) -> int:
    """The forward step ≡ ``delta_mod`` (mod ``modulus``) closest to ``approx`` (≥ 0)."""
    k = max(round((approx - delta_mod) / modulus), 0)
    return delta_mod + k * modulus


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples the sensor took that never arrived.

    Attributes:
        index: continuous index the first missing sample would have had.
        missing: number of missing samples (estimated for ``arrival``).
        duration_s: ``missing`` sample periods, s.
        utc_before_s: UTC (epoch s) of the last sample before the gap.
        utc_after_s: UTC of the first sample after the gap.
        source: the evidence: counter, timestamp, arrival, or a sensor reset.
    """

    index: int
    missing: int
    duration_s: float
    utc_before_s: float
    utc_after_s: float
    source: GapSource


@dataclass(frozen=True, slots=True)
class PacketTiming:
    """Times of one packet's samples.

    Attributes:
        first_index: continuous index of the first sample.
        sensor_s: sensor time of each sample, s (unwrapped), shape (n,).
        utc_s: UTC of each sample, epoch seconds, shape (n,), strictly increasing.
        gap: the gap just before this packet, or None.
    """

    first_index: int
    sensor_s: FloatArray
    utc_s: FloatArray
    gap: Gap | None


class ClockMapper:
    """Sensor time (s) → UTC (epoch s) with drift correction, updated per packet."""

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None
        self._sums = [0.0] * 5  # n, Σx, Σy, Σxx, Σxy of centred (sensor, host)
        self._span = 0.0
        self._recent: deque[tuple[float, float]] = deque(maxlen=ENVELOPE_PACKETS)
        self.slope = 1.0
        self.offset_s = 0.0
        self._updates = 0

    @property
    def drift_ppm(self) -> float:
        """Estimated sensor clock error: positive when the sensor clock runs slow."""
        return (self.slope - 1.0) * 1e6

    def update(self, sensor_s: float, host_utc_s: float) -> None:
        """Adds one (sensor time, arrival time) pair of the packet's last sample."""
        if self._origin is None:
            self._origin = (sensor_s, host_utc_s)
        x = sensor_s - self._origin[0]
        y = host_utc_s - self._origin[1]
        sums = self._sums
        sums[0] += 1.0
        sums[1] += x
        sums[2] += y
        sums[3] += x * x
        sums[4] += x * y
        self._span = max(self._span, abs(x))
        n, sx, sy, sxx, sxy = sums
        if self._span >= MIN_FIT_SPAN_S and n >= 3:
            var = sxx - sx * sx / n
            if var > 0:
                slope = (sxy - sx * sy / n) / var
                limit = MAX_DRIFT_PPM * 1e-6
                self.slope = float(min(max(slope, 1.0 - limit), 1.0 + limit))
        self._recent.append((x, y))
        self._updates += 1
        candidate = y - self.slope * x
        if self._updates == 1 or candidate < self.offset_s:
            self.offset_s = candidate
        elif self._updates % ENVELOPE_REFRESH == 0:  # let old minima leave the window
            self.offset_s = min(py - self.slope * px for px, py in self._recent)

    def to_utc(self, sensor_s: FloatArray) -> FloatArray:
        """UTC (epoch s) of sensor times (s); shape as given."""
        if self._origin is None:
            raise InputDataError("the clock mapper has no packet yet", advice="update() first")
        return (self._origin[1] + self.offset_s) + self.slope * (sensor_s - self._origin[0])


class SampleTimeline:
    """Indexes, sensor and UTC times for packets in arrival order, with gaps.

    Args:
        period_s: nominal sample period, s.
        counter_bits: width of the sample counter, or None.
        tick_s: sensor timestamp tick, s, or None when there is no timestamp.
        timestamp_bits: width of the timestamp field.
        arrival_gap_s: for sensors with neither: a silence longer than this
            (beyond the samples' own duration) is a gap.
    """

    def __init__(self, period_s: float, *, counter_bits: int | None = None,
                 tick_s: float | None = None, timestamp_bits: int = 32,
                 arrival_gap_s: float = ARRIVAL_GAP_S) -> None:
        if not period_s > 0:
            raise InputDataError("sample period must be > 0 s", value=period_s)
        self.period_s = period_s
        self.counter_bits = counter_bits
        self.tick_s = tick_s
        self.timestamp_bits = timestamp_bits
        self.arrival_gap_s = arrival_gap_s
        self.clock = ClockMapper()
        self.gaps: list[Gap] = []
        self.samples = 0
        self._next_index = 0
        self._prev: tuple[int | None, int | None, float, int] | None = None
        self._sensor_next = 0.0  # sensor time the next sample should have, s
        self._last_utc = -np.inf

    def add(self, n: int, arrival_utc_s: float, counter: int | None = None,
            timestamp_ticks: int | None = None) -> PacketTiming:
        """Places a packet of ``n`` samples that arrived at ``arrival_utc_s`` (epoch s)."""
        if n < 1:
            raise InputDataError("a packet has at least one sample", value=n)
        missing, source = self._missing(n, arrival_utc_s, counter, timestamp_ticks)
        reset = source == "reset"
        first = self._next_index + missing
        sensor_first = self._sensor_next + missing * self.period_s
        if self.tick_s is not None and timestamp_ticks is not None and not reset:
            sensor_first = self._sensor_next + self._ts_step_s(timestamp_ticks, arrival_utc_s)
        sensor: FloatArray = sensor_first + self.period_s * np.arange(n, dtype=np.float64)
        if reset:
            self.clock = ClockMapper()  # a restarted sensor clock: map afresh
        self.clock.update(float(sensor[-1]), arrival_utc_s)
        utc = self.clock.to_utc(sensor)
        if utc[0] <= self._last_utc:  # a refit never moves a sample before its predecessor
            utc = utc + (self._last_utc - utc[0] + 1e-6)
        gap = None
        if self._prev is not None and (missing or reset):
            gap = Gap(index=self._next_index, missing=missing, duration_s=missing * self.period_s,
                      utc_before_s=float(self._last_utc), utc_after_s=float(utc[0]),
                      source=source)
            self.gaps.append(gap)
        self._prev = (counter, timestamp_ticks, arrival_utc_s, n)
        self._next_index = first + n
        self._sensor_next = float(sensor[-1]) + self.period_s
        self._last_utc = float(utc[-1])
        self.samples += n
        return PacketTiming(first_index=first, sensor_s=sensor, utc_s=utc, gap=gap)

    def _ts_step_s(self, ticks: int | None, arrival: float) -> float:
        """Sensor time from the expected next sample to this packet's first sample, s."""
        if self._prev is None or self._prev[1] is None or self.tick_s is None or ticks is None:
            return 0.0
        prev_ticks, prev_arrival, prev_n = self._prev[1], self._prev[2], self._prev[3]
        modulus = 1 << self.timestamp_bits
        approx = (arrival - prev_arrival) / self.tick_s
        step = resolve_wrap((ticks - prev_ticks) % modulus, modulus, approx)
        return step * self.tick_s - prev_n * self.period_s

    def _missing(self, n: int, arrival: float, counter: int | None,
                 ticks: int | None) -> tuple[int, GapSource]:
        """Samples missing before this packet (≥ 0) and the evidence for it."""
        if self._prev is None:
            return 0, "counter"
        prev_counter, prev_ticks, prev_arrival, prev_n = self._prev
        elapsed = arrival - prev_arrival
        if self.counter_bits is not None and counter is not None and prev_counter is not None:
            modulus = 1 << self.counter_bits
            raw = (counter - prev_counter) % modulus
            if raw > modulus - 4 * max(n, prev_n) and elapsed < modulus * self.period_s / 2:
                return 0, "reset"  # a small step backwards: duplicate or restarted counter
            step = resolve_wrap(raw, modulus, elapsed / self.period_s)
            if step < prev_n:
                return 0, "reset"
            return step - prev_n, "counter"
        if self.tick_s is not None and ticks is not None and prev_ticks is not None:
            step_s = self._ts_step_s(ticks, arrival)
            if abs(step_s + prev_n * self.period_s - elapsed) > (
                    TIMESTAMP_TOLERANCE_S + 0.05 * elapsed) or step_s < -self.period_s / 2:
                return 0, "reset"  # the sensor clock disagrees with arrival: it restarted
            return max(round(step_s / self.period_s), 0), "timestamp"
        silence = elapsed - n * self.period_s
        if silence > self.arrival_gap_s:
            return max(round(elapsed / self.period_s) - n, 1), "arrival"
        return 0, "arrival"
