"""``spinewatch decode``: what a packet decodes to, for people debugging a sensor."""

from __future__ import annotations

import pytest
from collector_factories import make_packet

from spinewatch.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["decode", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_reference_packet_is_printed_in_si_and_sensor_units(capsys) -> None:
    data = make_packet("spinewatch_ref", n=2, counter=7, battery_pct=55)
    code, out, _ = run(capsys, "--profile", "spinewatch_ref", data.hex())
    assert code == 0
    assert "packet 1: 2 sample(s)" in out and "counter=7" in out and "battery_pct=55" in out
    assert "worn=yes" in out and "m/s²" in out and "°/s" in out
    assert out.count("  [") == 2


def test_split_witmotion_frames_are_joined(capsys) -> None:
    data = make_packet("witmotion_bwt901ble") + make_packet("witmotion_bwt901ble", seed=2)
    code, out, _ = run(capsys, "--profile", "witmotion_bwt901ble", data[:13].hex(),
                       "0x" + data[13:].hex(":"))
    assert code == 0 and "packet 2:" in out and "angle" in out


def test_malformed_packet_is_reported_with_exit_code_2(capsys) -> None:
    code, out, _ = run(capsys, "--profile", "thingy52", "0011", make_packet("thingy52").hex())
    assert code == 2
    assert "packet 1: malformed (length)" in out and "packet 2: 1 sample(s)" in out


def test_not_hex_is_one_error_line(capsys) -> None:
    code, _, err = run(capsys, "--profile", "thingy52", "zz")
    assert code == 2 and err.count("\n") == 1 and "not hex" in err


def test_list_and_c_header(capsys) -> None:
    code, out, _ = run(capsys, "--list")
    assert code == 0 and "thingy52" in out and "spinewatch_ref" in out
    code, out, _ = run(capsys, "--profile", "spinewatch_ref", "--c-header")
    assert code == 0 and out.startswith("/* spinewatch reference sensor")
