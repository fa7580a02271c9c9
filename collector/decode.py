"""Pure decoders: one notification's bytes → samples in SI units.

A :class:`PacketDecoder` is built once from a :class:`~collector.profiles.DeviceProfile`
and then turns each packet into a :class:`DecodedPacket`. Malformed packets (wrong
length, bad header, impossible values) raise :class:`~spinewatch.errors.DecodeError`
and nothing else; they never turn into samples.

Sensors that cut a byte stream into notifications at arbitrary places (WitMotion)
have ``packet.stream_sync``; :class:`FrameAssembler` re-cuts their frames.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from collector.profiles import UNIT_TO_SI, DeviceProfile
from spinewatch.errors import DecodeError

FloatArray = NDArray[np.float64]

#: Bytes a :class:`FrameAssembler` keeps at most while waiting for the rest of a frame.
MAX_PENDING_BYTES: Final = 4096


@dataclass(frozen=True, slots=True)
class DecodedPacket:
    """The samples of one packet, in SI units, in the sensor's order.

    Attributes:
        acc_mps2: specific force, m/s², shape (n, 3).
        gyr_rads: angular rate, rad/s, shape (n, 3).
        mag_ut: magnetic field, µT, shape (n, 3), or None.
        angle_rad: the sensor's own orientation angles, rad, shape (n, 3), or None.
        counter: sample counter of the first sample (wraps), or None.
        timestamp_ticks: sensor clock at the first sample, in ticks (wraps), or None.
        rate_hz: sample rate the packet declares, or None.
        battery_pct: battery level 0-100, or None.
        worn: the wear (skin contact) flag, or None.
        low_battery: the sensor's low-battery flag, or None.
        header: every header field by name (raw values).
    """

    acc_mps2: FloatArray
    gyr_rads: FloatArray
    mag_ut: FloatArray | None
    angle_rad: FloatArray | None
    counter: int | None
    timestamp_ticks: int | None
    rate_hz: float | None
    battery_pct: int | None
    worn: bool | None
    low_battery: bool | None
    header: Mapping[str, int | float]

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.acc_mps2.shape[0])


@dataclass(frozen=True, slots=True)
class _Check:
    index: int
    name: str
    equals: int | None
    allowed: frozenset[int]
    lo: float | None
    hi: float | None


class PacketDecoder:
    """Decodes the data packets of one profile. Stateless after construction.

    Args:
        profile: a validated device profile.
    """

    def __init__(self, profile: DeviceProfile) -> None:
        p = profile.packet
        self.profile = profile
        self.name = profile.name
        self._header = struct.Struct(p.struct_format)
        self._names = tuple(f.name for f in p.header)
        self._index = {n: i for i, n in enumerate(self._names)}
        self._checks = tuple(
            _Check(i, f.name, f.equals, frozenset(f.allowed), f.min, f.max)
            for i, f in enumerate(p.header)
            if f.equals is not None or f.allowed or f.min is not None or f.max is not None
        )
        self._hs = p.header_size
        self._ss = p.sample_size
        self._fixed = p.samples_per_packet
        self._max_n = p.max_samples
        self._count = self._index.get(p.count_field) if p.count_field else None
        self._dtype = np.dtype(p.sample_type).newbyteorder("<" if p.byte_order == "little" else ">")
        self._float = p.sample_type.startswith("f")
        self._planar = p.layout == "planar"
        self._nch = len(p.channels)
        self._chan: dict[str, int] = {c.name: i for i, c in enumerate(p.channels)}
        self._base = np.array([c.si_factor for c in p.channels])
        self._scale_idx = tuple(
            None if c.scale_field is None else self._index[c.scale_field] for c in p.channels
        )
        self._scaled = any(i is not None for i in self._scale_idx)
        limits = [
            np.inf if c.max_abs is None else c.max_abs * UNIT_TO_SI[c.name][c.unit]
            for c in p.channels
        ]
        self._limit = np.array(limits)
        self._has_limit = bool(np.isfinite(self._limit).any())
        perm = np.argmax(np.abs(profile.axes), axis=1)
        self._perm = perm
        self._sign = profile.axes[np.arange(3), perm]
        self._identity_axes = bool(np.array_equal(profile.axes, np.eye(3)))
        self._roles = p

    def _sample_count(self, size: int, header: tuple[int | float, ...]) -> int:
        if self._count is not None:
            n = int(header[self._count])
        elif self._fixed is not None:
            n = self._fixed
        else:
            n = (size - self._hs) // self._ss
        if not 1 <= n <= self._max_n or self._hs + n * self._ss != size:
            raise DecodeError(
                f"{size} bytes do not hold a whole number (1-{self._max_n}) of samples",
                kind="length", where=self.name, value=size,
                advice=f"header {self._hs} B + n x {self._ss} B per sample",
            )
        return n

    def decode(self, data: bytes | bytearray | memoryview) -> DecodedPacket:
        """Decodes one packet.

        Raises:
            DecodeError: wrong length, a header field out of its allowed values, or
                samples that are not finite or exceed the channel's ``max_abs``.
        """
        buf = bytes(data)
        size = len(buf)
        if size < self._hs + self._ss:
            raise DecodeError(f"packet of {size} bytes is too short", kind="length",
                              where=self.name, value=size)
        header = self._header.unpack_from(buf)
        for c in self._checks:
            v = header[c.index]
            if ((c.equals is not None and v != c.equals) or (c.allowed and v not in c.allowed)
                    or (c.lo is not None and v < c.lo) or (c.hi is not None and v > c.hi)):
                raise DecodeError(f"header field {c.name}={v} is not allowed", kind="header",
                                  where=self.name, value=v)
        n = self._sample_count(size, header)
        raw = np.frombuffer(buf, self._dtype, count=n * 3 * self._nch, offset=self._hs)
        if self._float and not np.isfinite(raw).all():
            raise DecodeError("sample values are not finite", kind="value", where=self.name)
        if self._planar:
            values = raw.reshape(self._nch, n, 3).transpose(1, 0, 2).astype(np.float64)
        else:
            values = raw.reshape(n, self._nch, 3).astype(np.float64)
        factors = self._base
        if self._scaled:
            factors = factors * [1.0 if i is None else header[i] for i in self._scale_idx]
        values *= factors[None, :, None]
        if self._has_limit:
            peak = np.abs(values).max(axis=(0, 2))
            if not (peak <= self._limit).all():  # NaN compares False
                raise DecodeError("sample values are not finite or exceed the sensor's range",
                                  kind="value", where=self.name)
        return self._packet(values, header)

    def _channel(self, values: FloatArray, name: str, axes: bool) -> FloatArray | None:
        i = self._chan.get(name)
        if i is None:
            return None
        out = values[:, i, :]
        if axes and not self._identity_axes:
            out = out[:, self._perm] * self._sign
        return np.ascontiguousarray(out)

    def _packet(self, values: FloatArray, header: tuple[int | float, ...]) -> DecodedPacket:
        p = self._roles
        idx = self._index

        def field(name: str | None) -> int | None:
            return None if name is None else int(header[idx[name]])

        flags = field(p.flags_field)
        return DecodedPacket(
            acc_mps2=self._channel(values, "acc", True),  # type: ignore[arg-type]
            gyr_rads=self._channel(values, "gyr", True),  # type: ignore[arg-type]
            mag_ut=self._channel(values, "mag", True),
            angle_rad=self._channel(values, "angle", False),
            counter=field(p.counter_field),
            timestamp_ticks=field(p.timestamp.field if p.timestamp else None),
            rate_hz=None if p.rate_field is None else float(header[idx[p.rate_field]]),
            battery_pct=field(p.battery_field),
            worn=None if flags is None or p.wear_bit is None or p.wear_bit < 0
            else bool(flags >> p.wear_bit & 1),
            low_battery=None if flags is None or p.low_battery_bit is None
            or p.low_battery_bit < 0 else bool(flags >> p.low_battery_bit & 1),
            header=dict(zip(self._names, header, strict=True)),
        )


class FrameAssembler:
    """Re-cuts fixed-length frames from notifications that split or join them.

    Frames start with the profile's ``stream_sync`` bytes; bytes before a sync
    marker are dropped and counted in :attr:`discarded_bytes`. At most
    :data:`MAX_PENDING_BYTES` are held. For profiles without ``stream_sync``
    every notification is one packet.
    """

    def __init__(self, profile: DeviceProfile) -> None:
        self.sync = profile.packet.stream_sync
        self.frame_length = profile.packet.frame_length or 0
        self.discarded_bytes = 0
        self._buf = bytearray()

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """The whole frames completed by ``data``, in order."""
        if self.sync is None:
            return [bytes(data)]
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        while True:
            at = buf.find(self.sync)
            if at < 0:
                keep = len(self.sync) - 1
                self._drop(max(len(buf) - keep, 0))
                break
            self._drop(at)
            if len(buf) < self.frame_length:
                break
            frames.append(bytes(buf[: self.frame_length]))
            del buf[: self.frame_length]
        if len(buf) > MAX_PENDING_BYTES:
            self._drop(len(buf))
        return frames

    def reset(self) -> None:
        """Forgets a partial frame (call after a reconnect); counts it as discarded."""
        self._drop(len(self._buf))

    def _drop(self, count: int) -> None:
        if count:
            del self._buf[:count]
            self.discarded_bytes += count
