"""The gateway benchmark still runs and prints its figures (tiny inputs; no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_gateway.py"


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_latency_part_prints_percentiles() -> None:
    out = _run("--minutes", "0.6", "--speed", "10", "--rounds", "3")
    assert "engine: arrival of the notification" in out and "all alerts" in out


def test_scale_part_prints_cpu_per_stream() -> None:
    out = _run("scale", "--streams", "1", "--seconds", "2", "--warmup", "2")
    assert "radio+collector" in out and "kept up" in out
    assert out.strip().splitlines()[-1].split()[0] == "1"
