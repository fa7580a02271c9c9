"""Exercise recognition figures, printed: rep counts, recognition, false sets.

* Simulated sets of every exercise (fixed seeds): tempo 0.5–2× nominal, 3–12 reps,
  ranges drawn per rep from the exercise's usual range, pauses of up to 10 s inside the
  set, partial reps, sensor noise, random mounting. Printed: % of sets within ±1 rep,
  % exact, % recognised as the right exercise (among all eight), per exercise and pooled.
* Simulated days with exercise sets among everyday activities: the same figures for the
  sets in context (what came before and after a set may join it).
* Simulated ordinary days without exercise: false sets per 24 h.
* SisFall D07/D09 (sitting down and getting up once): sit-to-stand sets (need
  ../shared/datasets).

Run: ``python benchmarks/accuracy_exercise.py [--sets-per-exercise N] [--hours H]``
(defaults 25 and 24: about two minutes; days with exercise run for half the hours).
"""

from __future__ import annotations

import argparse

import numpy as np

from processing.exercise import canonical_name, recognize_exercises
from processing.exercise_types import Prescribed
from processing.pipeline import PipelineSettings, analyze_samples
from simulator import simulate
from simulator.exercise_trials import expected_reps, trial_activities
from simulator.scenarios import from_activities, random_day
from simulator.schema import EXERCISES
from spinewatch import datasets as ds

RATE = 50.0
DAY_BLOCK_H = 3.0  # ordinary days are simulated in blocks of this many hours


def rep_counts(per_exercise: int) -> None:
    errors: dict[str, list[int]] = {e: [] for e in EXERCISES}
    named: dict[str, list[bool]] = {e: [] for e in EXERCISES}
    extra = 0
    for k in range(per_exercise * len(EXERCISES)):
        ex = EXERCISES[k % len(EXERCISES)]
        seed = 1000 + k
        acts = trial_activities(ex, np.random.default_rng(seed))
        sim = simulate(
            from_activities(acts, mounting={"mode": "random"}),
            seed=seed,
            sample_rate_hz=RATE,
            ideal_imu=False,
        )
        res = analyze_samples(sim.samples, PipelineSettings(), RATE)
        found = recognize_exercises(res, RATE)
        (truth,) = sim.truth.sets
        near = [s for s in found if s.start_s < truth.end_s + 5 and s.end_s > truth.start_s - 5]
        extra += len(found) - len(near)
        errors[ex].append(sum(s.rep_count for s in near) - expected_reps(truth))
        named[ex].append({s.exercise for s in near} == {canonical_name(ex)})
    print(f"simulated sets, {per_exercise} per exercise ({RATE:g} Hz, noise, random mounting):")
    print(f"  {'exercise':20s} {'±1 rep':>7s} {'exact':>7s} {'named':>7s}  errors")
    for ex in EXERCISES:
        e = np.abs(errors[ex])
        print(f"  {ex:20s} {np.mean(e <= 1):7.0%} {np.mean(e == 0):7.0%} "
              f"{np.mean(named[ex]):7.0%}  {sorted(set(errors[ex]))}")  # fmt: skip
    all_err = np.abs([x for v in errors.values() for x in v])
    all_named = [x for v in named.values() for x in v]
    print(f"  {'all':20s} {np.mean(all_err <= 1):7.1%} {np.mean(all_err == 0):7.1%} "
          f"{np.mean(all_named):7.1%}  ({len(all_err)} sets; {extra} extra sets)")  # fmt: skip


def false_sets(hours: float) -> None:
    blocks = max(1, round(hours / DAY_BLOCK_H))
    block_h = min(hours, DAY_BLOCK_H)
    found, total_h = 0, 0.0
    for i in range(blocks):
        seed = 500 + i
        sim = simulate(
            random_day(seed, hours=block_h, include_exercise=False, mounting_mode="random"),
            seed=seed,
            sample_rate_hz=RATE,
            ideal_imu=False,
        )
        res = analyze_samples(sim.samples, PipelineSettings(), RATE)
        sets = recognize_exercises(res, RATE)
        found += len(sets)
        total_h += sim.truth.duration_s / 3600.0
        for s in sets:
            print(f"    false set: seed {seed} {s.exercise} at {s.start_s:.0f} s ({s.rep_count})")
    print(f"ordinary days without exercise: {found} false sets in {total_h:.1f} h "
          f"= {found / total_h * 24:.2f} per 24 h")  # fmt: skip


def days_with_exercise(hours: float) -> None:
    """Sets inside simulated days (whatever came before and after them), against the truth."""
    blocks = max(1, round(hours / DAY_BLOCK_H))
    block_h = min(hours, DAY_BLOCK_H)
    errors: list[int] = []
    named: list[bool] = []
    extra = 0
    for i in range(blocks):
        seed = 700 + i
        sim = simulate(
            random_day(seed, hours=block_h, include_exercise=True, mounting_mode="random"),
            seed=seed,
            sample_rate_hz=RATE,
            ideal_imu=False,
        )
        res = analyze_samples(sim.samples, PipelineSettings(), RATE)
        found = recognize_exercises(res, RATE)
        used: set[int] = set()
        for truth in sim.truth.sets:
            near = [
                k
                for k, s in enumerate(found)
                if s.start_s < truth.end_s + 5 and s.end_s > truth.start_s - 5 and k not in used
            ]
            used.update(near)
            errors.append(sum(found[k].rep_count for k in near) - expected_reps(truth))
            named.append({found[k].exercise for k in near} == {canonical_name(truth.exercise)})
        extra += len(found) - len(used)
    e = np.abs(errors)
    print(f"sets inside simulated days with exercise ({blocks} x {block_h:g} h, {len(e)} sets): "
          f"±1 rep {np.mean(e <= 1):.1%}, exact {np.mean(e == 0):.1%}, "
          f"named {np.mean(named):.1%}, {extra} extra sets")  # fmt: skip


def sisfall() -> None:
    if ds.datasets_dir() is None:
        print("SisFall: absent (../shared/datasets); skipped")
        return
    sts = [Prescribed("sit_to_stand", reps=5)]
    for path in ds.sisfall_files():
        if path.name[:3] not in ("D07", "D09"):
            continue
        rec = ds.load_sisfall(path)
        res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz)
        sets = recognize_exercises(res, rec.sampling_rate_hz, sts)
        print(f"SisFall {path.name}: {len(sets)} sit-to-stand sets")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets-per-exercise", type=int, default=25)
    ap.add_argument("--hours", type=float, default=24.0, help="ordinary activity, h")
    args = ap.parse_args()
    rep_counts(args.sets_per_exercise)
    days_with_exercise(args.hours / 2)
    false_sets(args.hours)
    sisfall()


if __name__ == "__main__":
    main()
