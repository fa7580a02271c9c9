"""Walking sessions of the home programme, from the posture stream."""

from __future__ import annotations

import itertools

import numpy as np

from processing.adherence import adherence
from processing.exercise_types import Prescribed
from processing.types import Posture
from processing.walking_sessions import WalkingSessions

RATE = 10.0


def _day(pieces: list[tuple[Posture, float]]) -> tuple[np.ndarray, np.ndarray]:
    posture = np.concatenate([np.full(round(s * RATE), int(p), np.int8) for p, s in pieces])
    return np.arange(len(posture)) / RATE, posture


DAY = _day([
    (Posture.SITTING, 600),
    (Posture.WALKING, 200), (Posture.STANDING, 40), (Posture.WALKING, 250),  # one walk, a stop
    (Posture.SITTING, 900),
    (Posture.WALKING, 240),  # too short for a session
    (Posture.STANDING, 120),
    (Posture.WALKING, 400), (Posture.STANDING, 90), (Posture.WALKING, 400),  # two: long stop
    (Posture.SITTING, 300),
])  # fmt: skip


def _sessions(sizes: list[int] | None = None) -> list[tuple[float, float, float]]:
    t, posture = DAY
    det = WalkingSessions(RATE)
    found = []
    cuts = [0, len(t)] if sizes is None else sorted({0, len(t), *np.cumsum(sizes).clip(0, len(t))})
    for a, b in itertools.pairwise(cuts):
        found += det.update(t[a:b], posture[a:b])
    found += det.finish()
    return [(s.start_s, s.end_s, round(s.reps[0].hold_s, 1)) for s in found]


def test_walks_of_five_minutes_are_sessions_and_short_stops_do_not_end_them() -> None:
    sessions = _sessions()
    assert [(round(a), round(b), walked) for a, b, walked in sessions] == [
        (600, 1090, 450.0),  # 200 s + 250 s walked, the 40 s stop inside
        (2350, 2750, 400.0),
        (2840, 3240, 400.0),
    ]


def test_chunking_does_not_change_sessions() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        assert _sessions(rng.integers(1, 3000, size=400).tolist()) == _sessions()


def test_a_walking_prescription_is_counted_like_holds() -> None:
    t, posture = DAY
    det = WalkingSessions(RATE)
    sets = [*det.update(t, posture), *det.finish()]
    plan = [Prescribed("walking", 2, None, 420.0, 7)]
    day = adherence(sets, plan)["days"][0]["exercises"]["walking"]
    assert (day["sets_done"], day["sets_prescribed"]) == (3, 2)
    assert day["holds_long_enough"] == 3  # 450 s, 400 s, 400 s against 0.8 × 420 s
