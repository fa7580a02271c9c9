"""Falls are not bends: the trunk passing the bend limit on the way down is part of the fall."""

from __future__ import annotations

import numpy as np
import pytest

from processing.alert_policy import AlertPolicy, AlertSettings
from processing.event_types import Event, EventNotice, Phase, Severity
from processing.events import (
    FALL_AFTER_S,
    FALL_BEND_LEAD_S,
    FALL_DROP_S,
    EventDetector,
    FallBends,
    FallDetector,
)
from processing.pipeline import Analyzer, PipelineSettings, analyze_samples
from processing.profile import ClinicalProfile
from processing.results import AnalysisChunk, concat_chunks
from processing.types import GRAVITY_MPS2
from simulator import SimResult, simulate
from simulator.scenarios import from_activities
from spinewatch.profiles import load_profile

RATE = 100.0


def _profile(hold_s: float) -> ClinicalProfile:
    return load_profile(
        "maintenance",
        {"flexion_limit_deg": 30, "flexion_caution_deg": 20, "flexion_hold_s": hold_s},
    )


def _sim(acts: list[dict], seed: int = 7) -> SimResult:
    lead = [{"type": "walking", "duration_s": 40}, {"type": "standing", "duration_s": 5}]
    return simulate(from_activities(lead + acts, mounting={"mode": "random"}), seed=seed)


def _events(notices, kind: str, phase: Phase = Phase.CLOSED) -> list[Event]:
    return [n.event for n in notices if n.phase is phase and n.event.type == kind]


def _stream(sim: SimResult, profile: ClinicalProfile, sizes) -> list[AnalysisChunk]:
    an = Analyzer(PipelineSettings(), RATE, profile)
    out, i, s = [], 0, sim.samples
    for n in sizes:
        if i >= len(s):
            break
        out.append(an.update(s.slice(i, i + int(n))))
        i += int(n)
    out.append(an.finish())
    return out


@pytest.fixture(scope="module")
def forward_fall() -> SimResult:
    return _sim([{"type": "fall", "direction": "forward"}, {"type": "standing", "duration_s": 5}])


@pytest.mark.parametrize("hold_s", [0.0, 3.0])
def test_a_forward_fall_is_a_fall_and_not_a_bend(forward_fall: SimResult, hold_s: float) -> None:
    res = analyze_samples(forward_fall.samples, PipelineSettings(), RATE, _profile(hold_s))
    (truth,) = forward_fall.truth.events_of("fall")
    assert len(_events(res.events, "fall")) == 1
    near = [
        n
        for n in res.events
        if n.event.type == "bend" and truth.start_s - 1 <= n.event.start_s <= truth.end_s + 1
    ]
    assert near == []  # neither opened nor closed: no alert, no row in events.csv


@pytest.mark.parametrize("hold_s", [0.0, 3.0])
def test_without_the_fall_watch_the_forward_fall_was_a_bend(
    forward_fall: SimResult, hold_s: float
) -> None:
    # What the watch takes away: the bend detector on its own sees a bend in the fall (with
    # a 3 s hold too: face down past the limit for 3 s before lying is decided at 5 s).
    an = Analyzer(PipelineSettings(), RATE, _profile(hold_s))
    an._events._fall_bends = None  # type: ignore[union-attr]
    res = concat_chunks([an.update(forward_fall.samples), an.finish()])
    (truth,) = forward_fall.truth.events_of("fall")
    assert any(truth.start_s <= e.start_s <= truth.end_s for e in _events(res.events, "bend"))


def test_a_fall_alerts_and_leaves_no_bend_behind_in_the_policy(forward_fall: SimResult) -> None:
    profile = _profile(0.0)
    policy = AlertPolicy(AlertSettings.from_profile(profile))
    alerts = []
    for chunk in _stream(forward_fall, profile, np.full(100_000, 10)):
        alerts += policy.update(list(chunk.events))
    (truth,) = forward_fall.truth.events_of("fall")
    assert [a.kind for a in alerts if a.kind == "fall"] == ["fall"]
    near = [d for d in policy.decisions if d.event.type == "bend" and
            truth.start_s - 1 <= d.event.start_s <= truth.end_s + 1]  # fmt: skip
    assert near == []
    assert not any(key[0] == "bend" for key in policy._open)


