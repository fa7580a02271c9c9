"""Risky movements and falls: boundaries of hold and hysteresis, gaps, chunking, data."""

from __future__ import annotations

import numpy as np
import pytest

from processing.event_types import Event, Phase, Severity
from processing.events import EventChunk, EventDetector
from processing.held import HeldCondition
from processing.pipeline import PipelineSettings, analyze_samples
from processing.types import Posture
from simulator import SimResult, simulate
from simulator.scenarios import from_activities, random_day
from simulator.scoring import borderline, excuse, match_events
from simulator.truth_types import Event as TruthEvent
from spinewatch.profiles import load_profile

RATE = 10.0


def _closed(notices, kind: str | None = None) -> list[Event]:
    return [n.event for n in notices if n.phase is Phase.CLOSED and kind in (None, n.event.type)]


def _chunk(flex: np.ndarray, posture=Posture.STANDING, gap=None, t=None) -> EventChunk:
    n = len(flex)
    return EventChunk(
        t_s=np.arange(n) / RATE if t is None else t,
        flexion_deg=np.asarray(flex, float),
        lateral_deg=np.zeros(n),
        posture=np.full(n, posture, dtype=np.int8),
        yaw_rads=np.zeros(n),
        acc_norm_mps2=np.full(n, 9.81),
        up_s=np.tile([0.0, 0.0, 1.0], (n, 1)),
        gap=np.zeros(n, bool) if gap is None else gap,
        vert_mps2=np.zeros(n),
        step_peak=np.zeros(n, bool),
    )


@pytest.fixture
def profile():
    # Fusion weeks 0–6: flexion limit 25°, hold 3 s, hysteresis 5°.
    return load_profile("fusion_weeks_0_6")


def test_bend_needs_the_hold_time(profile) -> None:
    hold_n = int(profile.flexion_hold_s * RATE)
    over = profile.flexion_limit_deg + 5
    just_short = np.r_[np.zeros(10), np.full(hold_n, over), np.zeros(10)]  # held 2.9 s
    held = np.r_[np.zeros(10), np.full(hold_n + 1, over), np.zeros(10)]  # held 3.0 s
    assert _closed(EventDetector(profile, RATE).update(_chunk(just_short)), "bend") == []
    notices = EventDetector(profile, RATE).update(_chunk(held))
    opened = [n.event for n in notices if n.phase is Phase.OPENED and n.event.type == "bend"]
    assert len(opened) == 1 and opened[0].detected_s == pytest.approx(1.0 + 3.0)
    (bend,) = _closed(notices, "bend")
    assert bend.type == "bend" and bend.start_s == pytest.approx(1.0)
    assert bend.severity is Severity.BEYOND and bend.peak_deg == pytest.approx(over)


def test_hovering_at_the_limit_is_one_bend_not_fifty(profile) -> None:
    lim = profile.flexion_limit_deg
    rng = np.random.default_rng(0)
    # 60 s hovering within the hysteresis band just around the limit.
    flex = lim + rng.uniform(-profile.flexion_hysteresis_deg + 0.5, 2.0, 600)
    flex = np.r_[np.zeros(5), lim + 1, flex, np.zeros(10)]
    bends = _closed(EventDetector(profile, RATE).update(_chunk(flex)), "bend")
    assert len(bends) == 1
    assert bends[0].end_s - bends[0].start_s == pytest.approx(60.1, abs=0.2)


def test_far_beyond_the_limit(profile) -> None:
    flex = np.r_[np.zeros(5), np.full(50, profile.flexion_limit_deg + 30), np.zeros(5)]
    (bend,) = _closed(EventDetector(profile, RATE).update(_chunk(flex)), "bend")
    assert bend.severity is Severity.FAR_BEYOND


def test_a_gap_ends_a_bend_and_no_event_spans_it(profile) -> None:
    over = profile.flexion_limit_deg + 5
    flex = np.full(200, over)
    gap = np.zeros(200, bool)
    gap[100] = True  # samples 0–99 and 100–199 are separated by missing data
    t = np.arange(200) / RATE
    t[100:] += 600.0  # ten minutes missing
    c = _chunk(flex, gap=gap)
    c = EventChunk(
        t,
        c.flexion_deg,
        c.lateral_deg,
        c.posture,
        c.yaw_rads,
        c.acc_norm_mps2,
        c.up_s,
        c.gap,
        c.vert_mps2,
        c.step_peak,
    )
    det = EventDetector(profile, RATE)
    bends = _closed(det.update(c) + det.finish(), "bend")
    assert len(bends) == 2
    assert bends[0].end_s == pytest.approx(9.9) and bends[1].start_s == pytest.approx(610.0)


