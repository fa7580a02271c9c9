"""Exercise sets: reps, ranges, holds, pauses and partial reps."""

from __future__ import annotations

import numpy as np
import pytest
from sim_factories import make

from processing.types import Posture
from simulator.schema import EXERCISES


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_produces_its_reps(name: str) -> None:
    res = make([{"type": "exercise", "exercise": name, "reps": 4}], rate=25.0)
    (s,) = res.truth.sets
    assert s.exercise == name
    assert len(s.reps) == 4
    starts = [r.start_s for r in s.reps]
    assert starts == sorted(starts)
    assert all(r.end_s > r.start_s for r in s.reps)
    assert s.start_s <= s.reps[0].start_s and s.reps[-1].end_s <= s.end_s + 1e-9


def test_bridge_range_and_holds_show_in_the_truth_angles() -> None:
    res = make(
        [{"type": "exercise", "exercise": "bridge", "reps": 3, "range_deg": 20, "hold_s": 4}]
    )
    (s,) = res.truth.sets
    tl = res.truth.timeline
    assert tl is not None
    for rep in s.reps:
        assert rep.hold_s == 4 and rep.range_deg == -20
        inside = (tl.t_s >= rep.start_s) & (tl.t_s <= rep.end_s)
        incl = tl.inclination_deg[inside]
        # Supine is 90° of inclination; the bridge tips the pelvis 20° further.
        assert incl.max() - incl.min() == pytest.approx(20, abs=1.0)
        # The trunk stays horizontal through the set: that is "lying" to a lumbar sensor.
        assert np.all(tl.posture[inside] == Posture.LYING)


def test_partial_reps_and_pauses() -> None:
    res = make(
        [
            {
                "type": "exercise",
                "exercise": "pelvic_tilt",
                "reps": 30,
                "range_deg": 10,
                "partial_probability": 0.5,
                "pause_probability": 1.0,
                "pause_max_s": 10,
            }
        ]
    )
    (s,) = res.truth.sets
    partial = [r for r in s.reps if r.partial]
    assert 5 < len(partial) < 25
    assert all(abs(r.range_deg) == 5 for r in partial)
    gaps = np.array([b.start_s - a.end_s for a, b in zip(s.reps, s.reps[1:], strict=False)])
    assert gaps.max() <= 0.5 + 10 + 1e-9 and gaps.max() > 3


def test_five_times_sit_to_stand_stands_up_five_times() -> None:
    res = make([{"type": "exercise", "exercise": "sit_to_stand", "reps": 5, "tempo": 2.0}])
    (s,) = res.truth.sets
    assert len(s.reps) == 5
    tl = res.truth.timeline
    assert tl is not None
    inside = (tl.t_s >= s.start_s) & (tl.t_s <= s.end_s)
    z = res.plan.body_pose(tl.t_s[inside])[:, 5]
    highs = np.sum((z[1:] > z.min() + 0.35) & (z[:-1] <= z.min() + 0.35))
    assert highs == 5
