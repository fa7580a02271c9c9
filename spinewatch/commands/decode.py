"""``spinewatch decode --profile NAME HEX...``: what a sensor's packets decode to.

For people debugging a sensor: each HEX argument is one notification (spaces,
colons and ``0x`` are ignored). Prints the header fields and every sample in SI
units and in the sensor's units. ``--c-header`` prints the profile's C header
instead; ``--list`` lists the shipped profiles.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from collector.cheader import generate_c_header
from collector.decode import DecodedPacket, FrameAssembler, PacketDecoder
from collector.profiles import builtin_profiles, load_profile
from spinewatch.errors import DecodeError, InputDataError

EXIT_OK = 0
EXIT_MALFORMED = 2


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "decode",
        help="decode sensor packets (hex) with a device profile",
        description="Print what BLE notifications from a sensor decode to, using a device "
        "profile from firmware_config/ (or a .toml path). Malformed packets are reported "
        "and make the exit code 2.",
    )
    p.add_argument("--profile", help="profile name (see --list) or .toml path")
    p.add_argument("hex", nargs="*", metavar="HEX", help="one notification's bytes in hex")
    p.add_argument("--list", action="store_true", help="list the shipped profiles")
    p.add_argument("--c-header", action="store_true", help="print the profile's C header")
    p.set_defaults(func=run)


def parse_hex(text: str) -> bytes:
    """Bytes from hex text; ``0x``, spaces, colons, dashes and commas are ignored."""
    clean = re.sub(r"0x|[\s:,\-]", "", text.lower())
    try:
        return bytes.fromhex(clean)
    except ValueError as exc:
        raise InputDataError("not hex bytes", value=text,
                             advice="give an even number of hex digits, e.g. 01a2ff") from exc


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name in builtin_profiles():
            print(f"{name:22s} {load_profile(name).title}")
        return EXIT_OK
    if not args.profile:
        raise InputDataError("--profile is required", advice="see spinewatch decode --list")
    profile = load_profile(args.profile)
    if args.c_header:
        print(generate_c_header(profile), end="")
        return EXIT_OK
    if not args.hex:
        raise InputDataError("no packets given", advice="give one or more HEX arguments")
    decoder = PacketDecoder(profile)
    assembler = FrameAssembler(profile)
    bad = 0
    index = 0
    for text in args.hex:
        for frame in assembler.feed(parse_hex(text)):
            index += 1
            try:
                packet = decoder.decode(frame)
            except DecodeError as exc:
                bad += 1
                print(f"packet {index}: malformed ({exc.kind}): {exc.message} "
                      f"[{len(frame)} bytes: {frame.hex()}]")
                continue
            print(describe(index, packet))
    if assembler.discarded_bytes:
        print(f"{assembler.discarded_bytes} bytes outside frames were skipped")
        bad += 1
    return EXIT_MALFORMED if bad else EXIT_OK


def describe(index: int, packet: DecodedPacket) -> str:
    """One packet as text: header line, then one line per sample."""
    head = " ".join(f"{k}={v}" for k, v in packet.header.items())
    lines = [f"packet {index}: {packet.n} sample(s)" + (f"; {head}" if head else "")]
    extra = []
    if packet.worn is not None:
        extra.append(f"worn={'yes' if packet.worn else 'no'}")
    if packet.low_battery is not None:
        extra.append(f"low_battery={'yes' if packet.low_battery else 'no'}")
    if extra:
        lines[0] += "; " + " ".join(extra)
    for i in range(packet.n):
        acc = packet.acc_mps2[i]
        gyr = packet.gyr_rads[i]
        parts = [
            f"  [{i}] acc {_xyz(acc)} m/s² ({_xyz(acc / 9.80665)} g)",
            f"gyr {_xyz(gyr)} rad/s ({_xyz(gyr * 180 / math.pi)} °/s)",
        ]
        if packet.mag_ut is not None:
            parts.append(f"mag {_xyz(packet.mag_ut[i])} µT")
        if packet.angle_rad is not None:
            parts.append(f"angle {_xyz(packet.angle_rad[i] * 180 / math.pi)} °")
        lines.append(", ".join(parts))
    return "\n".join(lines)


def _xyz(v: Any) -> str:
    return "(" + ", ".join(f"{float(x):.4g}" for x in v) + ")"
