"""``spinewatch run`` as a process: SIGTERM stops it within 5 s; SIGKILL loses nothing committed.

The gateway runs a virtual sensor (``--virtual demo_day``) at an accelerated clock; the
tests watch its health file, as a supervisor would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from spinewatch.gateway.segments import last_recorded_utc
from spinewatch.settings import Settings
from spinewatch.storage.store import LocalStore

STOP_LIMIT_S = 5.0
START_TIMEOUT_S = 60.0


def start(data: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "spinewatch.cli", "run", "--virtual", "demo_day",
           "--data-dir", str(data), *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def health(data: Path) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads((data / "gateway-health.json").read_text())
    except (OSError, ValueError):
        return {}
    return doc


def wait_for(proc: subprocess.Popen[str], data: Path, ok: Callable[[dict[str, Any]], bool],
             ) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        h = health(data)
        if h.get("pid") == proc.pid and ok(h):
            return h
        if proc.poll() is not None:
            raise AssertionError(f"gateway exited early: {proc.communicate()[1][-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"timed out; health: {health(data)}")


def stored(data: Path) -> set[tuple[str, str, int]]:
    with LocalStore(data / "results.sqlite") as store:
        return {(m, json.dumps(p.fields, sort_keys=True), p.time_ns)
                for m in store.measurements() for p in store.query(m)}


def test_sigterm_flushes_and_stops_within_5_s(tmp_path: Path) -> None:
    proc = start(tmp_path, "--speed", "10")
    try:
        wait_for(proc, tmp_path, lambda h: h.get("samples", 0) > 2000)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert took <= STOP_LIMIT_S
    h = health(tmp_path)
    assert h["state"] == "stopped" and h["points_pending_commit"] == 0
    segment = Path(h["segment"])
    assert (segment / "analysis" / "summary.json").is_file()  # the day's report can be made
    assert "gateway stopped" in out
    logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any("gateway started" in r["msg"] for r in logs)
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in logs)
    with LocalStore(tmp_path / "results.sqlite") as store:
        assert len(store.query("trunk_angles")) >= h["samples"] // 10 - 1
        assert store.query("daily_summary")


def test_sigkill_and_restart_lose_nothing_committed(tmp_path: Path) -> None:
    proc = start(tmp_path, "--speed", "10")
    try:
        wait_for(proc, tmp_path, lambda h: h.get("points_committed", 0) > 300)
        before = stored(tmp_path)  # committed = acknowledged: durable from here on
        proc.kill()  # SIGKILL: no flush, no goodbye
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    first = Path(health(tmp_path)["segment"])
    last_before = last_recorded_utc(first / "recording.csv")
    assert before and last_before is not None
    again = start(tmp_path, "--speed", "10", "--duration", "20")
    _out, err = again.communicate(timeout=90)
    assert again.returncode == 0, err[-2000:]
    after = stored(tmp_path)
    assert before <= after  # nothing that was committed before the kill is lost
    assert len(after) > len(before)
    h = health(tmp_path)
    assert h["state"] == "stopped"
    assert Path(h["segment"]) != first  # a new recording segment; the old one stays
    assert h["restart_gap_s"] is not None and h["restart_gap_s"] > 0
    assert "restarted: no data from" in err
    t_new = last_recorded_utc(Path(h["segment"]) / "recording.csv")
    assert t_new is not None and t_new > last_before
    # The crashed run's segment was analysed on restart: its folder is complete for the
    # report, and the results of everything it recorded are in the store.
    assert (first / "analysis" / "summary.json").is_file()
    rows = (first / "analysis" / "timeline.csv").read_text().splitlines()[1:]
    t0, t1 = float(rows[0].split(",")[0]), float(rows[-1].split(",")[0])
    with LocalStore(tmp_path / "results.sqlite") as store:
        angles = store.query("trunk_angles", round(t0 * 1e3) * 10**6,
                             round(t1 * 1e3) * 10**6 + 1)
    assert len(angles) == len(rows)
    assert "finished the analysis of the crashed run's segment" in err
    # The day's totals count both runs: the restart's summary adds the crashed run's segment
    # instead of replacing it.
    segments = [json.loads((seg / "analysis" / "summary.json").read_text())
                for seg in (first, Path(h["segment"]))]
    zone = ZoneInfo(Settings().report.timezone)
    days = {dt.datetime.fromtimestamp(seg["start_s"], zone).date() for seg in segments}
    with LocalStore(tmp_path / "results.sqlite") as store:
        summaries = store.query("daily_summary")
    if len(days) == 1:  # (both runs on one local day, unless the test ran across midnight)
        assert len(summaries) == 1
        assert all(seg["wear_s"] > 0 for seg in segments)
        assert summaries[0].fields["wear_time_s"] == pytest.approx(
            sum(seg["wear_s"] for seg in segments), abs=1e-6)
        assert summaries[0].fields["steps"] == sum(seg["steps"] for seg in segments)
