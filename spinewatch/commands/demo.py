"""``spinewatch demo --out DIR``: the whole live gateway on a simulated patient, no hardware.

A virtual sensor speaking the reference profile (``spinewatch_ref``) streams a simulated
patient day (``demo_day``) over bumble's virtual BLE link at an accelerated clock, through
the same collector, live analysis, alerts and local store as ``spinewatch run``; then the
day's report is written as HTML. Needs no sensor, no server and no network.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from spinewatch.config import load_settings
from spinewatch.errors import GatewayError
from spinewatch.gateway.runner import Gateway
from spinewatch.gateway.virtual import VirtualSpec
from spinewatch.report.build import patient_report, write_report
from spinewatch.report.model import Targets
from spinewatch.report.sources import AnalysisFolders, FolderSpec
from spinewatch.storage.store import LocalStore

DEFAULT_MINUTES = 10.0
DEFAULT_SPEED = 30.0


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="try the live gateway end to end on a simulated patient (no hardware, no server)",
        description="A virtual sensor (reference profile) streams a simulated patient day over "
        "a virtual BLE link at an accelerated clock, through the live gateway (analysis, "
        "alerts, local store), then the day's HTML report is written. DIR gets the recording, "
        "the analysis folder, results.sqlite, alerts.jsonl and report.html.",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("--minutes", type=float, default=DEFAULT_MINUTES,
                   help=f"simulated minutes to stream (default {DEFAULT_MINUTES:g})")
    p.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                   help=f"clock speed, x real time (default {DEFAULT_SPEED:g})")
    p.add_argument("--scenario", default="demo_day", help="simulator scenario (name or .toml)")
    p.add_argument("--config", type=Path, default=None, help="settings TOML (patient, alerts)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (args.minutes > 0 and args.speed > 0):
        raise GatewayError("must be > 0", where="--minutes/--speed",
                           value=(args.minutes, args.speed))
    settings = load_settings(args.config)
    settings = dataclasses.replace(
        settings,
        paths=dataclasses.replace(settings.paths, data_dir=args.out),
        gateway=dataclasses.replace(settings.gateway, device_profile="spinewatch_ref"),
    )
    if (args.out / "live").is_dir():
        print(f"{args.out} holds an earlier demo run: this one continues it like a gateway "
              "restart (give a new --out to start afresh)")
    spec = VirtualSpec(scenario=args.scenario, speed=args.speed, duration_s=args.minutes * 60)
    gateway = Gateway(settings, virtual=spec, terminal=sys.stdout)
    print(f"streaming {args.minutes:g} simulated minutes of '{args.scenario}' from a virtual "
          f"sensor at {args.speed:g}x (about {args.minutes * 60 / args.speed:.0f} s)...",
          flush=True)
    stats = asyncio.run(gateway.run(asyncio.Event()))
    analysis = gateway.segment / "analysis"
    report = args.out / "report.html"
    write_day_report(settings.patient.id, analysis, report, settings.report.timezone,
                     Targets.from_profile(settings.patient.clinical_profile()))
    with LocalStore(settings.storage.store_file(args.out)) as store:
        counts = {m: len(store.query(m)) for m in store.measurements()}
    print(f"{stats.samples} samples over the virtual BLE link, {stats.alerts} alerts")
    print("local store " + str(settings.storage.store_file(args.out)) + ": "
          + ", ".join(f"{m} {n}" for m, n in counts.items()))
    print(f"recording {gateway.recording}\nanalysis {analysis}\nreport {report}")
    return 0


def write_day_report(patient: str, analysis: Path, out: Path, timezone: str,
                     targets: Targets) -> Path:
    """The patient's HTML report of the day the analysis folder covers."""
    source = AnalysisFolders([FolderSpec(patient, analysis)], {patient: targets}, timezone)
    first = _first_time(analysis)
    day = dt.datetime.fromtimestamp(first, dt.UTC).astimezone(ZoneInfo(timezone)).date()
    return write_report(patient_report(source, patient, day, 1, targets, {}), out)


def _first_time(analysis: Path) -> float:
    with (analysis / "timeline.csv").open(encoding="utf-8") as fh:
        fh.readline()
        line = fh.readline()
    if not line:
        raise GatewayError("the demo produced no results", where=str(analysis),
                           advice="run it with more --minutes")
    return float(line.split(",")[0])
