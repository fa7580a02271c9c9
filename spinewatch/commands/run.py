"""``spinewatch run --config gateway.toml``: the live gateway, all day, unattended.

Sensor → collector → live analysis → alerts (terminal, haptic, webhook) → local store →
InfluxDB (with ``[storage] url``). SIGTERM or Ctrl-C flush and stop within 5 s; a restart
after a crash resumes (a new recording segment; the gap is logged and in the health file).
``--virtual SCENARIO`` runs a simulated patient on a virtual sensor instead of hardware.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from spinewatch.config import load_settings
from spinewatch.gateway.logs import use_json_logs
from spinewatch.gateway.runner import Gateway, GatewayStats
from spinewatch.gateway.virtual import VirtualSpec


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="the live gateway: sensor → analysis → alerts → local store → InfluxDB",
        description="Stream the patient's sensor ([gateway] device, [collector] "
        "allowed_devices), analyse it live, deliver alerts and commit every result to the "
        "local store (uploaded when [storage] url is set). Logs are JSON lines on stderr; "
        "the health file ([gateway] health_path) is rewritten every few seconds. SIGTERM "
        "stops it cleanly.",
    )
    p.add_argument("--config", type=Path, default=None, help="settings TOML")
    p.add_argument("--virtual", metavar="SCENARIO", default=None,
                   help="a virtual sensor fed by this simulator scenario, instead of hardware")
    p.add_argument("--speed", type=float, default=1.0,
                   help="virtual: clock speed (x real time)")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="virtual: stop after this much sensor time (default: until SIGTERM)")
    p.add_argument("--drop-every", type=float, default=None, metavar="S",
                   help="virtual: drop the BLE link every S seconds of sensor time")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="override paths.data_dir (recordings, store, health file)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    if args.data_dir is not None:
        import dataclasses

        settings = dataclasses.replace(
            settings, paths=dataclasses.replace(settings.paths, data_dir=args.data_dir))
    virtual = None
    if args.virtual is not None:
        virtual = VirtualSpec(scenario=args.virtual, speed=args.speed, duration_s=args.duration,
                              drop_every_s=args.drop_every)
    use_json_logs()
    gateway = Gateway(settings, virtual=virtual, terminal=sys.stdout)
    stats = asyncio.run(serve(gateway))
    print(f"gateway stopped: {stats.samples} samples, {stats.points_committed} points "
          f"committed, {stats.alerts} alerts; segment {gateway.segment}")
    return 0


async def serve(gateway: Gateway) -> GatewayStats:
    """Run ``gateway`` until SIGTERM/SIGINT (or a virtual run's end)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
    return await gateway.run(stop)
