"""``spinewatch upload`` and ``spinewatch doctor`` end to end against a real InfluxDB 1.6."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from storage_factories import day_points
from storage_servers import InfluxServer, VictoriaServer, free_port

from spinewatch.cli import main
from spinewatch.storage.store import LocalStore


def config(tmp_path: Path, storage: str) -> Path:
    path = tmp_path / "spinewatch.toml"
    path.write_text(f'[paths]\ndata_dir = "{tmp_path}"\n[storage]\n{storage}\n')
    return path


def test_upload_drains_then_status_shows_no_backlog(
    influx: InfluxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    influx.query("CREATE DATABASE cli")
    with LocalStore(tmp_path / "results.sqlite") as store:
        store.append(day_points(10))
    cfg = config(tmp_path, f'url = "{influx.url}"\ndatabase = "cli"\nbatch_size = 50')
    assert main(["upload", "--config", str(cfg)]) == 0
    assert "uploaded 113 points in 3 batches, quarantined 0; backlog 0" in capsys.readouterr().out
    assert main(["upload", "--status", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "stored points: 113" in out and "backlog: 0 points" in out and "never" not in out
    rows = influx.query("SELECT count(flexion_deg) FROM trunk_angles", "cli")
    assert rows[0]["values"][0][1] == 100


def test_upload_unreachable_server_gives_up_with_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStore(tmp_path / "results.sqlite") as store:
        store.append(day_points(1))
    cfg = config(tmp_path, f'url = "http://127.0.0.1:{free_port()}"')
    assert main(["upload", "--give-up-after", "1", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "gave up retrying" in err and "local store" in err
    assert main(["upload", "--status", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "backlog: 14 points" in out and "last error:" in out and "Connection" in out


def test_doctor_all_ok(
    influx: InfluxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    influx.query("CREATE DATABASE doc")
    cfg = config(tmp_path, f'url = "{influx.url}"\ndatabase = "doc"')
    assert main(["doctor", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "ok   reachable" in out and "ok   write permission" in out


def test_doctor_explains_a_missing_database(
    influx: InfluxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, f'url = "{influx.url}"\ndatabase = "absent"')
    assert main(["doctor", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert "FAIL write permission: HTTP 404" in out and "CREATE DATABASE" in out


def test_doctor_explains_an_unreachable_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, f'url = "http://127.0.0.1:{free_port()}"\ntimeout_s = 1')
    assert main(["doctor", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert "FAIL reachable" in out and "advice: check storage.url" in out


def test_doctor_reports_bad_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, 'url = "http://influx.example"\nuser = "u"\npassword = "p"')
    assert main(["doctor", "--config", str(cfg)]) == 1
    assert "FAIL settings" in capsys.readouterr().out


def test_follow_stops_on_sigterm_even_while_the_server_is_down(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "results.sqlite") as store:
        store.append(day_points(1))
    cfg = config(tmp_path, f'url = "http://127.0.0.1:{free_port()}"')
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    process = subprocess.Popen(
        [sys.executable, "-m", "spinewatch.cli", "upload", "--follow", "--config", str(cfg)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    with LocalStore(tmp_path / "results.sqlite") as store:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = store._db.execute("SELECT count(*) FROM upload_state").fetchone()
            if row[0]:
                break  # it has tried and failed at least once: now in its retry wait
            time.sleep(0.05)
    os.kill(process.pid, signal.SIGTERM)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0 and "backlog is kept" in out


def test_doctor_flags_a_token_written_in_the_settings_file(
    victoria: VictoriaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, f'url = "{victoria.url}"\napi_version = 2\nbucket = "b"\ntoken = "x"')
    assert main(["doctor", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert "FAIL secrets: storage.token written in the settings file" in out
    assert "ok   write permission" in out  # the v2 endpoint accepts the empty write
    (tmp_path / "token").write_text("x\n")
    cfg = config(
        tmp_path, f'url = "{victoria.url}"\napi_version = 2\nbucket = "b"\ntoken_file = "token"'
    )
    assert main(["doctor", "--config", str(cfg)]) == 0
