"""Several patients in one gateway process (a clinic room with several sensors).

Two patients with different profiles, each on their own virtual sensor (a different
simulated person), served by one ``serve_room``: each patient's recording holds every
sample their sensor delivered, each patient's results in the shared local store equal
``spinewatch analyze`` on that patient's own recording (nothing of one patient under the
other's id), each has a health file, and the shared console and log tell them apart.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections import Counter
from pathlib import Path

import pytest

from spinewatch.commands.run import room_gateways, serve_room
from spinewatch.config import load_settings
from spinewatch.errors import ConfigError
from spinewatch.gateway.logs import JsonLines
from spinewatch.gateway.runner import Gateway
from spinewatch.gateway.virtual import VirtualSpec
from spinewatch.recordings import read_recording
from spinewatch.storage.store import LocalStore
from spinewatch.storage_feed import points_from_output, read_output
from tests.spinewatch.gateway.factories import analyze_offline, point_key

DURATION_S = 120.0
SPEED = 10.0
# Each patient walks (the mounting is confirmed), picks two things up from the floor and
# stays bent over something for 7 s: past both profiles' hold times, so both patients get
# alerts and both console prefixes show.
SCENARIO_TOML = """
name = "room_test"
start_posture = "standing"

[mounting]
mode = "near_nominal"

[imu]
sample_rate_hz = 100

[[activity]]
type = "standing"
duration_s = 15

[[activity]]
type = "walking"
duration_s = 40

[[activity]]
type = "lift"
technique = "stoop"
count = 2

[[activity]]
type = "bend"
peak_deg = 52
hold_s = 7

[[activity]]
type = "standing"
duration_s = 45
"""
COMPARED = ("trunk_angles", "posture", "steps", "events", "alerts")
ROOM_TOML = """
[patient]
id = "p-001"
profile = "fusion_weeks_0_6"

[paths]
data_dir = "{data}"

[storage]
url = "http://127.0.0.1:9/"
database = "unused"

[[gateway.room]]
device = "F0:00:00:00:00:02"
[gateway.room.patient]
id = "p-002"
profile = "discectomy_weeks_2_6"
"""


def _settings(tmp: Path, text: str = ROOM_TOML) -> Path:
    path = tmp / "gateway.toml"
    path.write_text(text.format(data=tmp / "data"))
    return path


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Gateway], str, str]:
    tmp = tmp_path_factory.mktemp("room")
    settings = load_settings(_settings(tmp))
    terminal = io.StringIO()
    scenario = tmp / "room_test.toml"
    scenario.write_text(SCENARIO_TOML)
    gateways = room_gateways(settings, VirtualSpec(scenario=str(scenario), speed=SPEED,
                                                   duration_s=DURATION_S), terminal)
    logs = io.StringIO()
    handler = JsonLines(logs)
    gateway_log = logging.getLogger("spinewatch.gateway")
    level = gateway_log.level
    gateway_log.addHandler(handler)
    gateway_log.setLevel(logging.INFO)
    try:
        asyncio.run(serve_room(gateways))
    finally:
        gateway_log.removeHandler(handler)
        gateway_log.setLevel(level)
    return gateways, terminal.getvalue(), logs.getvalue()



def test_each_patient_gets_their_own_sensor_and_recording(
        room: tuple[list[Gateway], str, str]) -> None:
    gateways, _, _ = room
    assert [g.settings.patient.id for g in gateways] == ["p-001", "p-002"]
    assert [g.settings.patient.profile for g in gateways] == ["fusion_weeks_0_6",
                                                              "discectomy_weeks_2_6"]
    links = [g.link for g in gateways]
    assert all(link is not None for link in links)
    assert len({g.device for g in gateways}) == 2  # two sensors, two addresses
    recordings = []
    for g in gateways:
        assert g.link is not None
        sent = sum(n for _, n in g.link.sensor.log.delivered)
        rec = read_recording(g.recording)
        assert sent > 0.8 * DURATION_S * 100 and len(rec) == sent == g.stats.samples
        assert g.recording.parent.parent.name == g.settings.patient.id
        recordings.append(rec)
    # Two different simulated people, not one stream written twice.
    n = min(len(r) for r in recordings)
    assert (recordings[0].acc_mps2[:n] != recordings[1].acc_mps2[:n]).any()


def test_each_patients_results_are_stored_under_their_id_only(
        room: tuple[list[Gateway], str, str], tmp_path: Path) -> None:
    gateways, _, _ = room
    store_file = gateways[0].settings.storage.store_file(gateways[0].data_dir)
    assert all(g.settings.storage.store_file(g.data_dir) == store_file for g in gateways)
    with LocalStore(store_file) as store:
        stored = [p for m in COMPARED for p in store.query(m)]
    assert {p.tags["patient"] for p in stored} == {"p-001", "p-002"}
    for g in gateways:
        assert g.session is not None
        out = analyze_offline(g, tmp_path / g.settings.patient.id)
        points = points_from_output(read_output(out), g.session.ctx)
        expected = Counter(point_key(p) for p in points if p.measurement in COMPARED)
        mine = Counter(point_key(p) for p in stored if p.tags["patient"] == g.settings.patient.id)
        assert mine == expected
        assert {m for m, *_ in expected} >= {"trunk_angles", "posture"}


def test_one_uploader_health_files_and_who_said_what(
        room: tuple[list[Gateway], str, str]) -> None:
    gateways, terminal, logs = room
    # One store, so one uploader (two would race over the same outbox): only the first
    # gateway started one, though every patient's settings name the server.
    assert all(g.settings.storage.url is not None for g in gateways)
    assert [g.upload for g in gateways] == [True, False]
    assert [g._uploader_thread is not None for g in gateways] == [True, False]
    paths = [g.health_path for g in gateways]
    assert [p.name for p in paths] == ["gateway-health.json", "gateway-health.p-002.json"]
    for g, path in zip(gateways, paths, strict=True):
        health = json.loads(path.read_text())
        assert health["patient"] == g.settings.patient.id and health["state"] == "stopped"
        assert health["samples"] == g.stats.samples
    lines = [json.loads(line) for line in logs.splitlines()]
    started = {d["patient"] for d in lines if d["msg"].startswith("gateway started")}
    assert started == {"p-001", "p-002"}
    for d in lines:  # every gateway line says whose it is, and it is that patient's
        assert d.get("patient") in {"p-001", "p-002"}, d
        if "patient p-00" in d["msg"]:
            assert f"patient {d['patient']}" in d["msg"], d
    alert_lines = terminal.splitlines()
    assert {line.split()[0] for line in alert_lines} == {"p-001", "p-002"}


def test_room_settings_are_checked_at_start(tmp_path: Path) -> None:
    twice = ROOM_TOML.replace('id = "p-002"', 'id = "p-001"')
    with pytest.raises(ConfigError, match=r"gateway\.room\[0\]\.patient\.id.*served twice"):
        load_settings(_settings(tmp_path, twice))
    same_sensor = ROOM_TOML.replace('[patient]', '[gateway]\ndevice = "F0:00:00:00:00:02"\n'
                                    '[patient]')
    with pytest.raises(ConfigError, match=r"gateway\.room\[0\]\.device.*two patients"):
        load_settings(_settings(tmp_path, same_sensor))
    no_sensor = ROOM_TOML.replace('device = "F0:00:00:00:00:02"\n', '')
    settings = load_settings(_settings(tmp_path, no_sensor))
    with pytest.raises(ConfigError, match=r"gateway\.room\[0\]\.device"):
        room_gateways(settings, None, None)
