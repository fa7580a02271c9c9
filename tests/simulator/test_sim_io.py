"""Truth files and the ``spinewatch simulate`` command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sim_factories import make

from simulator import load_truth, write_truth
from spinewatch.cli import main
from spinewatch.recordings import read_recording

_SCENARIO = """
name = "tiny"
[[activity]]
type = "standing"
duration_s = 3
[[activity]]
type = "walking"
duration_s = 8
[[activity]]
type = "lift"
technique = "squat"
[[activity]]
type = "exercise"
exercise = "bridge"
reps = 2
"""


def test_truth_round_trip(tmp_path: Path) -> None:
    res = make(
        [
            {"type": "walking", "duration_s": 10},
            {"type": "bend", "count": 1},
            {"type": "not_worn", "duration_s": 10},
            {"type": "exercise", "exercise": "cat_camel", "reps": 2},
        ],
        rate=25.0,
    )
    write_truth(tmp_path, res.truth)
    back = load_truth(tmp_path)
    assert back.timeline is not None and res.truth.timeline is not None
    np.testing.assert_allclose(back.timeline.t_s, res.truth.timeline.t_s, atol=1e-4)
    np.testing.assert_allclose(
        back.timeline.flexion_deg, res.truth.timeline.flexion_deg, atol=1e-3, equal_nan=True
    )
    np.testing.assert_array_equal(back.timeline.posture, res.truth.timeline.posture)
    np.testing.assert_allclose(back.timeline.quat_wxyz, res.truth.timeline.quat_wxyz, atol=1e-6)
    np.testing.assert_allclose(back.steps_s, res.truth.steps_s, atol=1e-4)
    assert [e.type for e in back.events] == [e.type for e in res.truth.events]
    assert [len(s.reps) for s in back.sets] == [2]
    assert back.mountings[1].quat_wxyz == pytest.approx(res.truth.mountings[1].quat_wxyz)
    assert back.posture_seconds == pytest.approx(res.truth.posture_seconds)


@pytest.mark.parametrize("fmt", ["csv", "npz"])
def test_simulate_command_writes_recording_and_truth(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(_SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "simulate",
            str(scenario),
            "--out",
            str(out),
            "--seed",
            "5",
            "--rate",
            "50",
            "--format",
            fmt,
            "--no-progress",
        ]
    )
    assert code == 0
    assert "tiny" in capsys.readouterr().out
    samples = read_recording(out / f"recording.{fmt}")
    truth = load_truth(out)
    assert truth.timeline is not None
    assert len(samples) == len(truth.timeline)
    assert truth.sample_rate_hz == 50 and truth.seed == 5
    assert truth.events_of("lift")[0].technique == "squat"
    for name in (
        "truth_timeline.csv",
        "truth_orientation.csv",
        "truth_steps.csv",
        "truth_events.csv",
        "truth_reps.csv",
        "truth_reps_detail.csv",
        "truth.json",
    ):
        assert (out / name).exists()


def test_simulate_command_reports_scenario_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[activity]]\ntype = "walking"\nduration_s = 5\nspeed_mps = 7\n', encoding="utf-8"
    )
    assert main(["simulate", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "activity[0] (walking).speed_mps" in err and "7" in err
