"""``spinewatch simulate SCENARIO --out DIR``: a simulated recording with its ground truth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from processing.types import ImuSamples
from simulator.engine import Simulation
from simulator.scenario import builtin_scenarios, resolve_scenario
from simulator.truth import TimelineWriter, write_truth_summary
from spinewatch.errors import ScenarioError
from spinewatch.recordings import CsvRecordingWriter, write_recording

FORMATS = ("csv", "npz", "parquet")


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate a recording with ground truth from a scenario",
        description="Simulate a lower-back IMU recording from a scenario (a TOML file or a "
        "built-in name: " + ", ".join(builtin_scenarios()) + ") into DIR: recording.csv "
        "(or .npz/.parquet) and truth_*.csv, truth.json.",
    )
    p.add_argument("scenario", help="scenario .toml file or built-in name")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the scenario's, else 0)"
    )
    p.add_argument("--rate", type=float, default=None, metavar="HZ", help="sample rate, 25-400 Hz")
    p.add_argument("--format", choices=FORMATS, default="csv", help="recording format")
    p.add_argument("--ideal", action="store_true", help="perfect sensor: no noise or bias")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = resolve_scenario(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise ScenarioError("seed must not be negative", where="--seed", value=args.seed)
    sim = Simulation(scenario, seed=args.seed, sample_rate_hz=args.rate, ideal_imu=args.ideal)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    recording = out / f"recording.{args.format}"
    show = not args.no_progress and sys.stderr.isatty() and sim.plan.duration_s > 120
    timeline_writer = TimelineWriter(out)
    # CSV streams chunk by chunk; npz/parquet need the whole recording at once.
    csv_writer = CsvRecordingWriter(recording).open() if args.format == "csv" else None
    kept: list[ImuSamples] = []
    try:
        with tqdm(
            total=sim.n_samples, unit=" samples", unit_scale=True, disable=not show, desc="simulate"
        ) as bar:
            for chunk in sim.chunks():
                if csv_writer is not None:
                    csv_writer.write(chunk.samples)
                else:
                    kept.append(chunk.samples)
                timeline_writer.write(chunk.timeline)
                bar.update(len(chunk.samples))
    finally:
        timeline_writer.close()
        if csv_writer is not None:
            csv_writer.close()
    if csv_writer is None:
        write_recording(recording, ImuSamples.concat(kept))
    truth = sim.truth()
    write_truth_summary(out, truth, {"recording": recording.name})
    print(
        _summary(
            truth.scenario_name,
            truth.duration_s,
            sim.n_samples,
            sim.sample_rate_hz,
            truth.posture_seconds,
            int(truth.steps_s.shape[0]),
            len(truth.events),
            len(truth.sets),
            recording,
        )
    )
    return 0


def _summary(
    name: str,
    duration_s: float,
    n: int,
    rate: float,
    seconds: dict[str, float],
    steps: int,
    events: int,
    sets: int,
    recording: Path,
) -> str:
    postures = ", ".join(f"{k} {v / 60:.1f} min" for k, v in seconds.items() if v > 0)
    return (
        f"simulated {name!r}: {duration_s / 60:.1f} min, {n} samples at {rate:g} Hz -> "
        f"{recording}\n  {postures}\n  {steps} steps, {events} events, {sets} exercise sets"
    )
