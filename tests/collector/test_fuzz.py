"""Fuzzing: 100,000+ random and mutated packets per decoder; only DecodeError escapes."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from collector_factories import PROFILE_NAMES, make_packet

from collector.decode import DecodedPacket, FrameAssembler, PacketDecoder
from collector.profiles import load_profile
from spinewatch.errors import DecodeError

PACKETS_PER_DECODER = 100_000


def fuzz_packets(name: str, count: int, seed: int) -> tuple[list[bytes], list[bytes]]:
    """(fuzzed, valid): random bytes, byte-mutated, truncated and extended valid packets."""
    rng = np.random.default_rng(seed)
    valid = [make_packet(name, seed=i, counter=i) if name == "spinewatch_ref"
             else make_packet(name, seed=i) for i in range(64)]
    longest = max(len(v) for v in valid)
    out: list[bytes] = []
    # Random bytes of random length (0 to twice a packet).
    lengths = rng.integers(0, 2 * longest + 1, count // 4)
    noise = rng.integers(0, 256, (len(lengths), 2 * longest), dtype=np.uint8)
    out += [noise[i, :k].tobytes() for i, k in enumerate(lengths)]
    # Valid packets with 1-4 random bytes replaced (keeps the length: reaches deep checks).
    base = np.frombuffer(b"".join(valid), np.uint8).reshape(len(valid), -1)
    mutated = base[np.arange(count // 2) % len(valid)].copy()
    rows = np.repeat(np.arange(len(mutated)), 4)
    cols = rng.integers(0, base.shape[1], rows.size)
    keep = (np.arange(rows.size) % 4) < np.repeat(rng.integers(1, 5, len(mutated)), 4)
    mutated[rows[keep], cols[keep]] = rng.integers(0, 256, int(keep.sum()), dtype=np.uint8)
    out += [row.tobytes() for row in mutated]
    # Truncated, extended and spliced valid packets.
    cuts = rng.integers(0, base.shape[1] + 1, count - len(out))
    for i, cut in enumerate(cuts.tolist()):
        v = valid[i % len(valid)]
        out.append([v[:cut], v + v[:cut], v[cut:] + v[:cut]][i % 3])
    return out, valid


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_fuzzed_packets_raise_only_decode_error(name: str) -> None:
    decoder = PacketDecoder(load_profile(name))
    fuzzed, valid = fuzz_packets(name, PACKETS_PER_DECODER, seed=hash(name) % 1000)
    assert len(fuzzed) >= PACKETS_PER_DECODER
    rejected = accepted = 0
    for data in fuzzed:
        try:
            p = decoder.decode(data)
        except DecodeError:
            rejected += 1
            continue
        accepted += 1
        check_packet(p)
    assert rejected > PACKETS_PER_DECODER // 4  # every random-length packet of a wrong size
    assert accepted + rejected == len(fuzzed)
    for data in valid:  # the decoder still works after the barrage
        check_packet(decoder.decode(data))


def check_packet(p: DecodedPacket) -> None:
    n = p.n
    if not 1 <= n <= 255:
        raise AssertionError(n)
    for arr in (p.acc_mps2, p.gyr_rads, p.mag_ut, p.angle_rad):
        if arr is not None and (arr.shape != (n, 3) or not np.isfinite(arr).all()):
            raise AssertionError(arr)


def test_fuzzed_stream_through_the_frame_assembler() -> None:
    profile = load_profile("witmotion_bwt901ble")
    decoder = PacketDecoder(profile)
    asm = FrameAssembler(profile)
    fuzzed, _ = fuzz_packets(profile.name, 20_000, seed=7)
    frames = 0
    for data in fuzzed:
        for frame in asm.feed(data):
            frames += 1
            assert len(frame) == 20 and frame[:2] == b"\x55\x61"
            with contextlib.suppress(DecodeError):
                decoder.decode(frame)
    assert frames > 1000
