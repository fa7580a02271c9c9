"""The C header from the reference profile: a C program packs samples, Python decodes them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from collector.cheader import generate_c_header
from collector.decode import PacketDecoder
from collector.profiles import load_profile
from spinewatch.errors import DeviceProfileError

G = 9.80665

C_PROGRAM = r"""
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "spinewatch_ref_profile.h"

int main(void) {
    spinewatch_ref_packet_t pkt;
    memset(&pkt, 0, sizeof pkt);
    const int n = 5;
    pkt.header.type = SPINEWATCH_REF_TYPE_VALUE;
    pkt.header.n = n;
    pkt.header.counter = 65533;
    pkt.header.timestamp_us = 4294000000u;
    pkt.header.rate_hz = 100;
    pkt.header.battery_pct = 42;
    pkt.header.flags = SPINEWATCH_REF_FLAG_WORN;
    pkt.header.acc_range_g = 4;
    pkt.header.gyro_range_125dps = 16;
    for (int i = 0; i < n; i++) {
        double acc_g[3] = {0.1 * i, -0.5, 1.0 - 0.2 * i};
        double gyr_dps[3] = {100.0 * i, -250.5, 3.0};
        double a = SPINEWATCH_REF_ACC_SCALE * pkt.header.acc_range_g;
        double g = SPINEWATCH_REF_GYR_SCALE * pkt.header.gyro_range_125dps;
        pkt.samples[i].ax = (int16_t)lround(acc_g[0] / a);
        pkt.samples[i].ay = (int16_t)lround(acc_g[1] / a);
        pkt.samples[i].az = (int16_t)lround(acc_g[2] / a);
        pkt.samples[i].gx = (int16_t)lround(gyr_dps[0] / g);
        pkt.samples[i].gy = (int16_t)lround(gyr_dps[1] / g);
        pkt.samples[i].gz = (int16_t)lround(gyr_dps[2] / g);
    }
    const unsigned char *bytes = (const unsigned char *)&pkt;
    for (size_t i = 0; i < SPINEWATCH_REF_PACKET_SIZE(n); i++) printf("%02x", bytes[i]);
    printf("\n");
    for (int i = 0; i < n; i++) {
        double a = SPINEWATCH_REF_ACC_SCALE * pkt.header.acc_range_g;
        double g = SPINEWATCH_REF_GYR_SCALE * pkt.header.gyro_range_125dps;
        printf("%.9f %.9f %.9f %.9f %.9f %.9f\n",
               pkt.samples[i].ax * a, pkt.samples[i].ay * a, pkt.samples[i].az * a,
               pkt.samples[i].gx * g, pkt.samples[i].gy * g, pkt.samples[i].gz * g);
    }
    return 0;
}
"""


def test_header_mentions_uuids_structs_and_scales() -> None:
    text = generate_c_header(load_profile("spinewatch_ref"))
    assert '"53570002-8c1e-4b7a-9f5d-2a6e0c3b1d40"' in text
    assert "spinewatch_ref_sample_t" in text and "#pragma pack(push, 1)" in text
    assert "SPINEWATCH_REF_ACC_SCALE" in text and "haptic: 10 {strength_pct:u8}" in text


def test_planar_profile_has_no_c_header() -> None:
    with pytest.raises(DeviceProfileError, match="interleaved"):
        generate_c_header(load_profile("movesense_gsp"))


def test_c_program_packs_what_the_python_decoder_reads(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    profile = load_profile("spinewatch_ref")
    (tmp_path / "spinewatch_ref_profile.h").write_text(generate_c_header(profile))
    (tmp_path / "pack.c").write_text(C_PROGRAM)
    exe = tmp_path / "pack"
    subprocess.run([gcc, "-std=c11", "-Wall", "-Werror", "-O1", "-o", str(exe),
                    str(tmp_path / "pack.c"), "-lm"], check=True, capture_output=True)
    lines = subprocess.run([str(exe)], check=True, capture_output=True,
                           text=True).stdout.split("\n")
    packet = PacketDecoder(profile).decode(bytes.fromhex(lines[0]))
    expected = np.array([[float(v) for v in ln.split()] for ln in lines[1:6]])
    np.testing.assert_allclose(packet.acc_mps2, expected[:, :3] * G, atol=1e-6)
    np.testing.assert_allclose(packet.gyr_rads, np.deg2rad(expected[:, 3:]), atol=1e-8)
    assert (packet.n, packet.counter, packet.timestamp_ticks) == (5, 65533, 4294000000)
    assert (packet.battery_pct, packet.worn, packet.rate_hz) == (42, True, 100)
