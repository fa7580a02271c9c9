"""From notifications to timed samples, and from timed samples to a recording.

:class:`StreamProcessor` is pure (no I/O): notification bytes and their arrival
time in, :class:`LiveChunk` s out. Malformed packets are counted per kind and
logged once per kind; they never become samples. :class:`RecordingSink` writes
what the processor produced: the samples (the CSV format ``spinewatch analyze``
reads, ``t`` in UTC epoch seconds), a ``.packets.csv`` sidecar with each
packet's sensor and host timestamps, and a ``.gaps.csv`` sidecar.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

import numpy as np

from collector.decode import DecodedPacket, FrameAssembler, PacketDecoder
from collector.profiles import DeviceProfile
from collector.timing import Gap, SampleTimeline
from processing.types import FloatArray, ImuSamples
from spinewatch.errors import DecodeError, RecordingError
from spinewatch.recording_writer import CsvRecordingWriter

logger = logging.getLogger(__name__)

PACKET_COLUMNS = ("first_row,n,counter,sensor_ticks,sensor_s,host_arrival_utc_s,first_utc_s,"
                  "battery_pct,worn\n")
GAP_COLUMNS = "index,missing,duration_s,utc_before_s,utc_after_s,source\n"
#: Samples gathered before they are written to the recording (also written on flush/close).
BATCH_SAMPLES: Final = 500


@dataclass(frozen=True, slots=True)
class LiveChunk:
    """One packet's samples, timed, for the recording and live processing.

    Attributes:
        samples: ``t_s`` in UTC epoch seconds, acc m/s², gyro rad/s; shape (n,), (n, 3).
        mag_ut: µT, shape (n, 3), or None.
        first_index: continuous index of the first sample.
        arrival_utc_s: host arrival time of the notification (epoch s).
        packet: the decoded packet (counter, sensor timestamp, battery, wear flag).
        gap: the gap just before this chunk, or None.
    """

    samples: ImuSamples
    mag_ut: FloatArray | None
    first_index: int
    arrival_utc_s: float
    sensor_s: float
    packet: DecodedPacket
    gap: Gap | None


@dataclass(slots=True)
class StreamCounts:
    """What the processor has seen."""

    notifications: int = 0
    packets: int = 0
    samples: int = 0
    malformed: dict[str, int] = field(default_factory=dict)

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed.values())


class StreamProcessor:
    """Decodes and times one sensor's notifications, in arrival order.

    Args:
        profile: the sensor's profile.
        rate_hz: the configured sample rate (the period for timing).
    """

    def __init__(self, profile: DeviceProfile, rate_hz: float) -> None:
        p = profile.packet
        self.profile = profile
        self.decoder = PacketDecoder(profile)
        self.assembler = FrameAssembler(profile)
        self.timeline = SampleTimeline(
            1.0 / rate_hz,
            counter_bits=p.counter_bits if p.counter_field else None,
            tick_s=p.timestamp.tick_s if p.timestamp else None,
            timestamp_bits=p.timestamp.bits if p.timestamp else 32,
        )
        self.counts = StreamCounts()

    def on_reconnect(self) -> None:
        """A new connection: a frame split across the old one can never complete."""
        self.assembler.reset()

    def process(self, data: bytes, arrival_utc_s: float) -> list[LiveChunk]:
        """The chunks in one notification (none if it was malformed or a partial frame)."""
        self.counts.notifications += 1
        out = []
        for frame in self.assembler.feed(data):
            try:
                packet = self.decoder.decode(frame)
            except DecodeError as exc:
                self._malformed(exc)
                continue
            timing = self.timeline.add(packet.n, arrival_utc_s, counter=packet.counter,
                                       timestamp_ticks=packet.timestamp_ticks)
            if timing.gap is not None:
                g = timing.gap
                logger.warning("%s: gap of %d samples (%.3f s) before sample %d, from %s",
                               self.profile.name, g.missing, g.duration_s, g.index, g.source)
            self.counts.packets += 1
            self.counts.samples += packet.n
            out.append(LiveChunk(
                samples=ImuSamples(timing.utc_s, packet.acc_mps2, packet.gyr_rads),
                mag_ut=packet.mag_ut, first_index=timing.first_index,
                arrival_utc_s=arrival_utc_s, sensor_s=float(timing.sensor_s[0]), packet=packet,
                gap=timing.gap))
        return out

    def _malformed(self, exc: DecodeError) -> None:
        seen = self.counts.malformed.get(exc.kind, 0)
        self.counts.malformed[exc.kind] = seen + 1
        if seen == 0:
            logger.warning("%s: malformed packet (%s): %s; further ones of this kind are "
                           "only counted", self.profile.name, exc.kind, exc.message)


class RecordingSink:
    """Writes chunks to ``path`` (CSV) and its ``.packets.csv`` / ``.gaps.csv`` sidecars."""

    def __init__(self, path: Path, *, with_magnetometer: bool) -> None:
        if path.suffix.lower() != ".csv":
            raise RecordingError("the collector writes CSV recordings", where=str(path),
                                 advice="give a file name ending in .csv")
        self.path = path
        self.writer = CsvRecordingWriter(path, with_magnetometer=with_magnetometer)
        self._packets: IO[str] | None = None
        self._gaps: IO[str] | None = None
        self._pending: list[LiveChunk] = []
        self._pending_samples = 0
        self.rows = 0

    @staticmethod
    def sidecar(path: Path, kind: str) -> Path:
        return path.with_name(f"{path.stem}.{kind}.csv")

    def open(self) -> RecordingSink:
        self.writer.open()
        try:
            self._packets = open(self.sidecar(self.path, "packets"), "w", encoding="utf-8")  # noqa: SIM115
            self._gaps = open(self.sidecar(self.path, "gaps"), "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise RecordingError(f"cannot write: {exc.strerror or exc}",
                                 where=str(self.path)) from exc
        self._packets.write(PACKET_COLUMNS)
        self._gaps.write(GAP_COLUMNS)
        return self

    def write(self, chunk: LiveChunk) -> None:
        """Queues a chunk; rows reach the file in batches (:data:`BATCH_SAMPLES`) or on flush."""
        self._pending.append(chunk)
        self._pending_samples += chunk.packet.n
        if self._pending_samples >= BATCH_SAMPLES:
            self._write_pending()
        p = chunk.packet
        if self._packets is not None:
            self._packets.write(
                f"{self.rows},{p.n},{_opt(p.counter)},{_opt(p.timestamp_ticks)},"
                f"{chunk.sensor_s!r},{chunk.arrival_utc_s!r},{float(chunk.samples.t_s[0])!r},"
                f"{_opt(p.battery_pct)},{_opt(None if p.worn is None else int(p.worn))}\n")
        if chunk.gap is not None and self._gaps is not None:
            g = chunk.gap
            self._gaps.write(f"{g.index},{g.missing},{g.duration_s!r},{g.utc_before_s!r},"
                             f"{g.utc_after_s!r},{g.source}\n")
        self.rows += p.n

    def _write_pending(self) -> None:
        if not self._pending:
            return
        chunks, self._pending, self._pending_samples = self._pending, [], 0
        samples = ImuSamples(np.concatenate([c.samples.t_s for c in chunks]),
                             np.concatenate([c.samples.acc_mps2 for c in chunks]),
                             np.concatenate([c.samples.gyr_rads for c in chunks]))
        mag = None
        if self.writer.with_magnetometer:
            mag = np.concatenate([c.mag_ut if c.mag_ut is not None else np.full((c.packet.n, 3),
                                  np.nan) for c in chunks])
        self.writer.write(samples, mag)

    def flush(self) -> None:
        self._write_pending()
        self.writer.flush()
        for f in (self._packets, self._gaps):
            if f is not None:
                f.flush()

    def close(self) -> None:
        self._write_pending()
        self.writer.close()
        for f in (self._packets, self._gaps):
            if f is not None:
                f.close()
        self._packets = self._gaps = None


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)