def test_an_ordinary_deep_bend_is_not_delayed() -> None:
    # No drop of the hips, no impact: the bend's notice leaves with the chunk that opened it.
    profile = _profile(0.5)
    sim = _sim(
        [{"type": "bend", "peak_deg": 80, "count": 2}, {"type": "standing", "duration_s": 5}]
    )
    # Bends come with the fast results, ahead of the final ones: their lag is measured from
    # the newest sample fed (chunks of 10 at 100 Hz, as from the sensor).
    an = Analyzer(PipelineSettings(), RATE, profile)
    s = sim.samples
    lags = []
    for i in range(0, len(s), 10):
        part = s.slice(i, i + 10)
        for n in an.update(part).events:
            if n.phase is Phase.OPENED and n.event.type == "bend":
                lags.append(float(part.t_s[-1]) - n.event.detected_s)
    assert len(lags) == 2 and max(lags) < 0.1


def test_a_bend_then_a_real_fall_gives_both() -> None:
    sim = _sim(
        [
            {"type": "bend", "peak_deg": 70, "count": 1},
            {"type": "standing", "duration_s": 10},
            {"type": "fall", "direction": "forward"},
            {"type": "standing", "duration_s": 5},
        ]
    )
    res = analyze_samples(sim.samples, PipelineSettings(), RATE, _profile(0.0))
    (bend_truth, *_) = sim.truth.events_of("bend")
    (fall_truth,) = sim.truth.events_of("fall")
    assert fall_truth.start_s - bend_truth.end_s > 5
    bends = _events(res.events, "bend")
    assert len(_events(res.events, "fall")) == 1
    assert any(abs(b.start_s - bend_truth.start_s) < 0.5 for b in bends)
    assert not any(fall_truth.start_s <= b.start_s <= fall_truth.end_s for b in bends)


@pytest.mark.parametrize("seed", [0, 1])
def test_chunking_does_not_change_falls_and_bends(seed: int) -> None:
    sim = _sim(
        [
            {"type": "bend", "peak_deg": 80, "count": 2},
            {"type": "fall", "direction": "forward"},
            {"type": "standing", "duration_s": 5},
            {"type": "bend", "peak_deg": 60, "count": 1},
            {"type": "fall", "direction": "left"},
            {"type": "standing", "duration_s": 5},
        ],
        seed=11,
    )
    profile = _profile(0.0)
    offline = analyze_samples(sim.samples, PipelineSettings(), RATE, profile)
    sizes = np.random.default_rng(seed).integers(1, 400, size=len(sim.samples))
    live = concat_chunks(_stream(sim, profile, sizes))

    def key(n: EventNotice) -> tuple:
        return (n.event.type, n.phase.value, n.event.start_s, n.event.detected_s, n.event.end_s)

    assert sorted(map(key, live.events)) == sorted(map(key, offline.events))
    assert len(_events(offline.events, "fall")) == 2


# Unit level: FallBends on a fall detector fed made-up raw signals.


