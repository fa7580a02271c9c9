"""Benchmark: analyse 24 h of 100 Hz lower-back IMU data.

Prints, side by side from one run on the same chunks of 10 minutes:
  * VQF's batch orientation alone (the yardstick: the best 6D filter, in C++),
  * the whole streaming analysis (orientation, features, steps, mounting,
    angles, posture, events, timeline, summary),
their samples/s and the ratio; then the end-to-end ``spinewatch analyze`` on
the same day written to a Parquet file (reading and writing every output),
with its wall time and peak memory (the child's own VmHWM).

Run: ``python benchmarks/bench_analysis.py [--hours 24] [--rate 100] [--seed 1]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from vqf import VQF

from processing.pipeline import Analyzer, PipelineSettings
from processing.summary import SummaryAccumulator
from processing.timeline import TimelineDecimator
from processing.types import ImuSamples
from simulator import Simulation
from simulator.scenarios import random_day
from spinewatch.profiles import load_profile


def _analyse(
    analyzer: Analyzer, timeline: TimelineDecimator, summary: SummaryAccumulator, s: ImuSamples
) -> None:
    """What the analysis does with one chunk: results, timeline rows, summary totals."""
    res = analyzer.update(s)
    timeline.update(res.t_s, res.flexion_deg, res.lateral_deg, res.inclination_deg, res.posture)
    summary.update(res.t_s, res.flexion_deg, res.posture, len(res.steps_t_s))


def _cli_child(recording: str, out: str) -> int:
    """Run ``spinewatch analyze`` in this process; print its peak memory (VmHWM, kB)."""
    from spinewatch.cli import main as cli_main

    code = cli_main(["analyze", recording, "--out", out, "--no-progress"])
    status = Path("/proc/self/status").read_text()
    print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    return code


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--cli-child":
        return _cli_child(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-cli", action="store_true", help="only the in-process comparison")
    args = ap.parse_args()

    sim = Simulation(
        random_day(args.seed, hours=args.hours),
        seed=args.seed,
        sample_rate_hz=args.rate,
        chunk_s=600.0,
    )
    fs = args.rate
    zones = load_profile("fusion_weeks_0_6").flexion_zones()
    # One-time start-up: the compiled kernels load from numba's cache (compile on first use).
    t0 = time.perf_counter()
    warm = Analyzer(PipelineSettings(), fs, load_profile("fusion_weeks_0_6"))
    warm.update(next(iter(Simulation(random_day(0, hours=0.01), seed=0).chunks())).samples)
    startup_s = time.perf_counter() - t0
    vqf = VQF(1.0 / fs)
    profile = load_profile("fusion_weeks_0_6")
    analyzer = Analyzer(PipelineSettings(), fs, profile)
    timeline = TimelineDecimator(fs, 10.0)
    summary = SummaryAccumulator(1.5 / fs, zones)
    t_vqf = t_all = 0.0
    n = 0
    tmp = Path(tempfile.mkdtemp(prefix="spinewatch-bench-"))
    recording = tmp / "day.parquet"
    writer: pq.ParquetWriter | None = None
    print(f"simulating and analysing {args.hours:g} h at {fs:g} Hz …", file=sys.stderr)
    for k, chunk in enumerate(sim.chunks()):
        s = chunk.samples
        gyr = np.ascontiguousarray(s.gyr_rads)
        acc = np.ascontiguousarray(s.acc_mps2)

        run_vqf = partial(vqf.updateBatch, gyr, acc)
        run_analysis = partial(_analyse, analyzer, timeline, summary, s)
        # Alternate the order chunk by chunk so that neither side always runs on a warm cache.
        first, second = (run_vqf, run_analysis) if k % 2 == 0 else (run_analysis, run_vqf)
        t0 = time.perf_counter()
        first()
        t1 = time.perf_counter()
        second()
        t2 = time.perf_counter()
        dt_vqf, dt_all = (t1 - t0, t2 - t1) if k % 2 == 0 else (t2 - t1, t1 - t0)
        t_vqf += dt_vqf
        t_all += dt_all
        n += len(s)
        if not args.skip_cli:
            table = pa.table(
                {
                    "t": s.t_s,
                    "ax": acc[:, 0],
                    "ay": acc[:, 1],
                    "az": acc[:, 2],
                    "gx": gyr[:, 0],
                    "gy": gyr[:, 1],
                    "gz": gyr[:, 2],
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(recording, table.schema)
            writer.write_table(table)
    t0 = time.perf_counter()
    res = analyzer.finish()
    summary.update(res.t_s, res.flexion_deg, res.posture, len(res.steps_t_s))
    t_all += time.perf_counter() - t0
    if writer is not None:
        writer.close()

    print(f"\n{n:,} samples ({n / fs / 3600:.2f} h at {fs:g} Hz), one run, same chunks of 10 min")
    print(f"  {'':28s}{'seconds':>10s}{'samples/s':>14s}{'× VQF':>8s}")
    print(f"  {'VQF batch orientation alone':28s}{t_vqf:10.2f}{n / t_vqf:14,.0f}{1.0:8.2f}")
    print(f"  {'whole streaming analysis':28s}{t_all:10.2f}{n / t_all:14,.0f}{t_all / t_vqf:8.2f}")
    print(f"  (one-time start-up, loading the compiled kernels: {startup_s:.2f} s, not included)")
    print(
        f"  steps {summary.steps:,}; posture hours "
        + ", ".join(f"{k} {v / 3600:.2f}" for k, v in summary.result()["posture_s"].items())
    )
    if args.skip_cli:
        return 0

    out = tmp / "analysis"
    # The child reports its own high-water mark: getrusage(RUSAGE_CHILDREN) would count the
    # pages it shared with this (large) process between fork and exec.
    cmd = [sys.executable, __file__, "--cli-child", str(recording), str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_mb = float(done.stdout.strip().splitlines()[-1]) / 1024
    sizes = {p.name: p.stat().st_size / 1e6 for p in out.iterdir()}
    print(f"\nspinewatch analyze on the Parquet file ({recording.stat().st_size / 1e6:.0f} MB):")
    print(f"  wall {wall:.1f} s ({n / wall:,.0f} samples/s), peak memory (VmHWM) {peak_mb:.0f} MB")
    print("  outputs: " + ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(sizes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