def test_lying_and_walking_are_not_bends(profile) -> None:
    flex = np.full(100, 80.0)
    for posture in (Posture.LYING, Posture.WALKING, Posture.NOT_WORN):
        assert _closed(EventDetector(profile, RATE).update(_chunk(flex, posture)), "bend") == []


def test_chunking_does_not_change_events(profile) -> None:
    rng = np.random.default_rng(3)
    t = np.arange(6000) / RATE
    flex = 30 * np.sin(t / 7) + 10 + rng.normal(0, 2, len(t))
    one = EventDetector(profile, RATE)
    whole = _closed(one.update(_chunk(flex)) + one.finish())
    det = EventDetector(profile, RATE)
    parts, i = [], 0
    while i < len(flex):
        k = int(rng.integers(1, 40))
        parts += det.update(_chunk(flex[i : i + k], t=t[i : i + k]))
        i += k
    parts += det.finish()
    assert len(whole) > 3
    assert [(e.start_s, e.end_s, e.peak_deg) for e in _closed(parts)] == [
        (e.start_s, e.end_s, e.peak_deg) for e in whole
    ]


def test_profile_overrides_change_what_counts() -> None:
    flex = np.r_[np.zeros(5), np.full(60, 35.0), np.zeros(5)]
    strict = load_profile("fusion_weeks_0_6")
    relaxed = load_profile("fusion_weeks_0_6", {"flexion_limit_deg": 40, "flexion_caution_deg": 30})
    assert len(_closed(EventDetector(strict, RATE).update(_chunk(flex)), "bend")) == 1
    assert _closed(EventDetector(relaxed, RATE).update(_chunk(flex)), "bend") == []


def test_held_condition_boundary_exactly_at_hold() -> None:
    h = HeldCondition("bend", 0.5, lambda p, s, d: (Severity.BEYOND, ""))
    t = np.arange(8) / RATE
    active = np.array([0, 1, 1, 1, 1, 1, 1, 0], bool)  # 0.1 … 0.6 s: held exactly 0.5 s
    notices = h.update(t, active, np.ones(8), np.zeros(8, bool))
    assert [n.phase for n in notices] == [Phase.OPENED, Phase.CLOSED]


