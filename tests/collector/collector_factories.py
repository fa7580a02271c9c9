"""Test factories: profiles, sample blocks and packets with keyword overrides."""

from __future__ import annotations

from typing import Any

import numpy as np

from collector.encode import SampleBlock, encode_packet
from collector.profiles import DeviceProfile, builtin_profiles, load_profile

PROFILE_NAMES = tuple(builtin_profiles())

REF_HEADER: dict[str, int | float] = {
    "counter": 0, "timestamp_us": 0, "rate_hz": 100, "battery_pct": 90, "flags": 1,
    "acc_range_g": 8, "gyro_range_125dps": 8,
}


def samples_per_packet(profile: DeviceProfile) -> int:
    return profile.packet.samples_per_packet or min(4, profile.packet.max_samples)


def make_block(profile: DeviceProfile, n: int | None = None, seed: int = 0,
               **header: Any) -> SampleBlock:
    """Plausible samples (about 1 g, slow rotation) for ``profile``."""
    rng = np.random.default_rng(seed)
    n = samples_per_packet(profile) if n is None else n
    acc = np.array([0.0, 0.0, 9.81]) + rng.normal(0, 2.0, (n, 3))
    gyr = rng.normal(0, 0.5, (n, 3))
    mag = rng.normal(0, 30, (n, 3))
    angle = rng.uniform(-1.5, 1.5, (n, 3))
    head = dict(REF_HEADER) if profile.name == "spinewatch_ref" else {}
    head.update(header)
    return SampleBlock(acc, gyr, mag, angle, head)


def make_packet(name: str, n: int | None = None, seed: int = 0, **header: Any) -> bytes:
    profile = load_profile(name)
    return encode_packet(profile, make_block(profile, n, seed, **header))
