"""Fixtures for the dashboards tests: a real InfluxDB 1.6 loaded with simulated patient days.

The server helper is the storage tests' own (``tests/spinewatch/storage/storage_servers.py``),
imported, not copied. The data goes through the project's own writer:
simulate → ``analyze_recording`` → :mod:`spinewatch.storage_feed` → local store → uploader.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spinewatch" / "storage"))

from dashboard_fixtures import DATABASE, DAY, PROFILES, Patient, activities
from storage_servers import InfluxServer, have

from simulator import simulate
from simulator.scenarios import from_activities
from spinewatch.analysis import AnalyzeOptions, analyze_recording
from spinewatch.profiles import read_profile
from spinewatch.recordings import write_recording
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage_feed import FeedContext, feed_folder


@pytest.fixture(scope="session")
def patients(tmp_path_factory: pytest.TempPathFactory) -> tuple[Patient, ...]:
    """Three patients, one simulated (about 7–10 minute) recording each, analysed."""
    out = []
    for k, profile_name in enumerate(PROFILES):
        folder = tmp_path_factory.mktemp(f"p{k}")
        sim = simulate(from_activities(activities(k), seed=k), seed=k, sample_rate_hz=50)
        write_recording(folder / "rec.npz", sim.samples)
        profile = read_profile(profile_name)
        analyze_recording(
            folder / "rec.npz",
            folder / "out",
            AnalyzeOptions(zones=profile.flexion_zones(), profile=profile),
        )
        # Patient 0 has a second day (the same recording a day earlier), for trends.
        starts = (DAY, DAY - dt.timedelta(days=1)) if k == 0 else (DAY + dt.timedelta(hours=k),)
        out.append(Patient(f"p-00{k + 1}", profile_name, folder / "out", starts))
    return tuple(out)


@pytest.fixture(scope="session")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    if not have("influxd"):
        pytest.skip("influxd is not installed (apt-get install influxdb; .ci/run does)")
    server = InfluxServer(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def loaded(
    influx: InfluxServer, patients: tuple[Patient, ...], tmp_path_factory: pytest.TempPathFactory
) -> InfluxServer:
    """InfluxDB with every patient's days, written by the project's own writer."""
    influx.query(f'CREATE DATABASE "{DATABASE}"')
    settings = StorageSettings(url=influx.url, database=DATABASE, timeout_s=10)
    path = tmp_path_factory.mktemp("store") / "results.sqlite"
    with LocalStore(path) as store:
        for k, p in enumerate(patients):
            for start in p.starts:
                ctx = FeedContext(
                    patient=p.id,
                    device=f"imu-{k + 1}",
                    profile=p.profile,
                    start_utc=start,
                    battery=((0.0, 90.0 - 30 * k), (300.0, 89.0 - 30 * k)),
                )
                feed_folder(p.out, ctx, store, settings)
    return influx
