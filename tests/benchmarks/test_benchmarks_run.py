"""The benchmark scripts still run and print their figures (on tiny inputs; no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_analysis_benchmark_prints_the_ratio_to_vqf() -> None:
    out = _run("bench_analysis.py", "--hours", "0.05", "--skip-cli")
    assert "VQF batch orientation alone" in out and "whole streaming analysis" in out


def test_analysis_benchmark_runs_the_cli_and_reports_memory(tmp_path: Path) -> None:
    out = _run("bench_analysis.py", "--hours", "0.02")
    assert "peak memory (VmHWM)" in out


@pytest.mark.parametrize("script", ["bench_event_latency.py", "bench_alert_latency.py"])
def test_latency_benchmark_prints_a_distribution(script: str) -> None:
    out = _run(script, "--hours", "0.2")
    assert "p99" in out or "no alerts" in out
