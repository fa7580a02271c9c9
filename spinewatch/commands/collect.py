"""``spinewatch collect``: stream a BLE sensor into a recording, reconnecting forever.

``--device ADDRESS|NAME`` collects from a real sensor (it must be in the settings'
``[collector] allowed_devices``) until Ctrl-C or ``--duration``. ``--virtual
SCENARIO`` runs a virtual sensor fed by a simulator scenario (or a recording file)
over a virtual BLE link, with optional faults, so the collector can be tried
without hardware.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

from collector.link import Collector
from collector.profiles import DeviceProfile, load_profile
from collector.stream import LiveChunk
from collector.virtual_run import run_virtual
from collector.virtual_sensor import ArraySource, Faults, SampleSource, SimulatorSource
from spinewatch.config import load_settings
from spinewatch.errors import CollectorError, InputDataError

RECORDING_SUFFIXES = (".csv", ".npz", ".parquet", ".pq")


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "collect",
        help="stream a BLE sensor into a recording (or a virtual sensor: --virtual)",
        description="Connect to a sensor, configure it, stream and write a CSV recording that "
        "'spinewatch analyze' reads (t in UTC epoch seconds), with FILE.packets.csv (sensor "
        "and host timestamps of every packet) and FILE.gaps.csv (every gap). Reconnects "
        "with backoff after every loss, forever.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--device", help="address or advertised name of an allowed sensor")
    src.add_argument("--virtual", metavar="SCENARIO",
                     help="simulator scenario (name or .toml) or recording file for a virtual "
                     "sensor")
    p.add_argument("--profile", help="device profile (default: spinewatch_ref for --virtual)")
    p.add_argument("--out", type=Path, required=True, help="the CSV recording to write")
    p.add_argument("--rate", type=int, default=None, metavar="HZ", help="sample rate")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="stop after this long (sensor time); default: Ctrl-C (virtual: 60 s)")
    p.add_argument("--speed", type=float, default=1.0, help="virtual clock speed (x real time)")
    p.add_argument("--drop-every", type=float, default=None, metavar="S",
                   help="virtual: drop the link every S seconds")
    p.add_argument("--corrupt-every", type=int, default=0, metavar="N",
                   help="virtual: corrupt every Nth notification")
    p.add_argument("--lose-every", type=int, default=0, metavar="N",
                   help="virtual: lose every Nth notification")
    p.add_argument("--battery", type=int, default=90, metavar="PCT",
                   help="virtual: battery level")
    p.add_argument("--config", type=Path, default=None, help="settings TOML")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    rate = args.rate or settings.collector.rate_hz
    if args.virtual is not None:
        profile = load_profile(args.profile or "spinewatch_ref")
        faults = Faults(drop_every_s=args.drop_every, corrupt_every=args.corrupt_every,
                        lose_every=args.lose_every, battery_pct=args.battery)
        source = _source(args.virtual, profile.check_rate(rate or profile.default_rate_hz))
        session = asyncio.run(run_virtual(
            profile, source, duration_s=args.duration or 60.0, speed=args.speed,
            rate_hz=rate, faults=faults, out=args.out, on_chunk=_ignore))
        print(summary(session.collector, args.out))
        return 0
    if args.profile is None:
        raise InputDataError("--profile is required with --device",
                             advice="see 'spinewatch scan' for the profile of each sensor")
    allowed = frozenset(settings.collector.allowed_devices)
    if args.device.upper() not in {a.upper() for a in allowed}:
        raise CollectorError("device is not allowed", value=args.device,
                             advice="add it to [collector] allowed_devices in the settings")
    collector = Collector(load_profile(args.profile), args.device, allowed=allowed,
                          out=args.out, rate_hz=rate)
    asyncio.run(_collect(collector, args.duration))
    print(summary(collector, args.out))
    return 0


def _ignore(_chunk: LiveChunk) -> None:
    """Live chunks are not processed further by this command."""


def _source(spec: str, rate_hz: int) -> SampleSource:
    if Path(spec).suffix.lower() in RECORDING_SUFFIXES:
        from spinewatch.recordings import read_recording

        samples = read_recording(spec)
        return ArraySource(samples.acc_mps2, samples.gyr_rads)
    return SimulatorSource(spec, float(rate_hz))


async def _collect(collector: Collector, duration_s: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    task = asyncio.create_task(collector.run(stop))
    if duration_s is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), duration_s)
        stop.set()
    await task


def summary(collector: Collector, out: Path) -> str:
    counts = collector.processor.counts
    gaps = collector.processor.timeline.gaps
    missing = sum(g.missing for g in gaps)
    malformed = ", ".join(f"{k} {v}" for k, v in counts.malformed.items()) or "none"
    profile: DeviceProfile = collector.profile
    return (
        f"collected {counts.samples} samples in {counts.packets} packets from "
        f"{collector.device} ({profile.name}) into {out}\n"
        f"  gaps {len(gaps)} ({missing} samples missing), malformed packets: {malformed}\n"
        f"  connections {collector.stats.connections}, losses {collector.stats.losses}, "
        f"clock drift {collector.processor.timeline.clock.drift_ppm:+.0f} ppm"
    )
