"""``spinewatch analyze`` end to end: the files a user gets, and what bad input gets them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from processing.types import GRAVITY_MPS2, ImuSamples
from simulator import simulate
from simulator.scenarios import from_activities
from spinewatch.cli import main
from spinewatch.recordings import write_recording

TIMELINE = ["t", "flexion_deg", "lateral_deg", "inclination_deg", "posture"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    sim = simulate(
        from_activities(
            [
                {"type": "standing", "duration_s": 15},
                {"type": "walking", "duration_s": 60, "speed_mps": 0.8},
                {"type": "standing", "duration_s": 15},
                {"type": "sitting", "duration_s": 120},
                {"type": "standing", "duration_s": 10},
                {"type": "walking", "duration_s": 30, "speed_mps": 1.0},
                {"type": "lying", "duration_s": 60, "position": "supine"},
            ],
            mounting={"mode": "random"},
        ),
        seed=4,
    )
    path = tmp_path_factory.mktemp("rec") / "day.csv"
    write_recording(path, sim.samples)
    return path, sim


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_outputs_have_exactly_the_documented_columns(day, tmp_path, capsys) -> None:
    path, sim = day
    code, out, err = run(capsys, "analyze", str(path), "--out", str(tmp_path / "a"))
    assert code == 0, err
    a = tmp_path / "a"
    with (a / "timeline.csv").open() as fh:
        assert fh.readline().strip().split(",") == TIMELINE
    with (a / "orientation.csv").open() as fh:
        assert fh.readline().strip().split(",") == ["t", "qw", "qx", "qy", "qz"]
    with (a / "steps.csv").open() as fh:
        assert fh.readline().strip() == "t"
    with (a / "events.csv").open() as fh:
        assert fh.readline().strip().split(",")[:6] == [
            "type",
            "start",
            "end",
            "peak_deg",
            "technique",
            "severity",
        ]
    with (a / "alerts.csv").open() as fh:
        assert fh.readline().strip().split(",")[:3] == ["at", "kind", "level"]
    timeline = _rows(a / "timeline.csv")
    n = len(sim.samples)
    assert len(timeline) == pytest.approx(n / 10, abs=1)  # 10 Hz from 100 Hz
    assert len(_rows(a / "orientation.csv")) == n
    q = np.array(
        [[float(r[k]) for k in ("qw", "qx", "qy", "qz")] for r in _rows(a / "orientation.csv")[:50]]
    )
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    summary = json.loads((a / "summary.json").read_text())
    for key in ("duration_s", "wear_s", "posture_s", "flexion_zone_s", "steps", "walking_s",
                "longest_sitting_bout_s", "events", "alerts"):  # fmt: skip
        assert key in summary
    assert summary["steps"] == len(_rows(a / "steps.csv"))
    assert abs(summary["steps"] - len(sim.truth.steps_s)) <= 0.03 * len(sim.truth.steps_s)
    assert summary["longest_sitting_bout_s"] == pytest.approx(120, abs=10)
    assert summary["posture_s"]["lying"] == pytest.approx(60, abs=8)
    assert set(r["posture"] for r in timeline) <= {"lying", "sitting", "standing", "walking",
                                                    "other", "not_worn"}  # fmt: skip
    assert "analysed" in out


def test_every_sample_and_units(day, tmp_path, capsys) -> None:
    path, sim = day
    code, _, err = run(capsys, "analyze", str(path), "--out", str(tmp_path / "a"),
                       "--timeline-hz", "0")  # fmt: skip
    assert code == 0, err
    assert len(_rows(tmp_path / "a" / "timeline.csv")) == len(sim.samples)
    # The same recording in g and deg/s, without a time column, gives the same analysis.
    s = sim.samples
    other = tmp_path / "units.csv"
    np.savetxt(other, np.column_stack([s.acc_mps2 / GRAVITY_MPS2, np.degrees(s.gyr_rads)]),
               delimiter=",", header="ax,ay,az,gx,gy,gz", comments="", fmt="%.10g")  # fmt: skip
    code, _, err = run(capsys, "analyze", str(other), "--out", str(tmp_path / "b"), "--acc-unit",
                       "g", "--gyr-unit", "deg/s", "--rate", "100")  # fmt: skip
    assert code == 0, err
    a = json.loads((tmp_path / "a" / "summary.json").read_text())
    b = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert a["steps"] == b["steps"]
    for k, v in a["posture_s"].items():
        assert b["posture_s"][k] == pytest.approx(v, abs=0.5)


def test_a_gap_is_reported_and_never_filled(day, tmp_path, capsys) -> None:
    _path, sim = day
    s = sim.samples
    cut = (s.t_s > 100) & (s.t_s < 160)  # one minute missing, in the sitting bout
    gappy = tmp_path / "gap.csv"
    write_recording(gappy, ImuSamples(s.t_s[~cut], s.acc_mps2[~cut], s.gyr_rads[~cut]))
    code, _, err = run(capsys, "analyze", str(gappy), "--out", str(tmp_path / "a"))
    assert code == 0, err
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert len(summary["gaps"]) == 1
    assert summary["gap_s"] == pytest.approx(60, abs=0.2)
    t = np.array([float(r["t"]) for r in _rows(tmp_path / "a" / "timeline.csv")])
    assert not np.any((t > 100.05) & (t < 160))  # no invented rows inside the gap
    assert summary["duration_s"] - summary["measured_s"] == pytest.approx(60, abs=0.2)


def test_clipped_samples_are_kept_counted_and_warned(day, tmp_path, capsys) -> None:
    _path, sim = day
    s = sim.samples
    acc = s.acc_mps2.copy()
    acc[5000:5010, 0] = 16 * GRAVITY_MPS2  # an impact beyond a ±16 g range
    clipped = tmp_path / "clip.csv"
    write_recording(clipped, ImuSamples(s.t_s, acc, s.gyr_rads))
    code, _, err = run(capsys, "analyze", str(clipped), "--out", str(tmp_path / "a"))
    assert code == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["recording"]["saturated_acc_samples"] == 10
    assert summary["samples"] == len(s.t_s)
    assert "range limit" in err


BAD_FILES = {
    "wrong columns": ("t,ax,ay,az,wx,wy,wz\n0,0,0,9.8,0,0,0\n", "missing columns gx, gy, gz"),
    "empty": ("", "empty file"),
    "header only": ("t,ax,ay,az,gx,gy,gz\n", "no data rows"),
    "time backwards": ("t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.02,0,0,9.8,0,0,0\n"
                       "0.01,0,0,9.8,0,0,0\n", "line 4: time goes backwards"),
    "text in a cell": ("t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,x,9.8,0,0,0\n",
                       "line 3: non-numeric value"),
    "truncated": ("t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0", "truncated last line"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_get_one_line_that_says_what_and_where(case, tmp_path, capsys) -> None:
    text, expected = BAD_FILES[case]
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    code, _, err = run(capsys, "analyze", str(bad), "--out", str(tmp_path / "a"))
    assert code == 2
    lines = [ln for ln in err.splitlines() if "error" in ln]
    assert len(lines) == 1, err
    assert str(bad) in lines[0] and expected in lines[0]
    assert "Traceback" not in err


def test_nan_rows_are_dropped_as_gaps_with_one_warning(day, tmp_path, capsys) -> None:
    path, sim = day
    text = path.read_text().splitlines()
    text[1001] = ",".join(["nan"] * 7)
    text[2001] = text[2001].replace(text[2001].split(",")[3], "nan")
    nan_file = tmp_path / "nan.csv"
    nan_file.write_text("\n".join(text) + "\n")
    code, _, err = run(capsys, "analyze", str(nan_file), "--out", str(tmp_path / "a"))
    assert code == 0, err
    warnings = [ln for ln in err.splitlines() if "warning" in ln.lower()]
    assert len(warnings) == 1 and "dropped 2 rows" in warnings[0] and "line 1002" in warnings[0]
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["samples"] == len(sim.samples) - 2
    assert summary["recording"]["rows_dropped"] == 2


def test_a_bad_setting_names_the_key(tmp_path, capsys, day) -> None:
    path, _ = day
    cfg = tmp_path / "gateway.toml"
    cfg.write_text("[analysis.processing.posture]\nlying_enter_deg = 500\n")
    code, _, err = run(capsys, "analyze", str(path), "--out", str(tmp_path / "a"), "--config",
                       str(cfg))  # fmt: skip
    assert code == 2
    assert "analysis.processing.posture.lying_enter_deg = 500" in err


def test_the_prescription_in_the_settings_counts_sets_and_adherence(tmp_path, capsys) -> None:
    sim = simulate(
        from_activities(
            [
                {"type": "standing", "duration_s": 15},
                {"type": "walking", "duration_s": 45},
                {"type": "exercise", "exercise": "bridge", "reps": 8},
                {"type": "standing", "duration_s": 10},
            ],
            mounting={"mode": "random"},
        ),
        seed=3,
    )
    write_recording(tmp_path / "rec.csv", sim.samples)
    config = tmp_path / "patient.toml"
    config.write_text(
        '[patient]\nid = "p1"\n[[patient.prescription]]\nexercise = "bridge"\nsets = 2\nreps = 10\n'
    )
    out = tmp_path / "out"
    code, _, err = run(capsys, "analyze", str(tmp_path / "rec.csv"), "--out", str(out),
                       "--config", str(config))  # fmt: skip
    assert code == 0, err
    with (out / "reps.csv").open() as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["exercise"], row["reps"], row["prescribed_reps"]) == ("bridge", "8", "10")
    day = json.loads((out / "summary.json").read_text())["exercises"]["adherence"]["days"][0]
    bridge = day["exercises"]["bridge"]
    assert (bridge["sets_done"], bridge["sets_prescribed"], bridge["reps_done"]) == (1, 2, 8)
