"""Accuracy figures, printed: the numbers the tests assert, for the record.

* BROAD: inclination RMSE over the movement phases, per trial (from the pipeline's
  orientation, as orientation.csv has it).
* HAPT: per-sample posture accuracy without calibration, walking vs not, lying vs
  upright, per experiment and pooled.
* SisFall D01: cadence of slow walking.
* Simulated walking at 0.4–1.6 m/s: step count error.
* Simulated days worn in random rotations: angle RMSE, posture agreement.

Run: ``python benchmarks/accuracy_report.py`` (public parts need ../shared/datasets).
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.ndimage import binary_dilation

from processing.pipeline import PipelineSettings, analyze_samples
from processing.rotations import inclination_error_deg
from processing.types import Posture
from simulator import simulate
from simulator.scenarios import random_day, walking
from spinewatch import datasets as ds

HAPT_TO_POSTURE = {1: Posture.WALKING, 2: Posture.WALKING, 3: Posture.WALKING,
                   4: Posture.SITTING, 5: Posture.STANDING, 6: Posture.LYING}  # fmt: skip


def public() -> None:
    if ds.datasets_dir() is None:
        print("public datasets: absent (../shared/datasets); skipped")
        return
    rmses = []
    for path in ds.broad_trials():
        trial = ds.load_broad(path)
        res = analyze_samples(trial.samples, PipelineSettings(), trial.sampling_rate_hz)
        err = inclination_error_deg(trial.quat_wxyz, res.quat)
        ok = trial.movement & np.isfinite(err)
        rmses.append(float(np.sqrt(np.mean(err[ok] ** 2))))
        print(f"BROAD {trial.name:40s} inclination RMSE {rmses[-1]:.2f}°")
    print(f"BROAD mean inclination RMSE {np.mean(rmses):.2f}° (target ≤ 1.0°, VQF ≈ 0.7°)\n")

    truth_all, pred_all = [], []
    for exp in ds.hapt_experiments():
        rec = ds.load_hapt(exp)
        res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz)
        truth = np.full(len(rec.activity), -1)
        for act, posture in HAPT_TO_POSTURE.items():
            truth[rec.activity == act] = posture
        sel = truth >= 0
        t, p = truth[sel], res.posture[sel].astype(int)
        truth_all.append(t)
        pred_all.append(p)
        walk_s = np.sum(res.posture == Posture.WALKING) / rec.sampling_rate_hz
        print(f"HAPT exp {exp.experiment}: posture {np.mean(t == p):.3f}, cadence "
              f"{len(res.steps_t_s) / walk_s * 60:.0f} steps/min, mounting "
              f"{res.mounting_changes[0].mounting.source}")  # fmt: skip
    t, p = np.concatenate(truth_all), np.concatenate(pred_all)
    w = Posture.WALKING
    print(f"HAPT pooled: posture {np.mean(t == p):.3f} (≥ 0.90), walking vs not "
          f"{np.mean((t == w) == (p == w)):.3f} (≥ 0.97), lying vs upright "
          f"{np.mean((t == Posture.LYING) == (p == Posture.LYING)):.3f} (≥ 0.98)")  # fmt: skip
    for posture in (Posture.WALKING, Posture.SITTING, Posture.STANDING, Posture.LYING):
        print(f"  {posture.label:8s} recall {np.mean(p[t == posture] == posture):.3f}")
    print()
    for path in ds.sisfall_files():
        rec = ds.load_sisfall(path)
        if rec.activity_code != "D01":
            continue
        res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz)
        walk_s = np.sum(res.posture == Posture.WALKING) / rec.sampling_rate_hz
        print(f"SisFall {path.name}: walking {walk_s:.0f} of {len(res) / rec.sampling_rate_hz:.0f} "
              f"s, cadence {len(res.steps_t_s) / walk_s * 60:.0f} steps/min")  # fmt: skip
    print()


def simulated() -> None:
    for speed in (0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6):
        errs = []
        for seed in range(3):
            sim = simulate(walking(speed, 120.0), seed=seed)
            res = analyze_samples(sim.samples, PipelineSettings(), sim.truth.sample_rate_hz)
            errs.append((len(res.steps_t_s) - len(sim.truth.steps_s)) / len(sim.truth.steps_s))
        print(f"steps at {speed:.1f} m/s: error {100 * np.mean(np.abs(errs)):.1f}% "
              f"(worst {100 * np.max(np.abs(errs)):.1f}%)")  # fmt: skip
    print()
    rows = []
    for seed in range(21, 31):
        sim = simulate(random_day(seed, hours=0.5, mounting_mode="random"), seed=seed)
        tl = sim.truth.timeline
        res = analyze_samples(sim.samples, PipelineSettings(), sim.truth.sample_rate_hz)
        worn = tl.posture != Posture.NOT_WORN
        up = worn & (tl.inclination_deg < 60)
        change = np.zeros(len(tl.posture), bool)
        change[1:] = tl.posture[1:] != tl.posture[:-1]
        near = binary_dilation(change, iterations=100)
        ok = res.posture == tl.posture

        def rmse(a: np.ndarray, b: np.ndarray, s: np.ndarray) -> float:
            return float(np.sqrt(np.mean((a[s] - b[s]) ** 2)))

        rows.append((rmse(res.flexion_deg, tl.flexion_deg, up),
                     rmse(res.lateral_deg, tl.lateral_deg, up),
                     rmse(res.inclination_deg, tl.inclination_deg, worn),
                     float(ok[~near].mean()), float(ok.mean())))  # fmt: skip
        print(f"simulated day {seed} (random mounting): flexion {rows[-1][0]:.2f}°, lateral "
              f"{rows[-1][1]:.2f}°, inclination {rows[-1][2]:.2f}° RMSE; posture "
              f"{rows[-1][3]:.3f} (±1 s of changes excluded), {rows[-1][4]:.3f} (all)")  # fmt: skip
    m = np.mean(rows, axis=0)
    print(f"simulated days, mean: flexion {m[0]:.2f}°, lateral {m[1]:.2f}°, inclination "
          f"{m[2]:.2f}° RMSE; posture {m[3]:.3f} / {m[4]:.3f}")  # fmt: skip


if __name__ == "__main__":
    public()
    simulated()
    sys.exit(0)
