"""Lift-like movements from hand-made signals: stoops, squats, seats, transitions, chunking."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from processing.event_types import Phase
from processing.lifts import LiftDetector
from processing.types import Posture
from spinewatch.profiles import load_profile

RATE = 50.0


def _min_jerk(n: int) -> np.ndarray:
    s = np.linspace(0.0, 1.0, n)
    return 10 * s**3 - 15 * s**4 + 6 * s**5


class Day:
    """Builds flexion (°), pelvis height (m) and posture sample by sample, piece by piece;
    the side bend stays at ``lateral_deg`` (a patient whose standing reads off upright)."""

    def __init__(self, lateral_deg: float = 0.0) -> None:
        self.flex = [0.0]
        self.height = [0.0]
        self.posture = [int(Posture.STANDING)]
        self.lat = [lateral_deg]

    def hold(self, seconds: float, posture: Posture = Posture.STANDING) -> Day:
        n = round(seconds * RATE)
        self.flex += [self.flex[-1]] * n
        self.height += [self.height[-1]] * n
        self.posture += [int(posture)] * n
        self.lat += [self.lat[-1]] * n
        return self

    def move(self, seconds: float, flex_to: float, height_to: float,
             posture: Posture = Posture.OTHER) -> Day:  # fmt: skip
        n = round(seconds * RATE)
        s = _min_jerk(n + 1)[1:]
        f0, h0 = self.flex[-1], self.height[-1]
        self.flex += list(f0 + (flex_to - f0) * s)
        self.height += list(h0 + (height_to - h0) * s)
        self.posture += [int(posture)] * n
        self.lat += [self.lat[-1]] * n
        return self

    def lean(self, seconds: float, peak: float, height_to: float) -> Day:
        """A brief forward lean out and back while the pelvis moves to ``height_to``."""
        n = round(seconds * RATE)
        s = np.linspace(0.0, 1.0, n + 1)[1:]
        h0 = self.height[-1]
        self.flex += list(peak * np.sin(np.pi * s) ** 2)
        self.height += list(h0 + (height_to - h0) * _min_jerk(n + 1)[1:])
        self.posture += [int(Posture.OTHER)] * n
        self.lat += [self.lat[-1]] * n
        return self

    def side_lean(self, seconds: float, peak: float, height_to: float) -> Day:
        """A brief side bend out and back (``peak`` degrees, + right) while the pelvis moves
        to ``height_to``."""
        n = round(seconds * RATE)
        s = np.linspace(0.0, 1.0, n + 1)[1:]
        h0, l0 = self.height[-1], self.lat[-1]
        self.flex += [self.flex[-1]] * n
        self.lat += list(l0 + peak * np.sin(np.pi * s) ** 2)
        self.height += list(h0 + (height_to - h0) * _min_jerk(n + 1)[1:])
        self.posture += [int(Posture.OTHER)] * n
        return self

    def arrays(self) -> tuple[np.ndarray, ...]:
        flex = np.asarray(self.flex)
        t = np.arange(len(flex)) / RATE
        vert = np.gradient(np.gradient(np.asarray(self.height), t), t)
        return t, flex, np.asarray(self.lat), np.asarray(self.posture, np.int8), vert


def _lifts(day: Day, sizes: list[int] | None = None) -> list[tuple[str, float, float]]:
    det = LiftDetector(load_profile("fusion_weeks_0_6"), RATE)
    t, flex, lat, posture, vert = day.arrays()
    gap = np.zeros(len(t), bool)
    notices = []
    cuts = [] if sizes is None else np.cumsum(sizes).tolist()
    bounds = sorted({0, len(t), *(min(int(c), len(t)) for c in cuts)})
    for a, b in itertools.pairwise(bounds):
        notices += det.update(t[a:b], flex[a:b], lat[a:b], posture[a:b], vert[a:b], gap[a:b])
    notices += det.finish()
    return [(n.event.technique, n.event.start_s, n.event.end_s)
            for n in notices if n.phase is Phase.CLOSED]  # fmt: skip


def test_a_stoop_is_a_lift() -> None:
    day = Day().hold(3).move(1.2, 60, -0.05).hold(1).move(1.5, 0, 0).hold(10)
    ((technique, start, end),) = _lifts(day)
    assert technique == "stoop"
    # The movement's own start and end (3.0 s, 6.7 s), not the lean thresholds' crossings.
    assert abs(start - 3.0) < 0.25 and abs(end - 6.7) < 0.25


def test_a_slow_shallow_squat_is_timed_from_its_start_to_its_end() -> None:
    day = Day().hold(3).move(1.8, 18, -0.4).hold(1).move(2.7, 0, 0).hold(10)
    ((technique, start, end),) = _lifts(day)
    assert technique == "squat"
    assert abs(start - 3.0) < 0.35 and abs(end - 8.5) < 0.35


def test_a_squat_soon_after_a_lean_at_the_start_of_the_data_is_a_squat() -> None:
    # The episode opens with a short lean at the start of the data, so little rest was
    # recorded before it: the pelvis drop is integrated from the squat's own onset.
    day = Day().move(0.3, 9, 0).move(0.3, 0, 0).hold(4).move(1.5, 30, -0.4).hold(1)
    day.move(1.5, 0, 0).hold(10)
    assert [x[0] for x in _lifts(day)] == ["squat"]


def test_a_squat_with_the_trunk_flexed_is_a_squat() -> None:
    day = Day().hold(3).move(1.5, 30, -0.4).hold(1).move(1.5, 0, 0).hold(10)
    assert [x[0] for x in _lifts(day)] == ["squat"]


def test_an_upright_squat_needs_the_pelvis_drop_and_a_shallow_lean_alone_is_no_lift() -> None:
    # Trunk flexed only 12°: a lift-like movement when the pelvis went 40 cm down (a squat
    # with an upright back), nothing when it stayed up (leaning a little, held).
    squat = Day().hold(3).move(1.5, 12, -0.4).hold(1.5).move(1.5, 0, 0).hold(10)
    lean = Day().hold(3).move(1.5, 12, 0.0).hold(1.5).move(1.5, 0, 0).hold(10)
    assert [x[0] for x in _lifts(squat)] == ["squat"]
    assert _lifts(lean) == []


def test_two_brief_leans_around_a_lowered_spell_are_one_squat() -> None:
    # Down with a lean, upright at the bottom, up with a lean (SisFall D15).
    day = Day().hold(3).lean(1.2, 22, -0.45).hold(3).lean(1.2, 28, 0.0).hold(10)
    assert [x[0] for x in _lifts(day)] == ["squat"]


def test_the_same_leans_onto_a_seat_that_tilts_the_pelvis_back_are_no_lift() -> None:
    day = (Day().hold(3).lean(1.2, 22, -0.45).move(0.8, -15, -0.45).hold(3)
           .move(0.5, 0, -0.45).lean(1.2, 28, 0.0).hold(10))  # fmt: skip
    assert _lifts(day) == []


def test_brief_leans_that_do_not_lower_the_pelvis_are_no_lift() -> None:
    day = Day().hold(3).lean(1.2, 22, 0.0).hold(3).lean(1.2, 22, 0.0).hold(10)
    assert _lifts(day) == []


@pytest.mark.parametrize("into", [Posture.SITTING, Posture.LYING])
def test_a_lean_into_a_seat_or_a_bed_is_a_transition(into: Posture) -> None:
    day = Day().hold(3).move(1.2, 60, -0.4).move(1.0, 0, -0.4).hold(20, into)
    assert _lifts(day) == []


def test_getting_up_from_a_seat_is_no_lift() -> None:
    day = (Day().hold(20, Posture.SITTING).move(1.0, 45, 0.0).move(1.0, 0, 0.0)
           .hold(10))  # fmt: skip
    assert _lifts(day) == []


def test_sitting_down_with_a_lean_that_swings_back_into_the_seat_is_no_lift() -> None:
    # Forward to 36°, then straight back through upright into a reclined seat (-22°).
    day = Day().hold(3).move(0.8, 36, -0.2).move(1.0, -22, -0.45).hold(20, Posture.SITTING)
    assert _lifts(day) == []


def test_getting_up_from_a_reclined_seat_is_no_lift() -> None:
    # From -14° the trunk swings through upright to 40° and back: the instant it passes
    # upright must not cut off a sliver of the getting up and leave a "lift".
    day = Day().hold(3).move(1.0, -14, -0.45).hold(20, Posture.SITTING)
    day.move(0.6, 40, -0.2).move(1.0, 0, 0.0).hold(10)
    assert _lifts(day) == []


def test_a_lift_right_after_getting_up_from_a_reclined_seat_is_kept() -> None:
    day = Day().hold(3).move(1.0, -14, -0.45).hold(20, Posture.SITTING)
    day.move(0.6, 40, -0.2).move(1.0, 0, 0.0).hold(0.6)
    day.move(1.2, 80, -0.05).hold(1.5).move(1.8, 0, 0).hold(10)
    assert [x[0] for x in _lifts(day)] == ["stoop"]


def test_a_lift_then_standing_a_while_then_leaning_back_into_a_seat_keeps_the_lift() -> None:
    day = Day().hold(3).move(1.2, 80, -0.05).hold(3).move(1.8, 0, 0).hold(3.5)
    day.move(1.0, -26, -0.45).hold(20, Posture.SITTING)
    assert [x[0] for x in _lifts(day)] == ["stoop"]


def test_lifts_in_a_row_then_sitting_down_keep_the_lifts() -> None:
    day = Day().hold(3)
    for _ in range(3):
        day.move(1.2, 70, -0.05).hold(0.8).move(1.5, 0, 0).hold(2)
    day.lean(1.2, 22, -0.45).move(0.8, -15, -0.45).hold(30, Posture.SITTING)
    assert [x[0] for x in _lifts(day)] == ["stoop"] * 3


def test_lifts_from_standing_that_reads_a_few_degrees_off_upright_stay_apart() -> None:
    # Standing that reads 5° off the day's reference never passes under the 4° that ends a
    # lean: measured from it, three stoops 2.5 s apart would merge into one long episode.
    day = Day(lateral_deg=5.0).hold(5)
    for _ in range(3):
        day.move(1.2, 60, -0.05).hold(1).move(1.5, 0, 0).hold(2.5)
    day.hold(10)
    lifts = _lifts(day)
    assert [x[0] for x in lifts] == ["stoop"] * 3
    for k, (_, start, end) in enumerate(lifts):
        assert abs(start - (5.0 + 6.2 * k)) < 0.25 and abs(end - (8.7 + 6.2 * k)) < 0.25
    assert _lifts(day, [37] * 200) == lifts


def test_getting_up_through_a_moment_read_as_standing_is_no_lift() -> None:
    # Getting up can pass through upright slowly enough to read as standing for a moment;
    # the moment is not yet the patient's standing, so the lean after it is still getting up.
    day = Day().hold(3).move(1.0, -14, -0.45).hold(20, Posture.SITTING)
    day.move(0.3, -5, -0.45, Posture.STANDING).move(0.8, 37, -0.2).move(0.6, 0, 0).hold(10)
    assert _lifts(day) == []


def test_a_busy_minute_of_lifts_and_side_bends_keeps_every_lift() -> None:
    # Lifts and side bends a few seconds apart, for over a minute (clearing up): each
    # movement is judged on its own, not dropped as one long spell of work bent over.
    day = Day().hold(5).move(1.2, 26, -0.45).hold(1).move(1.5, 0, 0).hold(3)
    for k in range(8):
        day.side_lean(2.5, 25 * (-1) ** k, 0.0).hold(3)
    day.move(1.2, 45, -0.05).hold(1).move(1.5, 0, 0).hold(3)
    day.move(1.2, 85, -0.05).hold(1.5).move(1.5, 0, 0).hold(10)
    assert [x[0] for x in _lifts(day)] == ["squat", "stoop", "stoop"]
    assert day.arrays()[0][-1] > 75.0  # longer than an episode may last


def test_side_bends_one_way_then_the_other_are_not_a_squat() -> None:
    # Two brief leans around a lowered spell are a squat only when they go the same way
    # (down and up); the pelvis drop read from a double integral can drift this much.
    day = Day().hold(3).side_lean(1.2, 20, -0.3).hold(1).side_lean(1.2, -20, 0.0).hold(10)
    assert _lifts(day) == []


def test_a_squat_whose_leans_read_sideways_is_a_squat() -> None:
    # Before walking, the forward axis may be a guess: a squat's two leans can read as
    # side leans, but they still go the same way.
    day = Day().hold(3).side_lean(1.2, 15, -0.4).hold(1).side_lean(1.2, 15, 0.0).hold(10)
    assert [x[0] for x in _lifts(day)] == ["squat"]


def test_chunking_does_not_change_lifts() -> None:
    day = Day().hold(3).move(1.2, 60, -0.05).hold(1).move(1.5, 0, 0).hold(3)
    day.lean(1.2, 22, -0.45).hold(3).lean(1.2, 28, 0.0).hold(3)
    day.move(0.8, 36, -0.2).move(1.0, -22, -0.45).hold(20, Posture.SITTING)
    day.move(0.6, 40, -0.2).move(1.0, 0, 0.0).hold(0.6)
    day.move(1.8, 18, -0.4).hold(1).move(2.7, 0, 0).hold(10)
    offline = _lifts(day)
    assert [x[0] for x in offline] == ["stoop", "squat", "squat"]
    rng = np.random.default_rng(0)
    for _ in range(5):
        sizes = rng.integers(1, 200, size=200).tolist()
        assert _lifts(day, sizes) == offline
