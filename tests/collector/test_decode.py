"""Decoders: byte vectors for every profile, malformed packets, stream re-framing."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from collector_factories import PROFILE_NAMES, make_block, make_packet

from collector.decode import FrameAssembler, PacketDecoder
from collector.encode import encode_packet
from collector.profiles import load_profile
from spinewatch.errors import DecodeError

G = 9.80665
DEG = math.pi / 180


def decoder(name: str) -> PacketDecoder:
    return PacketDecoder(load_profile(name))


def test_thingy52_raw_motion_byte_vector() -> None:
    # acc (1024, 0, -512) -> (1, 0, -0.5) g; gyro (32, -64, 0) -> (1, -2, 0) °/s;
    # compass (16, 0, 160) -> (1, 0, 10) µT.
    data = struct.pack("<9h", 1024, 0, -512, 32, -64, 0, 16, 0, 160)
    p = decoder("thingy52").decode(data)
    np.testing.assert_allclose(p.acc_mps2, [[G, 0, -0.5 * G]])
    np.testing.assert_allclose(p.gyr_rads, [[DEG, -2 * DEG, 0]])
    np.testing.assert_allclose(p.mag_ut, [[1, 0, 10]])
    assert p.counter is None and p.timestamp_ticks is None and p.battery_pct is None


def test_witmotion_frame_byte_vector() -> None:
    data = bytes.fromhex("5561") + struct.pack("<9h", 2048, 0, -2048, 16384, 0, 0, 16384, 0, -8192)
    p = decoder("witmotion_bwt901ble").decode(data)
    np.testing.assert_allclose(p.acc_mps2, [[G, 0, -G]])  # 2048/32768*16 = 1 g
    np.testing.assert_allclose(p.gyr_rads, [[1000 * DEG, 0, 0]])
    np.testing.assert_allclose(p.angle_rad, [[90 * DEG, 0, -45 * DEG]])


def test_movesense_gsp_planar_byte_vector() -> None:
    acc = [[0.0, 0.0, 9.81], [0.1, 0.2, 9.7]]
    gyr = [[10.0, 0.0, -10.0], [0.0, 5.0, 0.0]]
    data = bytes([2, 99]) + struct.pack("<I", 123456) + struct.pack("<12f", *np.ravel(acc),
                                                                   *np.ravel(gyr))
    p = decoder("movesense_gsp").decode(data)
    np.testing.assert_allclose(p.acc_mps2, acc, rtol=1e-6)
    np.testing.assert_allclose(p.gyr_rads, np.array(gyr) * DEG, rtol=1e-6)
    assert p.timestamp_ticks == 123456 and p.n == 2


def test_reference_sensor_byte_vector() -> None:
    header = struct.pack("<BBHIHBBBB", 1, 2, 65535, 4_000_000_000, 100, 57, 0b0101, 8, 16)
    samples = struct.pack("<12h", 4096, 0, 0, 0, 0, 32767, -4096, 0, 0, 0, 0, -32768)
    p = decoder("spinewatch_ref").decode(header + samples)
    np.testing.assert_allclose(p.acc_mps2, [[G, 0, 0], [-G, 0, 0]])  # 4096/32768*8 g
    assert p.gyr_rads[0, 2] == pytest.approx(32767 / 32768 * 2000 * DEG)
    assert p.gyr_rads[1, 2] == pytest.approx(-2000 * DEG)
    assert (p.counter, p.timestamp_ticks, p.rate_hz) == (65535, 4_000_000_000, 100)
    assert (p.battery_pct, p.worn, p.low_battery) == (57, True, True)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_encode_decode_round_trip(name: str) -> None:
    profile = load_profile(name)
    block = make_block(profile, seed=3)
    p = PacketDecoder(profile).decode(encode_packet(profile, block))
    np.testing.assert_allclose(p.acc_mps2, block.acc_mps2, atol=0.01)
    np.testing.assert_allclose(p.gyr_rads, block.gyr_rads, atol=0.002)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_wrong_length_is_a_length_error(name: str) -> None:
    good = make_packet(name)
    d = decoder(name)
    for bad in (good[:-1], good + b"\x00", b"", good[:3]):
        with pytest.raises(DecodeError) as info:
            d.decode(bad)
        assert info.value.kind in ("length", "header")


@pytest.mark.parametrize(
    ("name", "offset", "byte", "kind"),
    [
        ("witmotion_bwt901ble", 1, 0x71, "header"),     # a register reply, not data
        ("movesense_gsp", 0, 1, "header"),              # a command result, not data
        ("spinewatch_ref", 0, 7, "header"),             # unknown packet type
        ("spinewatch_ref", 1, 3, "length"),             # count says 3 samples, 4 present
        ("spinewatch_ref", 10, 101, "header"),          # battery 101 %
        ("spinewatch_ref", 12, 3, "header"),            # acc range 3 g does not exist
        ("spinewatch_ref", 11, 0x80, "header"),         # reserved flag bit set
    ],
)
def test_bad_header_is_rejected(name: str, offset: int, byte: int, kind: str) -> None:
    data = bytearray(make_packet(name))
    data[offset] = byte
    with pytest.raises(DecodeError) as info:
        decoder(name).decode(bytes(data))
    assert info.value.kind == kind


def test_impossible_float_values_are_rejected() -> None:
    good = bytearray(make_packet("movesense_gsp"))
    for value in (float("nan"), float("inf"), 1e9):
        data = good[:]
        data[6:10] = struct.pack("<f", value)
        with pytest.raises(DecodeError) as info:
            decoder("movesense_gsp").decode(bytes(data))
        assert info.value.kind == "value"


def test_reference_rate_out_of_range_is_rejected() -> None:
    with pytest.raises(DecodeError, match="rate_hz=20"):
        decoder("spinewatch_ref").decode(make_packet("spinewatch_ref", rate_hz=20))


def test_axes_map_remaps_and_encoder_inverts_it() -> None:
    profile = load_profile("thingy52")
    swapped = type(profile)(**{**{f: getattr(profile, f) for f in profile.__slots__},
                               "axes": np.array([[0.0, 1, 0], [-1, 0, 0], [0, 0, 1]])})
    block = make_block(swapped, seed=1)
    data = encode_packet(swapped, block)
    plain = PacketDecoder(profile).decode(data)
    np.testing.assert_allclose(plain.acc_mps2[:, 1], block.acc_mps2[:, 0], atol=0.01)
    np.testing.assert_allclose(plain.acc_mps2[:, 0], -block.acc_mps2[:, 1], atol=0.01)
    mapped = PacketDecoder(swapped).decode(data)
    np.testing.assert_allclose(mapped.acc_mps2, block.acc_mps2, atol=0.01)


def test_frame_assembler_resynchronises_split_and_joined_frames() -> None:
    profile = load_profile("witmotion_bwt901ble")
    frames = [make_packet(profile.name, seed=i) for i in range(5)]
    stream = b"\x00\x13" + frames[0] + frames[1][:7]
    asm = FrameAssembler(profile)
    assert asm.feed(stream) == [frames[0]]
    assert asm.feed(frames[1][7:] + frames[2] + b"\x55") == [frames[1], frames[2]]
    assert asm.feed(b"\x61" + frames[3][2:] + frames[4]) == [frames[3], frames[4]]
    assert asm.discarded_bytes == 2


def test_frame_assembler_bounds_what_it_holds() -> None:
    asm = FrameAssembler(load_profile("witmotion_bwt901ble"))
    assert asm.feed(bytes(10_000)) == []
    assert asm.discarded_bytes >= 10_000 - 1
    assert FrameAssembler(load_profile("thingy52")).feed(b"abc") == [b"abc"]
