"""Accuracy on public recordings with ground truth (BROAD, HAPT, SisFall).

These are real sensors on real people, with unknown mounting and no
calibration; the project's own simulator is not the yardstick here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processing.pipeline import PipelineSettings, analyze_samples
from processing.rotations import inclination_error_deg
from processing.types import Posture
from spinewatch.datasets import broad_trials, hapt_experiments, load_broad, load_hapt, load_sisfall

pytestmark = pytest.mark.datasets

# HAPT activity ids → the posture the pipeline should report.
HAPT_TO_POSTURE = {1: Posture.WALKING, 2: Posture.WALKING, 3: Posture.WALKING,
                   4: Posture.SITTING, 5: Posture.STANDING, 6: Posture.LYING}  # fmt: skip


def test_broad_inclination_rmse_within_one_degree(datasets: Path) -> None:
    rmses = []
    for path in broad_trials():
        trial = load_broad(path)
        res = analyze_samples(trial.samples, PipelineSettings(), trial.sampling_rate_hz)
        err = inclination_error_deg(trial.quat_wxyz, res.quat)
        scored = trial.movement & np.isfinite(err)
        rmses.append(float(np.sqrt(np.mean(err[scored] ** 2))))
    assert len(rmses) >= 1
    # VQF's published figure on BROAD is about 0.7°; the issue asks for ≤ 1.0° on average.
    assert np.mean(rmses) <= 1.0, rmses
    assert max(rmses) <= 1.5, rmses


@pytest.fixture(scope="module")
def hapt_results() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    from spinewatch.datasets import datasets_dir

    if datasets_dir() is None:
        pytest.skip("public datasets folder (../shared/datasets) is absent")
    out = []
    for exp in hapt_experiments():
        rec = load_hapt(exp)
        res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz)
        truth = np.full(len(rec.activity), -1)
        for act, posture in HAPT_TO_POSTURE.items():
            truth[rec.activity == act] = posture
        out.append((truth, res.posture.astype(int), res.steps_t_s))
    return out


def test_hapt_posture_accuracy_without_calibration(hapt_results: list) -> None:
    truth = np.concatenate([t for t, _, _ in hapt_results])
    pred = np.concatenate([p for _, p, _ in hapt_results])
    scored = truth >= 0
    t, p = truth[scored], pred[scored]
    assert np.mean(t == p) >= 0.90
    assert np.mean((t == Posture.WALKING) == (p == Posture.WALKING)) >= 0.97
    assert np.mean((t == Posture.LYING) == (p == Posture.LYING)) >= 0.98
    # Each class is found, not only the frequent ones.
    for posture in (Posture.WALKING, Posture.SITTING, Posture.STANDING, Posture.LYING):
        assert np.mean(p[t == posture] == posture) >= 0.75, posture.label


def test_hapt_cadence_is_plausible(hapt_results: list) -> None:
    for _, pred, steps in hapt_results:
        walking_s = np.sum(pred == Posture.WALKING) / 50.0
        cadence = len(steps) / walking_s * 60.0
        # Adults walking in a corridor and on stairs: 80–130 steps/min.
        assert 80.0 <= cadence <= 130.0, cadence


@pytest.mark.parametrize("name", ["D01_SA01_R01.txt", "D01_SE01_R01.txt"])
def test_sisfall_slow_walking_cadence(datasets: Path, name: str) -> None:
    rec = load_sisfall(datasets / "sisfall" / name)
    res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz)
    walking = res.posture == Posture.WALKING
    assert walking.mean() >= 0.95  # the whole file is walking
    cadence = len(res.steps_t_s) / (walking.sum() / rec.sampling_rate_hz) * 60.0
    # Slow walking: 70–120 steps/min; a step count of about one per 0.6 s.
    assert 70.0 <= cadence <= 120.0, cadence
    intervals = np.diff(res.steps_t_s)
    assert np.median(intervals) == pytest.approx(60.0 / cadence, rel=0.15)
