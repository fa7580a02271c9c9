"""``spinewatch scan``: supported sensors nearby, with profile, address, RSSI and battery."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from collector.bumble_backend import VirtualAir
from collector.discovery import FoundSensor, scan
from collector.profiles import builtin_profiles, load_profile
from collector.virtual_run import virtual_name
from collector.virtual_sensor import ArraySource, VirtualClock, VirtualSensor


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="list supported BLE sensors nearby",
        description="Scan for BLE sensors that match a device profile (firmware_config/) and "
        "print profile, address, RSSI and battery (when advertised). --virtual scans a "
        "virtual radio with one virtual sensor per profile (no hardware needed).",
    )
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan time, s")
    p.add_argument("--virtual", action="store_true", help="scan virtual sensors instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = asyncio.run(_virtual_scan(args.timeout) if args.virtual else scan(args.timeout))
    print(format_table(found))
    return 0


def format_table(found: list[FoundSensor]) -> str:
    if not found:
        return "no supported sensor found"
    lines = [f"{'profile':22s} {'address':20s} {'rssi':>5s} {'battery':>8s}  name"]
    for f in found:
        rssi = "" if f.rssi_dbm is None else f"{f.rssi_dbm}"
        battery = "" if f.battery_pct is None else f"{f.battery_pct} %"
        lines.append(f"{f.profile:22s} {f.address:20s} {rssi:>5s} {battery:>8s}  {f.name or ''}")
    return "\n".join(lines)


async def _virtual_scan(timeout_s: float) -> list[FoundSensor]:
    import numpy as np

    air = VirtualAir()
    clock = VirtualClock()
    sensors = []
    for i, name in enumerate(builtin_profiles()):
        profile = load_profile(name)
        source = ArraySource(np.zeros((1, 3)), np.zeros((1, 3)))
        sensor = VirtualSensor(air, profile, source, clock, address=f"F0:00:00:00:01:{i:02X}",
                               name=virtual_name(profile))
        await sensor.start()
        sensors.append(sensor)
    try:
        return await scan(min(timeout_s, 1.0), backend=air.scanner_backend())
    finally:
        for sensor in sensors:
            await sensor.stop()