def _down_rest_up(rest_s: float, lying_after_s: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Flexion and posture at RATE: standing 2 s, down to 90° in 1.5 s, still ``rest_s``,
    up in 1.5 s, standing 3 s; lying from ``lying_after_s`` past 55° until under 45°."""
    ramp = 90 * (1 - np.cos(np.linspace(0, np.pi, 16))) / 2
    flex = np.r_[np.zeros(20), ramp, np.full(int(rest_s * RATE), 90.0), ramp[::-1], np.zeros(30)]
    posture = np.full(len(flex), Posture.STANDING, dtype=np.int8)
    posture[flex > 20] = Posture.OTHER
    face_down = np.flatnonzero(flex > 55)
    up = face_down[-1] + 1 - int(np.argmax(flex[face_down][::-1] >= 45))  # first under 45°
    posture[face_down[0] + int(lying_after_s * RATE) : up] = Posture.LYING
    return flex, posture


def _with_posture(c: EventChunk, posture: np.ndarray) -> EventChunk:
    return EventChunk(
        c.t_s, c.flexion_deg, c.lateral_deg, posture, c.yaw_rads, c.acc_norm_mps2, c.up_s,
        c.gap, c.vert_mps2, c.step_peak,
    )  # fmt: skip


@pytest.fixture
def no_hold():
    return load_profile("fusion_weeks_0_6", {"flexion_hold_s": 0.0})


def test_getting_down_to_the_floor_ends_the_bend_when_the_trunk_arrives(no_hold) -> None:
    # Face down, lying is only known after 5 s: until then the trunk is a deep bend. The bend
    # ended when the trunk came to rest (1.5 s after it started down), not 5 s later.
    profile = no_hold
    flex, posture = _down_rest_up(rest_s=20.0)
    det = EventDetector(profile, RATE)
    bends = _closed(det.update(_with_posture(_chunk(flex), posture)) + det.finish(), "bend")
    assert len(bends) == 2  # down, and up from hands and knees
    down, up = bends
    t_cross = np.argmax(flex > profile.flexion_limit_deg) / RATE
    assert down.start_s == pytest.approx(t_cross, abs=0.01)
    assert down.end_s == pytest.approx(3.5, abs=0.25)  # at rest at 90° from 3.5 s
    # Up again: the bend began as the trunk started to rise (t = 23.5 s), from 90°, not at
    # the end of lying (under 45°, 0.7 s later).
    assert up.start_s == pytest.approx(23.5, abs=0.25) and up.peak_deg == pytest.approx(90)
    assert up.severity is Severity.FAR_BEYOND


@pytest.mark.xfail(
    strict=True,
    reason="a known limit of one lumbar sensor (README, posture): getting down takes the "
    "trunk past the limit for ~1.5 s, but the "
    "sensor cannot tell it rests on the hands (not stooping) until lying after 5 s, so a "
    "hold under 5 s alerts; the pelvis height would tell (see the deep stoop xfail below)",
)
def test_getting_down_to_the_floor_is_shorter_than_a_3_s_hold(profile) -> None:
    flex, posture = _down_rest_up(rest_s=20.0)
    notices = EventDetector(profile, RATE).update(_with_posture(_chunk(flex), posture))
    assert [n for n in notices if n.phase is Phase.OPENED and n.event.type == "bend"] == []


@pytest.mark.parametrize("hold_s", [0.0, 3.0])
def test_getting_down_and_up_is_the_same_however_chunked(hold_s: float) -> None:
    profile = load_profile("fusion_weeks_0_6", {"flexion_hold_s": hold_s})
    rng = np.random.default_rng(5)
    flex, posture = _down_rest_up(rest_s=8.0)
    flex = np.tile(flex + rng.normal(0, 0.3, len(flex)), 3)
    posture = np.tile(posture, 3)
    t = np.arange(len(flex)) / RATE
    whole = EventDetector(profile, RATE)
    expected = _closed(whole.update(_with_posture(_chunk(flex), posture)) + whole.finish())
    for _ in range(5):
        det, got, i = EventDetector(profile, RATE), [], 0
        while i < len(flex):
            k = int(rng.integers(1, 60))
            c = _with_posture(_chunk(flex[i : i + k], t=t[i : i + k]), posture[i : i + k])
            got += det.update(c)
            i += k
        got += det.finish()
        assert _closed(got) == expected
    assert len(expected) == (6 if hold_s == 0 else 3)


def _held_stoop(hold_s: float) -> SimResult:
    """Walking, standing, then a 60° stoop held ``hold_s`` seconds (a simulated recording)."""
    return simulate(
        from_activities(
            [
                {"type": "walking", "duration_s": 30},
                {"type": "standing", "duration_s": 5},
                {"type": "bend", "peak_deg": 60, "hold_s": hold_s, "duration_s": 3},
                {"type": "standing", "duration_s": 10},
            ]
        ),
        seed=3,
    )


def test_a_held_deep_stoop_alerts_once(profile) -> None:
    # Weeding, bent 60° for 10 s: one bend alert (fusion weeks 0–6: held 3 s), though a
    # lumbar sensor reads a still face-down trunk as lying after 5 s (hands and knees).
    sim = _held_stoop(hold_s=10)
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
    opened = [n.event for n in res.events if n.phase is Phase.OPENED and n.event.type == "bend"]
    (truth,) = sim.truth.events_of("bend")
    assert len(opened) == 1
    assert opened[0].detected_s - truth.start_s == pytest.approx(3.0, abs=0.3)


@pytest.mark.xfail(
    strict=True,
    reason="a known limit of one lumbar sensor (README, posture): a face-down trunk still "
    "for 5 s reads as lying (hands and knees), "
    "so a deep stoop held longer than that never reaches a 10 s hold; telling them apart "
    "needs the pelvis height (kneeling drops it ~0.4 m), which the fast path does not get",
)
def test_a_deep_stoop_held_past_a_long_hold_alerts() -> None:
    profile = load_profile("maintenance")  # hold 10 s
    sim = _held_stoop(hold_s=15)
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
    assert len([n for n in res.events if n.phase is Phase.OPENED and n.event.type == "bend"]) == 1


def test_floor_exercises_give_only_the_bends_of_getting_down_and_up() -> None:
    # The benchmark's rule (30°, no hold): getting down onto the hands and back up are
    # bends; the exercises on the floor (hands and knees, prone) are not.
    profile = load_profile(
        "maintenance", {"flexion_limit_deg": 30, "flexion_caution_deg": 20, "flexion_hold_s": 0.0}
    )
    sim = simulate(
        from_activities(
            [
                {"type": "walking", "duration_s": 60},  # time to find the mounting
                {"type": "standing", "duration_s": 5},
                {"type": "exercise", "exercise": "cat_camel", "reps": 4},
                {"type": "exercise", "exercise": "bird_dog", "reps": 4},
                {"type": "exercise", "exercise": "prone_press_up", "reps": 4},
                {"type": "standing", "duration_s": 10},
            ]
        ),
        seed=4,
    )
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
    truth = sim.truth.events_of("bend")
    assert len(truth) == 2
    score = match_events(truth, _closed(res.events, "bend"))
    assert score.extra == () and score.missed == ()
    for e, d in score.pairs:
        assert abs(d.start_s - e.start_s) < 0.5 and abs(d.end_s - e.end_s) < 0.5
        assert d.peak_deg == pytest.approx(e.peak_deg, abs=5)  # not the cat's 106° after it


def test_prolonged_sitting_opens_at_the_limit() -> None:
    profile = load_profile("fusion_weeks_0_6", {"sitting_max_min": 2.0})
    sim = simulate(
        from_activities(
            [
                {"type": "standing", "duration_s": 10},
                {"type": "walking", "duration_s": 40},
                {"type": "standing", "duration_s": 10},
                {"type": "sitting", "duration_s": 200},
                {"type": "standing", "duration_s": 60},
                {"type": "sitting", "duration_s": 60},
                {"type": "standing", "duration_s": 20},
            ]
        ),
        seed=1,
    )
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
    opened = [
        n.event
        for n in res.events
        if n.phase is Phase.OPENED and n.event.type == "prolonged_sitting"
    ]
    closed = [e for e in _closed(res.events) if e.type == "prolonged_sitting"]
    assert len(opened) == 1 and len(closed) == 1  # the 60 s bout is not prolonged
    assert opened[0].detected_s - opened[0].start_s == pytest.approx(120, abs=1)
    assert closed[0].end_s - closed[0].start_s == pytest.approx(200, abs=8)


@pytest.mark.parametrize("direction", ["forward", "backward", "left", "right"])
def test_simulated_falls_are_found_in_any_mounting(direction: str) -> None:
    sim = simulate(
        from_activities(
            [
                {"type": "walking", "duration_s": 20},
                {"type": "fall", "direction": direction},
                {"type": "standing", "duration_s": 5},
            ],
            mounting={"mode": "random"},
        ),
        seed=7,
    )
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0, load_profile("maintenance"))
    falls = [e for e in _closed(res.events) if e.type == "fall"]
    (truth,) = sim.truth.events_of("fall")
    assert len(falls) == 1
    assert falls[0].severity is Severity.CRITICAL
    assert abs(falls[0].start_s - truth.start_s) < 0.5 and abs(falls[0].end_s - truth.end_s) < 0.5


def test_falls_and_bends_on_simulated_days() -> None:
    # The simulator marks a bend wherever flexion passes 30° (ending 5° under it) unless the
    # trunk rests horizontal: score against the same rule.
    profile = load_profile(
        "maintenance", {"flexion_limit_deg": 30, "flexion_caution_deg": 20, "flexion_hold_s": 0.0}
    )
    tp = fp = fn = falls = strict_hits = strict_found = strict_truth = 0
    # 35 and 47 have no walking (the mounting comes from still postures and bends), 42
    # stands a few degrees off its reference.
    for seed in (21, 22, 35, 42, 47, 48):
        sim = simulate(random_day(seed, hours=0.5, mounting_mode="random"), seed=seed)
        res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
        found = _closed(res.events)
        falls += sum(e.type == "fall" for e in found)
        score = match_events(
            sim.truth.events_of("bend"), [e for e in found if e.type == "bend"]
        )
        strict_truth += score.n_truth
        strict_hits += score.hits
        strict_found += score.n_found
        # Within 2° of the limit is a coin flip for a sensor whose angles are 1–2° off
        # (seed 42 reads 1.2° high all day): neither a miss nor an extra.
        rule = borderline(sim.truth, "bend", profile)
        assert rule is not None
        score = excuse(score, *rule)
        fn += len(score.missed)
        tp += score.hits
        assert score.late(0.5) == ()
        fp += len(score.extra)
    assert falls == 0  # ordinary days: bends, lifts, twists, lying down — no fall
    assert tp / (tp + fn) >= 0.95
    # Getting down to the floor and up are bends in the truth too (issue 3).
    assert tp / (tp + fp) >= 0.95
    # Counting every coin flip: 5 bends peaking 28.9–29.8° are found (the limit is 30°).
    assert strict_hits / strict_truth >= 0.95 and strict_hits / strict_found >= 0.9


def test_lift_like_movements_are_found_with_their_technique() -> None:
    # A sensor cannot weigh a load: the simulator's truth marks its lifts and its bends
    # down to something low (peak 40° or more) as lift-like, and so does the detector.
    profile = load_profile("maintenance")
    found = right = total = extra = 0
    # 34 lifts after a flight of stairs, 42 from standing that reads 5° off upright.
    for seed in (22, 34, 42):
        sim = simulate(random_day(seed, hours=0.5, mounting_mode="random"), seed=seed)
        res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
        lifts = [e for e in _closed(res.events) if e.type == "lift"]
        score = match_events(sim.truth.events_of("lift"), lifts)
        total += score.n_truth
        extra += len(score.extra)
        for e, d in score.pairs:
            found += 1
            right += d.technique == e.technique
            assert abs(d.start_s - e.start_s) < 0.6 and abs(d.end_s - e.end_s) < 0.6
    assert total >= 15
    assert found / total >= 0.95
    assert right / found >= 0.9
    assert found / (found + extra) >= 0.95


def test_twists_out_and_back_are_one_each() -> None:
    # The simulator twists out and back, left then right a second apart: each is one twist.
    profile = load_profile("maintenance", {"twist_limit_deg": 20})
    tp = fp = fn = 0
    for seed in (23, 35, 44):
        sim = simulate(random_day(seed, hours=0.5, mounting_mode="random"), seed=seed)
        res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
        det = [e for e in _closed(res.events) if e.type == "twist"]
        score = match_events(sim.truth.events_of("twist"), det)
        fn += len(score.missed)
        for e, d in score.pairs:
            tp += 1
            assert (d.technique == "left") == (e.technique == "left")
            assert abs(d.start_s - e.start_s) < 0.5 and abs(d.end_s - e.end_s) < 0.5
        fp += len(score.extra)
    assert tp >= 10
    assert tp / (tp + fn) >= 0.95
    assert tp / (tp + fp) >= 0.95


def test_sitting_bouts_are_the_same_however_chunked() -> None:
    from processing.sitting import SittingBouts

    profile = load_profile("fusion_weeks_0_6", {"sitting_max_min": 1.0})
    rng = np.random.default_rng(5)
    # Runs of sitting, standing (short and long breaks) and lying, with a few gaps.
    labels, lengths = [], []
    for _ in range(120):
        labels.append(
            rng.choice([Posture.SITTING, Posture.SITTING, Posture.STANDING, Posture.LYING])
        )
        lengths.append(int(rng.integers(20, 1500)))  # 2 s … 150 s at 10 Hz
    posture = np.repeat(np.array(labels, dtype=np.int8), lengths)
    n = len(posture)
    t = np.arange(n) / RATE
    gap = np.zeros(n, bool)
    gap[rng.integers(1, n, 4)] = True

    def run(sizes: list[int]) -> list[tuple[str, float, float]]:
        det = SittingBouts(profile)
        out, i = [], 0
        for k in sizes:
            if i >= n:
                break
            c = _chunk(np.zeros(min(k, n - i)), t=t[i : i + k])
            c = EventChunk(
                c.t_s,
                c.flexion_deg,
                c.lateral_deg,
                posture[i : i + k],
                c.yaw_rads,
                c.acc_norm_mps2,
                c.up_s,
                gap[i : i + k],
                c.vert_mps2,
                c.step_peak,
            )
            out += det.update(c)
            i += k
        out += det.finish()
        return [(x.phase.value, x.event.start_s, x.event.detected_s) for x in out]

    whole = run([n])
    assert sum(1 for p, _, _ in whole if p == "opened") >= 5
    for seed in range(3):
        sizes = list(np.random.default_rng(seed).integers(1, 700, size=n))
        assert run(sizes) == whole
    # Every opened bout was open at least the limit, and closes.
    opened = [s for p, s, d in whole if p == "opened"]
    assert all(d - s >= 60.0 - 1e-9 for p, s, d in whole if p == "opened")
    assert len(opened) == sum(1 for p, _, _ in whole if p == "closed")


def test_side_bends_more_often_than_the_profile_allows_are_far_beyond() -> None:
    # EN 1005-4: a side bend beyond the limit repeated twice or more a minute is not acceptable.
    profile = load_profile("fusion_weeks_0_6")  # one side bend a minute allowed
    assert profile.lateral_max_per_min == 1
    lat_over = profile.lateral_limit_deg + 2
    one = np.r_[np.zeros(20), np.full(15, lat_over), np.zeros(20)]  # held 1.5 s
    lateral = np.r_[one, one, np.zeros(900), one]  # two within a minute, a third much later
    n = len(lateral)
    c = _chunk(np.zeros(n))
    c = EventChunk(
        c.t_s,
        c.flexion_deg,
        lateral,
        c.posture,
        c.yaw_rads,
        c.acc_norm_mps2,
        c.up_s,
        c.gap,
        c.vert_mps2,
        c.step_peak,
    )
    det = EventDetector(profile, RATE)
    side = _closed(det.update(c) + det.finish(), "lateral_bend")
    assert [e.severity for e in side] == [Severity.CAUTION, Severity.FAR_BEYOND, Severity.CAUTION]
    assert all(e.technique == "right" for e in side)


@pytest.fixture(scope="module")
def side_bends_and_sitting():
    """A scripted half hour: side bends past and under the limit, sitting bouts of 1 to
    3.3 minutes, walking and forward bends, in a random mounting."""
    rng = np.random.default_rng(5)
    acts: list[dict] = [
        {"type": "standing", "duration_s": 20},
        {"type": "walking", "duration_s": 60},
    ]
    for _ in range(10):
        acts += [
            {"type": "lateral_bend", "count": 2, "angle_deg": float(rng.uniform(26, 40)),
             "hold_s": float(rng.uniform(1.2, 3.0))},
            {"type": "lateral_bend", "count": 1, "angle_deg": float(rng.uniform(6, 12))},
            {"type": "sitting", "duration_s": float(rng.choice([60, 150, 200]))},
            {"type": "walking", "duration_s": 30},
            {"type": "bend", "count": 1},
        ]  # fmt: skip
    sim = simulate(from_activities(acts, mounting={"mode": "random"}), seed=5)
    profile = load_profile("maintenance", {"sitting_max_min": 2.0})
    res = analyze_samples(sim.samples, PipelineSettings(), 100.0, profile)
    return sim, profile, _closed(res.events)


def test_side_bends_on_a_scripted_day(side_bends_and_sitting) -> None:
    # Truth: inside each simulated side bend, the span where the true lateral angle is past
    # the profile's limit, if it lasted the 1 s that EN 1005-4 counts.
    sim, profile, found = side_bends_and_sitting
    tl = sim.truth.timeline
    truth = []
    for e in sim.truth.events_of("lateral_bend"):
        m = (tl.t_s >= e.start_s) & (tl.t_s <= e.end_s)
        m &= np.abs(tl.lateral_deg) > profile.lateral_limit_deg
        if m.sum() / sim.truth.sample_rate_hz >= 1.0:
            truth.append(TruthEvent("lateral_bend", tl.t_s[m][0], tl.t_s[m][-1], 0.0))
    score = match_events(truth, [e for e in found if e.type == "lateral_bend"])
    assert len(truth) == 20  # the ten pairs past the limit; the small ones are not side bends
    assert score.missed == () and score.extra == ()
    for e, d in score.pairs:
        assert abs(d.start_s - e.start_s) < 0.5 and abs(d.end_s - e.end_s) < 0.5


def test_prolonged_sitting_on_a_scripted_day(side_bends_and_sitting) -> None:
    sim, profile, found = side_bends_and_sitting
    tl = sim.truth.timeline
    sitting = np.concatenate([[0], (tl.posture == Posture.SITTING).astype(int), [0]])
    edges = np.flatnonzero(np.diff(sitting))
    bouts = [TruthEvent("prolonged_sitting", tl.t_s[a], tl.t_s[b - 1], 0.0)
             for a, b in zip(edges[::2], edges[1::2], strict=True)]  # fmt: skip
    long_bouts = [b for b in bouts if b.end_s - b.start_s > profile.sitting_max_min * 60.0]
    score = match_events(long_bouts, [e for e in found if e.type == "prolonged_sitting"])
    assert len(long_bouts) >= 5
    assert score.missed == () and score.extra == ()
    for e, d in score.pairs:
        # Dated by the trunk coming to rest on the seat and starting to get up (SittingBouts),
        # not by the posture's lagging edges: within half a second of the simulator's labels.
        assert abs(d.start_s - e.start_s) < 0.5 and abs(d.end_s - e.end_s) < 0.5
