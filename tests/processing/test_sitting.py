"""Sitting bouts from hand-made postures and trunk angles: when a bout is past the limit."""

from __future__ import annotations

import numpy as np

from processing.event_types import EventChunk, Phase
from processing.sitting import SittingBouts
from processing.types import Posture
from spinewatch.profiles import load_profile

RATE = 50.0
LIMIT_S = 120.0


def _bout(sat_s: float, still_until_s: float) -> EventChunk:
    """Standing 10 s, then sitting (the posture) for ``sat_s`` seconds, the trunk still on
    the seat until ``still_until_s`` after sitting down and leaning 20°/s back after it (lying
    back on a bed, which the posture sees as sitting for a moment); then lying."""
    t = np.arange(round((10 + sat_s + 20) * RATE)) / RATE
    posture = np.full(len(t), Posture.STANDING, dtype=np.int8)
    posture[t >= 10] = Posture.SITTING
    posture[t >= 10 + sat_s] = Posture.LYING
    flex = np.where(t >= 10, -15.0, 0.0)
    moving = t >= 10 + still_until_s
    flex[moving] = -15.0 - 20.0 * (t[moving] - 10 - still_until_s)
    flex = np.maximum(flex, -90.0)
    n = len(t)
    return EventChunk(t, flex, np.zeros(n), posture, np.zeros(n), np.full(n, 9.81),
                      np.tile([0.0, 0.0, 1.0], (n, 1)), np.zeros(n, bool), np.zeros(n),
                      np.zeros(n, bool))  # fmt: skip


def _events(c: EventChunk) -> list[tuple[Phase, float, float]]:
    det = SittingBouts(load_profile("fusion_weeks_0_6", {"sitting_max_min": LIMIT_S / 60}))
    notices = det.update(c) + det.finish()
    return [(x.phase, x.event.start_s, x.event.end_s) for x in notices]


def test_a_bout_whose_trunk_left_the_seat_just_short_of_the_limit_is_not_past_it() -> None:
    # The posture says sitting 1 s past the limit, but the trunk began to lie back 0.5 s
    # before it: the patient did not sit that long, and no alert goes out.
    assert _events(_bout(sat_s=LIMIT_S + 1.0, still_until_s=LIMIT_S - 0.5)) == []


def test_a_bout_past_the_limit_with_the_trunk_still_alerts_and_ends_when_it_moves() -> None:
    events = _events(_bout(sat_s=LIMIT_S + 3.0, still_until_s=LIMIT_S + 2.0))
    assert [e[0] for e in events] == [Phase.OPENED, Phase.CLOSED]
    _, start, end = events[-1]
    assert abs(start - 10.0) < 0.1 and abs(end - (10 + LIMIT_S + 2.0)) < 0.1
