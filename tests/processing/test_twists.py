"""Twists from hand-made heading rates: what turns the whole body is no twist."""

from __future__ import annotations

import numpy as np
import pytest

from processing.event_types import EventChunk, Phase
from processing.twists import TWIST_LYING_S, TwistDetector
from processing.types import Posture
from spinewatch.profiles import load_profile

RATE = 50.0


def _day(lying_s: float, upright_s: float, turn_deg: float, back: bool = True) -> EventChunk:
    """Lying, then ``upright_s`` seconds standing still, then a turn of ``turn_deg`` at
    120°/s (and back, when ``back``), then 10 s still."""
    rate_dps = 120.0
    half = round(turn_deg / rate_dps * RATE)
    yaw = np.r_[
        np.zeros(round((lying_s + upright_s) * RATE)),
        np.full(half, rate_dps), np.full(half if back else 0, -rate_dps),
        np.zeros(round(10 * RATE)),
    ]  # fmt: skip
    n = len(yaw)
    posture = np.full(n, Posture.STANDING, dtype=np.int8)
    posture[: round(lying_s * RATE)] = Posture.LYING
    return EventChunk(
        t_s=np.arange(n) / RATE,
        flexion_deg=np.zeros(n),
        lateral_deg=np.zeros(n),
        posture=posture,
        yaw_rads=np.radians(yaw),
        acc_norm_mps2=np.full(n, 9.81),
        up_s=np.tile([0.0, 0.0, 1.0], (n, 1)),
        gap=np.zeros(n, bool),
        vert_mps2=np.zeros(n),
        step_peak=np.zeros(n, bool),
    )


def _twists(c: EventChunk, sizes: int | None = None) -> list[tuple[float, float]]:
    det = TwistDetector(load_profile("maintenance", {"twist_limit_deg": 20}))
    eligible = c.posture != Posture.LYING
    notices = []
    n = len(c.t_s)
    step = sizes or n
    for a in range(0, n, step):
        part = EventChunk(*(x[a : a + step] for x in (
            c.t_s, c.flexion_deg, c.lateral_deg, c.posture, c.yaw_rads, c.acc_norm_mps2,
            c.up_s, c.gap, c.vert_mps2, c.step_peak)))  # fmt: skip
        notices += det.update(part, eligible[a : a + step])
    notices += det.finish()
    return [(n.event.start_s, n.event.peak_deg) for n in notices if n.phase is Phase.CLOSED]


def test_a_turn_right_after_lying_is_getting_up_not_a_twist() -> None:
    assert _twists(_day(lying_s=20, upright_s=0.5 * TWIST_LYING_S, turn_deg=60)) == []


def test_the_same_turn_standing_a_while_after_lying_is_a_twist() -> None:
    ((start, peak),) = _twists(_day(lying_s=20, upright_s=2 * TWIST_LYING_S, turn_deg=60))
    assert abs(start - (20 + 2 * TWIST_LYING_S)) < 0.1 and abs(peak - 60) < 1
    ((start7, peak7),) = _twists(_day(20, 2 * TWIST_LYING_S, 60), sizes=7)
    assert start7 == start and peak7 == pytest.approx(peak, abs=1e-9)


def test_lying_down_right_after_turning_round_makes_it_no_twist() -> None:
    # Sitting on the bed, the legs swing round and the patient lies down.
    c = _day(lying_s=0, upright_s=5, turn_deg=60, back=False)
    posture = c.posture.copy()
    turn_end = round((5 + 0.5) * RATE)
    posture[turn_end + round(0.5 * TWIST_LYING_S * RATE) :] = Posture.LYING
    lying_after = EventChunk(c.t_s, c.flexion_deg, c.lateral_deg, posture, c.yaw_rads,
                             c.acc_norm_mps2, c.up_s, c.gap, c.vert_mps2, c.step_peak)  # fmt: skip
    assert len(_twists(c)) == 1
    assert _twists(lying_after) == []


def test_a_twist_that_came_back_before_lying_down_is_a_twist() -> None:
    c = _day(lying_s=0, upright_s=5, turn_deg=60)
    posture = c.posture.copy()
    posture[round((5 + 1.0 + 0.5) * RATE) :] = Posture.LYING  # 0.5 s after it came back
    lying_after = EventChunk(c.t_s, c.flexion_deg, c.lateral_deg, posture, c.yaw_rads,
                             c.acc_norm_mps2, c.up_s, c.gap, c.vert_mps2, c.step_peak)  # fmt: skip
    assert len(_twists(lying_after)) == 1
