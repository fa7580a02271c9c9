"""The exercise accuracy benchmark still runs and prints its figures (tiny inputs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_exercise_benchmark_prints_rep_counts_and_false_sets() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "accuracy_exercise.py"), "--sets-per-exercise", "1",
         "--hours", "0.2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "±1 rep" in done.stdout and "per 24 h" in done.stdout