def _raw(
    n_s: float, drop_at: float | None = None, impact_at: float | None = None, fell: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, up (N, 3) and |f| (N,) at RATE: quiet standing, a drop of the hips (0.3 g for
    0.3 s) and an impact (5 g), the trunk face down from the impact on if ``fell``."""
    t = np.arange(round(n_s * RATE)) / RATE
    up = np.tile([0.0, 0.0, 1.0], (len(t), 1))
    acc = np.full(len(t), GRAVITY_MPS2)
    if drop_at is not None:
        acc[(t >= drop_at) & (t < drop_at + 0.3)] = 0.3 * GRAVITY_MPS2
    if impact_at is not None:
        acc[(t >= impact_at) & (t < impact_at + 0.03)] = 5 * GRAVITY_MPS2
        if fell:
            up[t >= impact_at] = [1.0, 0.0, 0.0]
    return t, up, acc


def _bend(start_s: float, detected_s: float, end_s: float) -> list[EventNotice]:
    e = Event("bend", start_s, np.nan, 80.0, "", Severity.FAR_BEYOND, detected_s)
    closed = Event("bend", start_s, end_s, 80.0, "", Severity.FAR_BEYOND, end_s)
    return [EventNotice(Phase.OPENED, e), EventNotice(Phase.CLOSED, closed)]


def _feed(raw, bends: list[EventNotice], step: int = 7) -> list[tuple[float, EventNotice]]:
    """Feed the raw signals and the bend notices (each when its time comes), in chunks;
    returns each notice released with the stream time it left at."""
    t, up, acc = raw
    falls = FallDetector(RATE)
    gate = FallBends(falls, hold_s=0.0)
    out = []
    todo = sorted(bends, key=lambda n: n.event.detected_s if n.phase is Phase.OPENED
                  else n.event.end_s)  # fmt: skip
    for i in range(0, len(t), step):
        falls.update(t[i : i + step], up[i : i + step], acc[i : i + step])
        now = float(t[min(i + step, len(t)) - 1])
        due = [n for n in todo if (n.event.detected_s if n.phase is Phase.OPENED
                                   else n.event.end_s) <= now]  # fmt: skip
        todo = todo[len(due) :]
        out += [(now, n) for n in gate.update(due, now)]
    out += [(float(t[-1]), n) for n in gate.finish(todo)]
    return out


def test_a_bend_without_a_drop_goes_out_at_once() -> None:
    out = _feed(_raw(20.0), _bend(5.0, 5.5, 8.0))
    assert [n.phase for _, n in out] == [Phase.OPENED, Phase.CLOSED]
    assert out[0][0] - 5.5 < 0.1


def test_with_no_hold_a_bend_waits_only_to_see_the_hips_not_drop() -> None:
    out = _feed(_raw(20.0), _bend(5.0, 5.0, 8.0))
    assert out[0][0] - 5.0 == pytest.approx(FALL_DROP_S[1], abs=0.08)


def test_a_drop_without_an_impact_delays_the_bend_but_keeps_it() -> None:
    out = _feed(_raw(20.0, drop_at=4.9), _bend(5.0, 5.0, 8.0))
    assert [n.phase for _, n in out] == [Phase.OPENED, Phase.CLOSED]
    assert out[0][0] - 5.0 == pytest.approx(FALL_BEND_LEAD_S, abs=0.08)


def test_an_impact_that_was_no_fall_keeps_the_bend_after_the_verdict() -> None:
    out = _feed(_raw(20.0, drop_at=4.9, impact_at=5.5), _bend(5.0, 5.0, 6.0))
    assert [n.phase for _, n in out] == [Phase.OPENED, Phase.CLOSED]
    assert out[0][0] - 5.5 == pytest.approx(FALL_AFTER_S[1], abs=0.08)


def test_a_fall_takes_its_bend_away() -> None:
    out = _feed(_raw(20.0, drop_at=4.9, impact_at=5.5, fell=True), _bend(5.0, 5.0, 6.0))
    assert out == []


def test_a_long_hold_bend_is_dropped_when_its_fall_is_decided() -> None:
    # Hold 3 s: the bend opens 2.6 s after the impact, and waits 0.4 s for the verdict.
    out = _feed(_raw(20.0, impact_at=5.5, fell=True), _bend(5.1, 8.1, 9.0))
    assert out == []


def test_bends_leave_in_order_and_the_stream_end_releases_them() -> None:
    # An impact never decided (the stream ends) was no fall: the waiting bend goes out.
    raw = _raw(6.5, drop_at=4.9, impact_at=5.5)
    bends = _bend(5.0, 5.0, 5.8) + _bend(6.0, 6.1, 6.3)
    out = _feed(raw, bends)
    assert [(n.phase, n.event.start_s) for _, n in out] == [
        (Phase.OPENED, 5.0), (Phase.CLOSED, 5.0), (Phase.OPENED, 6.0), (Phase.CLOSED, 6.0),
    ]  # fmt: skip


def test_the_detector_alone_does_not_hold_bends_back() -> None:
    # No fall watch (tests, other callers): bends go out as before.
    det = EventDetector(_profile(0.0), 10.0)
    t = np.arange(50) / 10.0
    flex = np.where((t > 1) & (t < 3), 60.0, 0.0)
    notices = det.update_fast(t, flex, np.zeros(50), np.ones(50, bool), np.zeros(50, bool))
    assert [n.phase for n in notices] == [Phase.OPENED, Phase.CLOSED]
