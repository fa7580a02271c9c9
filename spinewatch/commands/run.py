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
import dataclasses
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from spinewatch.config import load_settings
from spinewatch.errors import ConfigError
from spinewatch.gateway.logs import use_json_logs
from spinewatch.gateway.runner import Gateway, GatewayStats
from spinewatch.gateway.virtual import VirtualSpec, virtual_address
from spinewatch.settings import Settings


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
        settings = dataclasses.replace(
            settings, paths=dataclasses.replace(settings.paths, data_dir=args.data_dir))
    virtual = None
    if args.virtual is not None:
        virtual = VirtualSpec(scenario=args.virtual, speed=args.speed, duration_s=args.duration,
                              drop_every_s=args.drop_every)
    use_json_logs()
    gateways = room_gateways(settings, virtual, sys.stdout)
    results = asyncio.run(serve_room(gateways))
    for gateway, stats in zip(gateways, results, strict=True):
        print(f"gateway stopped: patient {gateway.settings.patient.id}: {stats.samples} samples,"
              f" {stats.points_committed} points committed, {stats.alerts} alerts; segment "
              f"{gateway.segment}")
    return 0


def room_gateways(settings: Settings, virtual: VirtualSpec | None,
                  terminal: TextIO | None) -> list[Gateway]:
    """One gateway per patient the settings name (``[patient]``, then ``[[gateway.room]]``).

    They share the local store, the alert log and the terminal (lines start with the patient
    id when there are several); only the first runs the uploader, which sends every
    patient's points. With ``virtual``, each patient is a different simulated person (seed
    and address by position).
    """
    trees = settings.patients()
    if virtual is None:
        for k, room in enumerate(settings.gateway.room):
            if room.device is None:
                raise ConfigError("no sensor for this patient", where=f"gateway.room[{k}].device",
                                  advice="set the sensor's address or name")
    gateways = []
    for k, tree in enumerate(trees):
        spec = None
        if virtual is not None:
            spec = dataclasses.replace(virtual, seed=virtual.seed + k,
                                       address=virtual_address(k))
        gateways.append(Gateway(tree, virtual=spec, terminal=terminal, upload=k == 0,
                                label=tree.patient.id if len(trees) > 1 else None))
    return gateways


async def serve_room(gateways: list[Gateway]) -> list[GatewayStats]:
    """Run the gateways of one process (one per patient) until SIGTERM/SIGINT.

    They share one stop: a signal, the end of a virtual run, or a gateway that fails
    stops them all, each flushing its own results (a supervisor restarts the process).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
    runs = [asyncio.create_task(g.run(stop), name=f"gateway-{g.settings.patient.id}")
            for g in gateways]
    for task in runs:  # one ending (failed, or a virtual run over) ends them all
        task.add_done_callback(lambda _t: stop.set())
    try:
        done = await asyncio.gather(*runs, return_exceptions=True)
    finally:
        stop.set()
    for result in done:
        if isinstance(result, BaseException):
            raise result
    return [r for r in done if not isinstance(r, BaseException)]
