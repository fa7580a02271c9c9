"""Pure encoders: samples in SI units → a profile's packet bytes (the sensor's side).

The inverse of :mod:`collector.decode`, used by the virtual sensor, the tests and
the benchmarks. Values are rounded to the nearest raw step and clipped to the
sample type's range.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from collector.profiles import DeviceProfile
from spinewatch.errors import InputDataError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """Samples to put into one packet.

    Attributes:
        acc_mps2: m/s², shape (n, 3).
        gyr_rads: rad/s, shape (n, 3).
        mag_ut: µT, shape (n, 3), for profiles with a magnetometer (zeros if None).
        angle_rad: rad, shape (n, 3), for profiles with angles (zeros if None).
        header: header field values by name; unset fields take their ``equals``
            value, their smallest ``allowed`` value, their ``min``, or 0.
    """

    acc_mps2: FloatArray
    gyr_rads: FloatArray
    mag_ut: FloatArray | None = None
    angle_rad: FloatArray | None = None
    header: Mapping[str, int | float] = field(default_factory=dict)


def header_values(profile: DeviceProfile, given: Mapping[str, int | float]) -> list[int | float]:
    """Every header field's value, in packet order (see :class:`SampleBlock`)."""
    out: list[int | float] = []
    for f in profile.packet.header:
        if f.name in given:
            out.append(given[f.name])
        elif f.equals is not None:
            out.append(f.equals)
        elif f.allowed:
            out.append(min(f.allowed))
        elif f.min is not None:
            out.append(int(f.min))
        else:
            out.append(0)
    return out


def encode_packet(profile: DeviceProfile, block: SampleBlock) -> bytes:
    """One packet holding ``block``'s samples.

    Raises:
        InputDataError: arrays of the wrong shape, or a header value that does not fit.
    """
    p = profile.packet
    n = int(np.asarray(block.acc_mps2).shape[0])
    given = dict(block.header)
    if p.count_field is not None:
        given.setdefault(p.count_field, n)
    values = header_values(profile, given)
    index = {f.name: i for i, f in enumerate(p.header)}
    try:
        head = struct.pack(p.struct_format, *values)
    except struct.error as exc:
        raise InputDataError(f"header values do not fit: {exc}", value=values) from exc
    inverse = profile.axes.T  # the axes map is a signed permutation: its inverse is its transpose
    sources = {"acc": block.acc_mps2, "gyr": block.gyr_rads, "mag": block.mag_ut,
               "angle": block.angle_rad}
    dtype = np.dtype(p.sample_type).newbyteorder("<" if p.byte_order == "little" else ">")
    chans = []
    for c in p.channels:
        arr = sources[c.name]
        si = np.zeros((n, 3)) if arr is None else np.asarray(arr, dtype=np.float64)
        if si.shape != (n, 3):
            raise InputDataError(f"{c.name} must have shape ({n}, 3)", value=si.shape)
        if c.name != "angle":
            si = si @ inverse.T
        factor = c.si_factor * (1.0 if c.scale_field is None else values[index[c.scale_field]])
        raw = si / factor
        if p.sample_type.startswith("i"):
            info = np.iinfo(dtype)
            raw = np.clip(np.rint(raw), info.min, info.max)
        chans.append(raw.astype(dtype))
    stacked = np.stack(chans, axis=0 if p.layout == "planar" else 1)
    return head + stacked.tobytes()


def frame_length(profile: DeviceProfile, n: int) -> int:
    """Bytes of a packet with ``n`` samples."""
    return profile.packet.header_size + n * profile.packet.sample_size
