"""``spinewatch analyze RECORDING --out DIR``: trunk angles, posture, steps and a summary."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from spinewatch.analysis import CHUNK_ROWS, AnalyzeOptions, analyze_recording, parse_window
from spinewatch.config import load_settings
from spinewatch.exercise_outputs import prescribed_from_settings
from spinewatch.recordings import RecordingOptions


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "analyze",
        help="analyse a recording: trunk angles, posture, steps, summary",
        description="Analyse a lower-back IMU recording (CSV, .npz or .parquet with columns "
        "t, ax, ay, az, gx, gy, gz) into DIR: timeline.csv, orientation.csv, steps.csv, "
        "events.csv, summary.json. No calibration is needed: the sensor may be worn in any "
        "rotation. Events are judged against the patient's profile (--config).",
    )
    p.add_argument("recording", type=Path, help="the recording file")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("--acc-unit", choices=("m/s2", "g"), default="m/s2")
    p.add_argument("--gyr-unit", choices=("rad/s", "deg/s"), default="rad/s")
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="HZ",
        help="sample rate when the file has no t column",
    )
    p.add_argument(
        "--timeline-hz",
        type=float,
        default=None,
        help="timeline rate in Hz; 0 = every sample (default: from settings, 10)",
    )
    p.add_argument(
        "--calibration",
        type=parse_window,
        default=None,
        metavar="START:END",
        help="a time window (s) when the person stood upright",
    )
    p.add_argument(
        "--config", type=Path, default=None, help="settings TOML (patient profile, analysis)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = _options(args)
    show = not args.no_progress and sys.stderr.isatty()
    with tqdm(
        total=None, unit=" samples", unit_scale=True, disable=not show, desc="analyse"
    ) as bar:
        summary = analyze_recording(args.recording, args.out, options, progress=bar.update)
    print(_brief(summary, args.out))
    return 0


def estimate_rows(path: Path) -> int | None:
    """About how many samples a recording holds, for the progress bar (None if unknown)."""
    try:
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if suffix == ".npz":
            with zipfile.ZipFile(path) as zf:
                name = next(n for n in zf.namelist() if n.endswith(".npy"))
                with zf.open(name) as fh:
                    major, _ = np.lib.format.read_magic(fh)
                    read_header = (
                        np.lib.format.read_array_header_1_0
                        if major == 1
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, _ = read_header(fh)
                    return int(shape[0])
        with path.open("rb") as fh:
            head = fh.read(65536)
        lines = head.count(b"\n")
        return (
            int(path.stat().st_size * max(lines - 1, 1) / max(len(head), 1)) if lines > 1 else None
        )
    except (OSError, ValueError, StopIteration, zipfile.BadZipFile, ImportError):
        return None  # the reader will say what is wrong with the file


def _options(args: argparse.Namespace) -> AnalyzeOptions:
    """The analysis options: the settings file (validated once), then the command line."""
    settings = load_settings(args.config)
    pipeline = settings.analysis.processing
    if args.calibration is not None:
        pipeline = dataclasses.replace(pipeline, calibration_window_s=args.calibration)
    timeline_hz = settings.analysis.timeline_hz if args.timeline_hz is None else args.timeline_hz
    profile = settings.patient.clinical_profile()
    return AnalyzeOptions(
        zones=profile.flexion_zones(),
        profile=profile,
        timeline_hz=timeline_hz,
        settings=pipeline,
        recording=RecordingOptions(
            acc_unit=args.acc_unit, gyr_unit=args.gyr_unit, rate_hz=args.rate, chunk_rows=CHUNK_ROWS
        ),
        # The patient's home programme: only its exercises are recognised, and adherence is
        # counted against it (without one, every known exercise is looked for).
        prescription=prescribed_from_settings(settings.patient.prescription) or None,
    )


def _brief(summary: dict[str, Any], out: Path) -> str:
    hours = summary["duration_s"] / 3600
    post = summary["posture_s"]
    parts = ", ".join(f"{k} {v / 60:.1f} min" for k, v in post.items() if v > 0)
    counts = summary.get("events", {}).get("count", {})
    events = ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"
    alerts = summary.get("alerts", {})
    return (
        f"analysed {summary['samples']} samples "
        f"({hours:.2f} h at {summary['sample_rate_hz']:g} Hz) into {out}\n"
        f"  {parts}\n"
        f"  steps {summary['steps']}, longest sitting bout "
        f"{summary['longest_sitting_bout_s'] / 60:.1f} min, gaps {len(summary['gaps'])}\n"
        f"  events: {events}\n"
        f"  alerts: {alerts.get('to_patient', 0)} to the patient, "
        f"{alerts.get('to_clinic', 0)} to the clinic"
    )
