"""The live session alone (no BLE): complete units only, and the same results as offline.

Samples of a simulated day are fed in packet-sized chunks with UTC times; the points
given along the way must be exactly the analysis folder's points, each only once its
unit is complete (a bout when the next begins, steps when their minute has passed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from processing.mounting import nominal_mounting
from processing.types import ImuSamples
from simulator import Simulation, resolve_scenario
from spinewatch.analysis import CHUNK_ROWS, analyze_recording
from spinewatch.gateway.session import (
    DESIGN_FORWARD_AXIS,
    DESIGN_UP_AXIS,
    LiveSession,
    as_recorded,
    live_options,
)
from spinewatch.recording_csv import format_rows
from spinewatch.recordings import RecordingOptions, write_recording
from spinewatch.settings import Settings
from spinewatch.storage.lineprotocol import Point
from spinewatch.storage_feed import NS_PER_S, points_from_output, read_output

T0 = 1_795_000_000.0  # UTC epoch s
RATE = 100.0


def day(seconds: float) -> ImuSamples:
    sim = Simulation(resolve_scenario("demo_day"), seed=3, sample_rate_hz=RATE, chunk_s=10.0)
    parts = [c.samples for c in sim.chunks()]
    n = int(seconds * RATE)
    acc = np.concatenate([p.acc_mps2 for p in parts])[:n]
    gyr = np.concatenate([p.gyr_rads for p in parts])[:n]
    return ImuSamples(T0 + np.arange(n) / RATE, acc, gyr)


def key(p: Point) -> tuple[object, ...]:
    return (p.measurement, tuple(sorted(p.tags.items())), p.time_ns,
            tuple(sorted(p.fields.items())))


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> tuple[LiveSession, list[Point], Path,
                                                           list[tuple[float, list[Point]]]]:
    folder = tmp_path_factory.mktemp("session")
    samples = day(420.0)
    session = LiveSession(folder / "live", live_options(Settings()), RATE, patient="p-1",
                          device="dev-1", profile="fusion_weeks_0_6")
    given: list[Point] = []
    timeline: list[tuple[float, list[Point]]] = []
    for i in range(0, len(samples), 50):  # half a second at a time
        out = session.feed_samples(samples.slice(i, i + 50))
        given += out.points
        timeline.append((float(samples.t_s[min(i + 49, len(samples) - 1)]), list(out.points)))
    given += session.finish().points
    write_recording(folder / "rec.csv", samples)
    options = dataclasses.replace(session.options, recording=RecordingOptions(
        rate_hz=RATE, chunk_rows=CHUNK_ROWS))
    analyze_recording(folder / "rec.csv", folder / "offline", options)
    return session, given, folder, timeline


def test_design_mounting_is_used_from_the_first_sample() -> None:
    m = live_options(Settings()).settings.mounting
    assert (m.nominal_up_axis, m.nominal_forward_axis) == (DESIGN_UP_AXIS, DESIGN_FORWARD_AXIS)
    off = live_options(Settings(), nominal_mounting=False).settings.mounting
    assert nominal_mounting(off) is None


def test_samples_are_analysed_as_the_recording_holds_them() -> None:
    s = day(1.0)
    r = as_recorded(s)
    assert np.array_equal(r.t_s, s.t_s)
    assert np.all(np.abs(r.acc_mps2 - s.acc_mps2) <= 1e-11 * np.abs(s.acc_mps2))
    lines = format_rows([s.t_s, *s.acc_mps2.T, *s.gyr_rads.T]).splitlines()  # the CSV writer's
    back = np.array([[float(v) for v in line.split(",")] for line in lines])
    assert np.array_equal(back[:, 1:4], r.acc_mps2) and np.array_equal(back[:, 4:], r.gyr_rads)


def test_points_equal_the_analysis_folder(fed: tuple[LiveSession, list[Point], Path,
                                                     list[tuple[float, list[Point]]]]) -> None:
    session, given, folder, _ = fed
    for name in ("timeline.csv", "events.csv", "steps.csv", "alerts.csv"):
        assert (folder / "live" / name).read_text() == (folder / "offline" / name).read_text()
    expected = points_from_output(read_output(folder / "offline"), session.ctx)
    compared = {"trunk_angles", "posture", "steps", "events", "alerts", "exercise_sets"}
    live = Counter(key(p) for p in given if p.measurement in compared)
    assert live == Counter(key(p) for p in expected if p.measurement in compared)
    assert sum(1 for p in given if p.measurement == "steps") >= 1
    summaries = [p for p in given if p.measurement == "daily_summary"]
    assert len(summaries) == 1
    midnight = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)  # T0 is on 2026-11-18 (UTC)
    assert summaries[0].time_ns == int(midnight.timestamp()) * NS_PER_S


def test_units_are_given_only_when_complete(fed: tuple[LiveSession, list[Point], Path,
                                                       list[tuple[float, list[Point]]]]) -> None:
    _, _, _, timeline = fed
    for fed_until, points in timeline[:-1]:
        for p in points:
            t = p.time_ns / NS_PER_S
            if p.measurement == "steps":  # the whole minute is behind the stream
                assert t + 60 <= fed_until
            elif p.measurement == "posture":  # the bout ended: the next one began
                assert t + float(p.fields["duration_s"]) <= fed_until + 1e-6
            elif p.measurement == "device_status":
                assert t + 60 <= fed_until + 1e-6
            else:
                assert t <= fed_until


def test_heartbeats_every_minute(fed: tuple[LiveSession, list[Point], Path,
                                            list[tuple[float, list[Point]]]]) -> None:
    _, given, _, _ = fed
    beats = [p for p in given if p.measurement == "device_status"]
    assert [p.fields["heartbeat"] for p in beats] == list(range(len(beats)))
    assert len(beats) == 7  # 420 s
    assert all(p.fields["connected"] is True for p in beats)
