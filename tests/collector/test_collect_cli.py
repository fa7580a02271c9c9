"""``spinewatch scan --virtual`` and ``spinewatch collect`` (virtual and refused devices)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from spinewatch.cli import main
from spinewatch.recordings import read_recording

logging.getLogger("bumble").setLevel(logging.ERROR)


def test_scan_virtual_lists_one_sensor_per_profile(capsys) -> None:
    assert main(["scan", "--virtual", "--timeout", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("thingy52", "witmotion_bwt901ble", "movesense_gsp", "spinewatch_ref"):
        assert name in out
    assert "-50" in out


def test_collect_virtual_writes_a_recording_analyze_reads(tmp_path: Path, capsys) -> None:
    out = tmp_path / "rec.csv"
    code = main(["collect", "--virtual", "demo_day", "--out", str(out), "--duration", "8",
                 "--speed", "4", "--corrupt-every", "20"])
    text = capsys.readouterr().out
    assert code == 0 and "collected" in text and "malformed packets: length" in text
    samples = read_recording(out)
    assert len(samples) > 500
    assert (tmp_path / "rec.gaps.csv").read_text().count("counter") >= 1
    assert main(["analyze", str(out), "--out", str(tmp_path / "a"), "--no-progress"]) == 0


def test_collect_refuses_a_device_that_is_not_allowed(tmp_path: Path, capsys) -> None:
    code = main(["collect", "--device", "11:22:33:44:55:66", "--profile", "thingy52",
                 "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "not allowed" in err and "allowed_devices" in err


@pytest.mark.parametrize("args", [["--device", "AA"], ["--virtual", "x", "--out"]])
def test_collect_usage_errors(args: list[str], capsys) -> None:
    with pytest.raises(SystemExit):
        main(["collect", *args])
