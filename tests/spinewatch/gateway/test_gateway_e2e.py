"""End to end over bumble's virtual BLE link: virtual sensor → gateway → recording and store.

One accelerated run of the simulated demo day at 100 Hz with link drops; the virtual
sensor logs exactly which samples it delivered. Everything delivered must be in the
recording, every gap must be reported where the drops were, and the live results
(analysis folder and store) must equal ``spinewatch analyze`` on that recording.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from processing.alert_policy import AlertLevel
from spinewatch.alerts import HAPTIC_PATTERNS_MS
from spinewatch.gateway.runner import Gateway
from spinewatch.recordings import read_recording
from spinewatch.storage.store import LocalStore
from spinewatch.storage_feed import points_from_output, read_output
from tests.spinewatch.gateway.factories import (
    analyze_offline,
    point_key,
    run_virtual_gateway,
    true_gaps,
)

DURATION_S = 300.0
SPEED = 30.0
DROP_EVERY_S = 110.0
COMPARED = ("trunk_angles", "posture", "steps", "events", "alerts")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Gateway, Path]:
    data = tmp_path_factory.mktemp("gateway")
    gateway = run_virtual_gateway(data, duration_s=DURATION_S, speed=SPEED,
                                  drop_every_s=DROP_EVERY_S)
    return gateway, analyze_offline(gateway, data / "offline")



def test_every_delivered_sample_is_recorded(run: tuple[Gateway, Path]) -> None:
    gateway, _ = run
    link = gateway.link
    assert link is not None
    delivered = link.sensor.log.delivered
    sent = sum(n for _, n in delivered)
    rec = read_recording(gateway.recording)
    assert sent > 0.8 * DURATION_S * 100
    assert len(rec) == sent
    assert gateway.stats.samples == sent  # and every one of them went through the analysis
    assert np.all(np.diff(rec.t_s) > 0)


def test_gaps_reported_match_the_drops(run: tuple[Gateway, Path]) -> None:
    gateway, offline = run
    assert gateway.link is not None and gateway.collector is not None
    log = gateway.link.sensor.log
    assert log.drops >= 2
    first = log.delivered[0][0]  # the collector counts from the first sample it received
    expected = [(i - first, n) for i, n in true_gaps(log.delivered)]
    assert len(expected) == log.drops  # each drop left exactly one hole
    found = [(g.index, g.missing) for g in gateway.collector.processor.timeline.gaps]
    assert found == expected
    # The analysis sees the same holes in the recording's time stamps. (It also flags a few
    # steps of 1.5-3 sample periods where the collector's clock correction moved the time
    # base under the accelerated clock; those lose no sample and are not compared.)
    summary = json.loads((offline / "summary.json").read_text())
    holes = [g["end_s"] - g["start_s"] for g in summary["gaps"]
             if g["end_s"] - g["start_s"] > 0.5]
    assert holes == pytest.approx([(n + 1) / 100 for _, n in expected], abs=0.05)


def test_live_folder_equals_analyze_on_the_recording(run: tuple[Gateway, Path]) -> None:
    gateway, offline = run
    live = gateway.segment / "analysis"
    for name in ("timeline.csv", "events.csv", "steps.csv", "alerts.csv", "reps.csv"):
        assert (live / name).read_text() == (offline / name).read_text(), name
    a = json.loads((live / "summary.json").read_text())
    b = json.loads((offline / "summary.json").read_text())
    a.pop("recording")
    b.pop("recording")
    assert a == b
    assert b["steps"] > 0 and len((live / "timeline.csv").read_text().splitlines()) > 1000


def test_store_holds_the_results_of_every_sample(run: tuple[Gateway, Path]) -> None:
    gateway, offline = run
    assert gateway.session is not None
    expected = Counter(point_key(p) for p in points_from_output(read_output(offline),
                                                           gateway.session.ctx)
                       if p.measurement in COMPARED)
    with LocalStore(gateway.settings.storage.store_file(gateway.data_dir)) as store:
        stored = Counter(point_key(p) for m in COMPARED for p in store.query(m))
        status = store.query("device_status")
    assert stored == expected
    assert {m for m, *_ in expected} >= {"trunk_angles", "posture", "steps"}
    assert len(status) >= int(DURATION_S // 60)
    assert all(p.fields.get("battery_pct") == 90.0 for p in status)


def test_health_file_says_what_happened(run: tuple[Gateway, Path]) -> None:
    gateway, _ = run
    health = json.loads(gateway.health_path.read_text())
    assert health["state"] == "stopped"
    assert health["samples"] == gateway.stats.samples
    assert health["link_losses"] >= 2 and health["gaps"] >= 2
    assert health["points_pending_commit"] == 0
    assert health["live_dropped_chunks"] == 0 and health["malformed_packets"] == 0
    assert health["last_sample_utc"] is not None


def test_patient_alerts_buzz_the_sensor(run: tuple[Gateway, Path]) -> None:
    gateway, _ = run
    assert gateway.link is not None and gateway.dispatcher is not None
    with (gateway.segment / "analysis" / "alerts.csv").open(encoding="utf-8") as fh:
        alerts = list(csv.DictReader(fh))
    to_patient = [a for a in alerts if "patient" in a["audience"].split("+")]
    pulses = sum((len(HAPTIC_PATTERNS_MS[AlertLevel[a["level"].upper()]]) + 1) // 2
                 for a in to_patient)
    writes = [w for w in gateway.link.sensor.log.control_writes if w[:1] == b"\x10"]
    assert len(writes) == pulses  # the reference profile's haptic command, one per pulse
    assert gateway.dispatcher.delivered["haptic"] == len(to_patient)
    assert not gateway.dispatcher.failures
