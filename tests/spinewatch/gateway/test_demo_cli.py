"""``spinewatch demo``: the new user's first command, without hardware or servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinewatch.cli import main
from spinewatch.storage.store import LocalStore


def test_demo_streams_stores_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         ) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--minutes", "1.5", "--speed", "20"]) == 0
    text = capsys.readouterr().out
    assert "samples over the virtual BLE link" in text and "report" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "demo-patient" in html
    assert "data:image/png;base64" in html  # the day's plots
    with LocalStore(out / "results.sqlite") as store:
        assert {"trunk_angles", "posture", "device_status", "daily_summary"} <= set(
            store.measurements())
    assert (out / "gateway-health.json").is_file()


def test_demo_refuses_nonsense(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--minutes", "0"]) == 2
    assert "--minutes" in capsys.readouterr().err
