"""Scenario parsing: defaults, ranges, and errors that name the key, value and allowed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator import builtin_scenarios, load_scenario, parse_scenario
from simulator.scenario import resolve_scenario
from spinewatch.errors import ScenarioError


def _one(**act: Any) -> dict[str, Any]:
    return {"activity": [act]}


@pytest.mark.parametrize(
    ("doc", "where", "words"),
    [
        (_one(type="jogging", duration_s=5), "activity[0].type", "walking"),
        (_one(type="walking"), "activity[0] (walking).duration_s", "duration_min"),
        (
            _one(type="walking", duration_s=5, sped_mps=1),
            "activity[0] (walking).sped_mps",
            "speed_mps",
        ),
        (
            _one(type="walking", duration_s=5, speed_mps=9),
            "activity[0] (walking).speed_mps",
            "[0.2, 2.2]",
        ),
        (
            _one(type="walking", duration_s=5, speed_mps=[1.2, 0.5]),
            "activity[0] (walking).speed_mps",
            "low <= high",
        ),
        (_one(type="lift", technique="deadlift"), "activity[0] (lift).technique", "squat"),
        (_one(type="bend", count=0), "activity[0] (bend).count", "[1, 10000]"),
        (_one(type="exercise", exercise="plank"), "activity[0] (exercise).exercise", "bridge"),
        (_one(type="walking", duration_s="long"), "activity[0] (walking).duration_s", "number"),
        ({"activity": []}, "activity", "activity"),
        ({**_one(type="standing", duration_s=1), "colour": 1}, "colour", "name"),
        (
            {**_one(type="standing", duration_s=1), "mounting": {"mode": "glued"}},
            "mounting.mode",
            "near_nominal",
        ),
        (
            {**_one(type="standing", duration_s=1), "imu": {"sample_rate_hz": 1000}},
            "imu.sample_rate_hz",
            "400",
        ),
    ],
)
def test_invalid_scenarios_raise_scenario_error(
    doc: dict[str, Any], where: str, words: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert info.value.where == where
    assert words in info.value.one_line()


def test_error_names_the_activity_index() -> None:
    doc = {
        "activity": [{"type": "standing", "duration_s": 1}, {"type": "sitting", "duration_s": -3}]
    }
    with pytest.raises(ScenarioError, match=r"activity\[1\] \(sitting\)\.duration_s"):
        parse_scenario(doc)


def test_ranges_are_drawn_per_use_and_fixed_values_kept() -> None:
    sc = parse_scenario(_one(type="walking", duration_min=2, speed_mps=[0.5, 0.7]))
    act = sc.activities[0]
    assert act.duration_s == 120
    rng = np.random.default_rng(0)
    draws = [act.num("speed_mps", rng) for _ in range(50)]
    assert 0.5 <= min(draws) < max(draws) <= 0.7
    assert act.num("turn_rate_dps", rng) >= 60  # schema default range


def test_builtin_scenarios_parse_and_have_the_advertised_length() -> None:
    from simulator import Simulation

    names = builtin_scenarios()
    assert {"demo_day", "walking_speeds", "day"} <= set(names)
    demo = Simulation(resolve_scenario("demo_day"), seed=0).plan.duration_s
    assert 15 * 60 <= demo <= 30 * 60
    day = Simulation(resolve_scenario("day"), seed=0).plan.duration_s
    assert 15 * 3600 <= day <= 17 * 3600


def test_load_scenario_reports_missing_files_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[activity]\ntype=", encoding="utf-8")
    with pytest.raises(ScenarioError, match="TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="built-in"):
        resolve_scenario("no_such_scenario")
