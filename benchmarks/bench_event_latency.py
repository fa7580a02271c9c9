"""Benchmark: how late alerts leave the live pipeline, end to end.

A simulated patient day streams through the analyser (orientation, posture,
events) and the alert policy in BLE-sized chunks of 10 samples at 100 Hz.
For each alert it prints how far behind the sample that completed its
condition (the event's ``detected_s``) the alert left, in stream time (the
results wait for step runs to be confirmed before they are final), and the
processing time of the chunk that produced it. Hold times are excluded: they
are part of the condition.

Run: ``python benchmarks/bench_event_latency.py [--hours 1]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from processing.alert_policy import AlertPolicy, AlertSettings
from processing.pipeline import Analyzer, PipelineSettings
from simulator import simulate
from simulator.scenarios import random_day
from spinewatch.profiles import load_profile

CHUNK = 10


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    # A short hold so that the day's brief bends alert; the lag does not depend on it.
    profile = load_profile("fusion_weeks_0_6", {"flexion_hold_s": 0.5})
    sim = simulate(random_day(args.seed, hours=args.hours), seed=args.seed)
    s = sim.samples
    an = Analyzer(PipelineSettings(), sim.truth.sample_rate_hz, profile)
    policy = AlertPolicy(AlertSettings.from_profile(profile, cooldown_s=5.0))
    lag_s: list[float] = []
    cost_ms: list[float] = []
    kinds: list[str] = []
    detected_at: list[float] = []
    found_at: float | None = None
    for i in range(0, len(s), CHUNK):
        part = s.slice(i, i + CHUNK)
        t0 = time.perf_counter()
        res = an.update(part)
        alerts = policy.update(list(res.events), float(res.t_s[-1]) if len(res) else None)
        elapsed = (time.perf_counter() - t0) * 1e3
        now = float(part.t_s[-1])
        if res.mounting_changes and found_at is None:
            found_at = now
        for a in alerts:
            lag_s.append(now - a.event.detected_s)
            cost_ms.append(elapsed)
            kinds.append(a.kind)
            detected_at.append(a.event.detected_s)
    if not lag_s:
        print("no alerts in this stream")
        return 0
    lag = np.array(lag_s)
    cost = np.array(cost_ms)
    found = found_at if found_at is not None else 0.0
    late = [(lg, k) for lg, k, d in zip(lag_s, kinds, detected_at, strict=True) if d > found]
    after = np.array([lg for lg, _ in late])
    print(
        f"{len(s):,} samples in chunks of {CHUNK}; {len(lag)} alerts "
        f"({', '.join(f'{k} {kinds.count(k)}' for k in sorted(set(kinds)))})"
    )
    for name, x, unit in (
        ("stream lag behind the completing sample", lag, "s"),
        ("processing time of that chunk", cost, "ms"),
    ):
        p50, p95, p99 = np.percentile(x, [50, 95, 99])
        print(f"  {name:42s} p50 {p50:.3f}  p95 {p95:.3f}  p99 {p99:.3f}  max {x.max():.3f} {unit}")
    print(f"  results wait until the mounting is found: here {found:.0f} s into the stream")
    if len(after):
        p50, p95, p99 = np.percentile(after, [50, 95, 99])
        print(
            f"  lag of the {len(after)} alerts after that: p50 {p50:.2f}  p95 {p95:.2f}  "
            f"p99 {p99:.2f}  max {after.max():.2f} s"
        )
        for kind in sorted({k for _, k in late}):
            x = [lg for lg, k in late if k == kind]
            print(f"    {kind:18s} n={len(x):3d}  median {np.median(x):.2f} s  max {max(x):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
