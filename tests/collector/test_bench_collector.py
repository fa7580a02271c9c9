"""The collector benchmark still runs and prints its figures (tiny input; no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_collector.py"


def test_benchmark_prints_throughput_and_cpu_share_per_profile() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--seconds", "3"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("thingy52", "witmotion_bwt901ble", "movesense_gsp", "spinewatch_ref"):
        assert name in done.stdout
    assert "decode samples/s" in done.stdout and "%" in done.stdout
