"""Public dataset loaders: shapes, units and labels (skipped without the datasets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processing.types import GRAVITY_MPS2
from spinewatch import datasets
from spinewatch.errors import ConfigError, RecordingError


@pytest.fixture
def root() -> Path:
    folder = datasets.datasets_dir()
    if folder is None:
        pytest.skip("public datasets folder (SPINEWATCH_DATASETS or ../shared/datasets) is absent")
    return folder


def test_env_var_wins_and_must_be_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    assert datasets.datasets_dir() == tmp_path
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="is not a folder"):
        datasets.datasets_dir()


def test_missing_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    with pytest.raises(RecordingError, match="dataset folder 'hapt' not found"):
        datasets.hapt_experiments()


def test_sisfall_parsing_and_units(tmp_path: Path) -> None:
    # Synthetic file in the SisFall layout: 1 g on the ADXL345 y axis is 256 counts.
    path = tmp_path / "D07_SA01_R01.txt"
    path.write_text("  0, 256,   0,  16,   0, -16,   1,   2,   3;\n" * 4 + "\n")
    rec = datasets.load_sisfall(path)
    assert (rec.activity_code, rec.subject, rec.trial, rec.is_fall) == ("D07", "SA01", "R01", False)
    np.testing.assert_allclose(rec.samples.acc_mps2[0], [0.0, GRAVITY_MPS2, 0.0])
    np.testing.assert_allclose(rec.samples.gyr_rads[0, 0], np.deg2rad(16 * 4000 / 65536))
    np.testing.assert_allclose(rec.samples.t_s, np.arange(4) / 200.0)
    with pytest.raises(RecordingError, match="not a SisFall file name"):
        datasets.load_sisfall(tmp_path / "walk.txt")


@pytest.mark.datasets
def test_broad(root: Path) -> None:
    trials = datasets.broad_trials()
    assert trials
    trial = datasets.load_broad(trials[0])
    n = len(trial.samples)
    assert trial.sampling_rate_hz == pytest.approx(285.714, rel=1e-4)
    assert trial.quat_wxyz.shape == (n, 4) and trial.mag_ut.shape == (n, 3)
    assert trial.movement.dtype == np.bool_ and 0 < trial.movement.mean() < 1
    rest = ~trial.movement
    norm = np.linalg.norm(trial.samples.acc_mps2[rest], axis=1)
    assert np.median(norm) == pytest.approx(GRAVITY_MPS2, abs=0.3)
    quat = trial.quat_wxyz[np.isfinite(trial.quat_wxyz).all(axis=1)]
    np.testing.assert_allclose(np.linalg.norm(quat, axis=1), 1.0, atol=1e-3)
    by_name = datasets.load_broad(trials[0].stem)
    np.testing.assert_array_equal(by_name.samples.gyr_rads, trial.samples.gyr_rads)


@pytest.mark.datasets
def test_hapt(root: Path) -> None:
    experiments = datasets.hapt_experiments()
    assert [e.experiment for e in experiments][:2] == [1, 2]
    rec = datasets.load_hapt(1)
    n = len(rec.samples)
    assert rec.activity.shape == (n,) and rec.sampling_rate_hz == 50.0
    assert rec.samples.t_s[1] == pytest.approx(0.02)
    assert set(np.unique(rec.activity).tolist()) <= set(datasets.HAPT_ACTIVITIES)
    assert (rec.activity == 0).any() and (rec.activity == 5).any()
    standing = rec.samples.acc_mps2[rec.activity == 5]
    assert np.median(np.linalg.norm(standing, axis=1)) == pytest.approx(GRAVITY_MPS2, rel=0.06)
    # Gyroscope already in rad/s: small while standing.
    assert np.median(np.abs(rec.samples.gyr_rads[rec.activity == 5])) < 0.1
    classes = rec.classes()
    assert set(classes.tolist()) <= {
        "walking",
        "sitting",
        "standing",
        "lying",
        "transition",
        "unlabelled",
    }
    assert classes[rec.activity == 9][0] == "transition"
    with pytest.raises(RecordingError, match="no HAPT experiment 99"):
        datasets.load_hapt(99)


@pytest.mark.datasets
def test_sisfall(root: Path) -> None:
    files = datasets.sisfall_files()
    assert any(f.name.startswith("F01") for f in files)
    rec = datasets.load_sisfall(next(f for f in files if f.name.startswith("D07_SA01")))
    assert rec.sampling_rate_hz == 200.0 and rec.activity.startswith("sit down")
    first_second = rec.samples.acc_mps2[:200]
    assert np.median(np.linalg.norm(first_second, axis=1)) == pytest.approx(GRAVITY_MPS2, rel=0.06)
    assert np.median(np.abs(rec.samples.gyr_rads[:200])) < 0.1
    fall = datasets.load_sisfall(next(f for f in files if f.name.startswith("F01")))
    assert fall.is_fall
    assert np.linalg.norm(fall.samples.acc_mps2, axis=1).max() > 2 * GRAVITY_MPS2
