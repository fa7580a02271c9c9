"""The gateway's configuration errors and its restart bookkeeping (no streaming)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from spinewatch.errors import CollectorError, GatewayError
from spinewatch.gateway.runner import Gateway
from spinewatch.gateway.segments import last_recorded_utc, new_segment, previous_last_utc
from spinewatch.settings import CollectorSettings, GatewaySettings
from tests.spinewatch.gateway.factories import gateway_settings


def test_a_sensor_must_be_configured(tmp_path: Path) -> None:
    with pytest.raises(GatewayError) as info:
        Gateway(gateway_settings(tmp_path))
    assert info.value.where == "gateway.device" and "spinewatch demo" in str(info.value.advice)


def test_only_an_allowed_sensor_is_connected(tmp_path: Path) -> None:
    settings = gateway_settings(
        tmp_path, gateway=GatewaySettings(device="AA:BB:CC:DD:EE:FF"),
        collector=CollectorSettings(allowed_devices=("11:22:33:44:55:66",)))
    with pytest.raises(CollectorError):
        asyncio.run(Gateway(settings).run(asyncio.Event()))


def test_health_file_and_store_live_under_the_data_dir(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path, gateway=GatewaySettings(device="SW-REF-1"))
    gateway = Gateway(settings)
    assert gateway.health_path == tmp_path / "gateway-health.json"
    assert gateway.segment.parent == tmp_path / "live" / "demo-patient"
    doc = gateway.health()
    assert doc["state"] == "starting" and doc["connection"] == "searching"
    assert doc["upload_backlog"] is None  # no server configured
    other = dataclasses.replace(settings.gateway, health_path=Path("/elsewhere/h.json"))
    assert other.health_file(tmp_path) == Path("/elsewhere/h.json")


def test_last_recorded_time_skips_a_line_cut_by_a_crash(tmp_path: Path) -> None:
    rec = tmp_path / "recording.csv"
    rec.write_text("t,ax,ay,az,gx,gy,gz\n100.0,0,0,9.8,0,0,0\n100.01,0,0,9.8,0,0,0\n100.02,0,0")
    assert last_recorded_utc(rec) == 100.01
    assert last_recorded_utc(tmp_path / "absent.csv") is None
    rec.write_text("t,ax,ay,az,gx,gy,gz\n")
    assert last_recorded_utc(rec) is None


def test_previous_segment_is_the_newest(tmp_path: Path) -> None:
    assert previous_last_utc(tmp_path / "none") is None
    for name, t in (("20000101T100000000000Z", 5.0), ("20000101T110000000000Z", 7.5)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "recording.csv").write_text(f"t,ax\n{t},0\n")
    (tmp_path / "20000101T120000000000Z").mkdir()  # killed before its first sample
    assert previous_last_utc(tmp_path) == 7.5
    assert new_segment(tmp_path).name > "20000101T120000000000Z"


def test_a_processing_bug_stops_the_gateway_cleanly_and_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spinewatch.gateway.session import LiveSession
    from spinewatch.gateway.virtual import VirtualSpec

    def broken(self: LiveSession, chunks: object) -> None:
        raise RuntimeError("a bug in the analysis")

    monkeypatch.setattr(LiveSession, "feed", broken)
    gateway = Gateway(gateway_settings(tmp_path),
                      virtual=VirtualSpec(speed=10.0, duration_s=600.0))
    with pytest.raises(RuntimeError, match="a bug in the analysis"):
        asyncio.run(asyncio.wait_for(gateway.run(asyncio.Event()), 30.0))
    assert gateway.state == "stopped"
    assert (gateway.segment / "analysis" / "summary.json").is_file()  # finished anyway
