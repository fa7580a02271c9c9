"""Exercise sets and rep counts on simulated sets: accuracy, streaming, edge cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from processing.exercise import (
    ExerciseRecognizer,
    canonical_name,
    final_sets,
    recognize_exercises,
)
from processing.exercise_types import ExerciseSet, ExerciseSettings, Prescribed
from processing.pipeline import PipelineSettings, analyze_samples
from processing.results import AnalysisChunk
from simulator import SimResult, simulate
from simulator.exercise_trials import expected_reps, trial_activities
from simulator.scenarios import from_activities, random_day
from simulator.schema import EXERCISES
from spinewatch.errors import InputDataError

RATE = 50.0
WARM_UP: list[dict[str, Any]] = [
    {"type": "standing", "duration_s": 3.0},
    {"type": "walking", "duration_s": 35.0},
    {"type": "standing", "duration_s": 4.0},
]
WALK_OFF: list[dict[str, Any]] = [
    {"type": "standing", "duration_s": 5.0},
    {"type": "walking", "duration_s": 10.0},
]


def _sim(acts: list[dict[str, Any]], seed: int = 1) -> tuple[SimResult, AnalysisChunk]:
    """Simulate with sensor noise and a random mounting, and analyse."""
    sim = simulate(
        from_activities(acts, mounting={"mode": "random"}),
        seed=seed,
        sample_rate_hz=RATE,
        ideal_imu=False,
    )
    return sim, analyze_samples(sim.samples, PipelineSettings(), RATE)


def _sets(
    acts: list[dict[str, Any]], seed: int = 1, prescription: list[Prescribed] | None = None
) -> tuple[SimResult, list[ExerciseSet]]:
    sim, res = _sim(acts, seed)
    return sim, recognize_exercises(res, RATE, prescription)


def _ex(name: str, reps: int, **kw: Any) -> dict[str, Any]:
    return {"type": "exercise", "exercise": name, "reps": reps, **kw}


def test_rep_counts_and_recognition_on_varied_sets() -> None:
    # 5 sets of every exercise: tempo 0.5–2x, 3–12 reps, the exercise's range drawn per rep,
    # pauses of up to 10 s, partial reps, sensor noise, random mounting.
    errors, right_name, extra = [], [], 0
    for seed in range(40):
        ex = EXERCISES[seed % len(EXERCISES)]
        sim, found = _sets(trial_activities(ex, np.random.default_rng(seed)), seed)
        (truth,) = sim.truth.sets
        near = [s for s in found if s.start_s < truth.end_s + 5 and s.end_s > truth.start_s - 5]
        extra += len(found) - len(near)
        errors.append(sum(s.rep_count for s in near) - expected_reps(truth))
        right_name.append({s.exercise for s in near} == {canonical_name(ex)})
    err = np.abs(errors)
    assert np.mean(err <= 1) >= 0.95, errors
    assert np.mean(err == 0) >= 0.80, errors
    assert np.mean(right_name) >= 0.95
    assert extra == 0


@pytest.mark.parametrize("tempo", [1.0, 2.0])
def test_five_times_sit_to_stand_gives_five(tempo: float) -> None:
    sim, found = _sets([*WARM_UP, _ex("sit_to_stand", 5, tempo=tempo), *WALK_OFF])
    assert [(s.exercise, s.rep_count) for s in found] == [("sit_to_stand", 5)]
    (truth,) = sim.truth.sets
    for rep, true in zip(found[0].reps, truth.reps, strict=True):
        assert rep.start_s == pytest.approx(true.start_s, abs=1.0)
        assert rep.end_s == pytest.approx(true.end_s, abs=1.0)


def test_streaming_equals_offline_with_random_chunks() -> None:
    acts = [
        *WARM_UP,
        _ex("standing_extension", 4),
        {"type": "walking", "duration_s": 8.0},
        _ex("bridge", 4, pause_probability=0.5, pause_max_s=8),
        *WALK_OFF,
    ]
    _, res = _sim(acts, seed=3)
    offline = recognize_exercises(res, RATE)
    assert [s.exercise for s in offline] == ["standing_back_extension", "bridge"]
    rng = np.random.default_rng(0)
    for _ in range(3):
        rec = ExerciseRecognizer(RATE)
        reports: list[ExerciseSet] = []
        i = 0
        while i < len(res):
            n = int(rng.integers(1, 400))
            reports += rec.update(_slice(res, i, i + n))
            i += n
        reports += rec.finish()
        assert final_sets(reports) == offline


def test_streaming_equals_offline_over_a_day_with_exercise() -> None:
    # 45 min of everyday life with seven sets (lying, face down, standing), any chunking.
    sim = simulate(
        random_day(9, hours=0.75, include_exercise=True, mounting_mode="random"),
        seed=9,
        sample_rate_hz=RATE,
        ideal_imu=False,
    )
    res = analyze_samples(sim.samples, PipelineSettings(), RATE)
    offline = recognize_exercises(res, RATE)
    assert [s.exercise for s in offline] == [canonical_name(t.exercise) for t in sim.truth.sets]
    rng = np.random.default_rng(1)
    rec = ExerciseRecognizer(RATE)
    reports: list[ExerciseSet] = []
    i = 0
    while i < len(res):
        n = int(rng.integers(1, 3000))
        reports += rec.update(_slice(res, i, i + n))
        i += n
    reports += rec.finish()
    assert final_sets(reports) == offline


def _slice(res: AnalysisChunk, a: int, b: int) -> AnalysisChunk:
    return AnalysisChunk(
        res.start + a,
        res.t_s[a:b],
        res.quat[a:b],
        res.flexion_deg[a:b],
        res.lateral_deg[a:b],
        res.inclination_deg[a:b],
        res.posture[a:b],
        np.empty(0),
    )


def test_a_set_is_reported_within_2_s_of_its_last_rep() -> None:
    acts = [*WARM_UP, _ex("pelvic_tilt", 6), _ex("sit_to_stand", 4), *WALK_OFF]
    _, res = _sim(acts, seed=5)
    rec = ExerciseRecognizer(RATE)
    seen: dict[int, float] = {}  # set index -> stream time its final count was first shown
    finals: list[ExerciseSet] = []
    step = int(RATE * 0.2)
    for i in range(0, len(res), step):
        part = _slice(res, i, i + step)
        for s in rec.update(part):
            finals.append(s)
            if s.final:
                continue
            seen[s.index] = float(part.t_s[-1])
    finals += rec.finish()
    done = [s for s in finals if s.final and s.reps]
    assert [s.exercise for s in done] == ["pelvic_tilt", "sit_to_stand"]
    for s in done:
        provisional = [x for x in finals if x.index == s.index and not x.final]
        assert provisional[-1].rep_count == s.rep_count
        assert seen[s.index] <= s.reps[-1].end_s + 2.0


def test_a_set_interrupted_by_walking_away_keeps_every_rep() -> None:
    acts = [
        *WARM_UP,
        _ex("standing_extension", 4, tempo=1.0, rest_s=1.0),
        {"type": "walking", "duration_s": 20.0},
        {"type": "standing", "duration_s": 3.0},
        _ex("standing_extension", 3, tempo=1.0),
        *WALK_OFF,
    ]
    _, found = _sets(acts)
    assert [(s.exercise, s.rep_count) for s in found] == [
        ("standing_back_extension", 4),
        ("standing_back_extension", 3),
    ]


def test_sit_to_stand_interrupted_by_walking_away() -> None:
    acts = [
        *WARM_UP,
        _ex("sit_to_stand", 4, rest_s=1.0),
        {"type": "walking", "duration_s": 20.0},
        _ex("sit_to_stand", 3),
        *WALK_OFF,
    ]
    _, found = _sets(acts)
    assert [(s.exercise, s.rep_count) for s in found] == [("sit_to_stand", 4), ("sit_to_stand", 3)]


def test_two_exercises_back_to_back() -> None:
    # From the back onto hands and knees and back; then two exercises lying on the back
    # with only a 4 s rest between them (one run of reps, split where the exercise changed).
    acts = [
        *WARM_UP,
        _ex("bridge", 5, rest_s=2.0),
        _ex("cat_camel", 4, rest_s=2.0),
        _ex("pelvic_tilt", 6, rest_s=4.0),
        _ex("knee_to_chest", 3),
        *WALK_OFF,
    ]
    _, found = _sets(acts, seed=2)
    assert [(s.exercise, s.rep_count) for s in found] == [
        ("bridge", 5),
        ("cat_camel", 4),
        ("pelvic_tilt", 6),
        ("knee_to_chest", 3),
    ]


def test_a_very_slow_set_with_long_holds() -> None:
    acts = [*WARM_UP, _ex("bridge", 6, tempo=0.5, hold_s=5.0, pause_probability=1.0,
                         pause_max_s=10.0), *WALK_OFF]  # fmt: skip
    _, found = _sets(acts)
    assert [(s.exercise, s.rep_count) for s in found] == [("bridge", 6)]
    assert all(r.hold_s == pytest.approx(5.0, abs=1.0) for r in found[0].reps)


@pytest.mark.parametrize(
    ("name", "range_deg", "expected"),
    [
        ("pelvic_tilt", 3.0, 6),  # just above the 2° minimum: every rep
        ("pelvic_tilt", 1.2, 0),  # below it: no set
        ("standing_extension", 7.0, 6),  # standing, 6° minimum
        ("standing_extension", 4.0, 0),
    ],
)
def test_set_at_the_edge_of_the_minimum_range(name: str, range_deg: float, expected: int) -> None:
    _, found = _sets([*WARM_UP, _ex(name, 6, range_deg=range_deg), *WALK_OFF])
    assert sum(s.rep_count for s in found) == expected


def test_bird_dog_holds_and_wobble() -> None:
    _, found = _sets([*WARM_UP, _ex("bird_dog", 6, hold_s=8.0), *WALK_OFF])
    ((s),) = found
    assert s.exercise == "bird_dog" and s.rep_count == 6
    assert all(r.hold_s == pytest.approx(8.0, abs=1.5) for r in s.reps)
    assert all(0.0 < r.wobble_deg < 3.0 for r in s.reps)


def test_only_prescribed_exercises_are_recognised() -> None:
    acts = [*WARM_UP, _ex("cat_camel", 5), *WALK_OFF, _ex("standing_extension", 5), *WALK_OFF]
    _, res = _sim(acts)
    everything = recognize_exercises(res, RATE)
    assert [s.exercise for s in everything] == ["cat_camel", "standing_back_extension"]
    only_sts = recognize_exercises(res, RATE, [Prescribed("sit_to_stand", reps=5)])
    assert only_sts == []
    face_down = recognize_exercises(res, RATE, [Prescribed("cat_camel", 2, 10)])
    assert [(s.exercise, s.rep_count) for s in face_down] == [("cat_camel", 5)]


def test_bad_input_raises_project_errors() -> None:
    with pytest.raises(InputDataError):
        ExerciseRecognizer(0.0)
    with pytest.raises(InputDataError):
        ExerciseSettings(partial_fraction=0.9, partial_flag_fraction=0.5)
    rec = ExerciseRecognizer(RATE)
    bad = AnalysisChunk(0, np.zeros(3), np.zeros((3, 4)), np.zeros(3), np.zeros(2),
                        np.zeros(3), np.zeros(3, np.int8), np.empty(0))  # fmt: skip
    with pytest.raises(InputDataError):
        rec.update(bad)
