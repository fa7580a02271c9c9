"""The upload benchmark still runs and prints its figures (tiny input; no timing asserted)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.skipif(shutil.which("influxd") is None, reason="influxd is not installed")
def test_upload_benchmark_prints_the_ratio_and_commit_rate() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_upload.py"),
            "--points",
            "3000",
            "--batch",
            "500",
            "--repeat",
            "1",
            "--commit-seconds",
            "0.2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "uploader / bare" in done.stdout and "live patients" in done.stdout
