"""Quiet postures: standing, sitting and lying, with sway and the small shifts of real life."""

from __future__ import annotations

import numpy as np

from processing.types import Posture
from simulator.body import Planner
from simulator.kinematics import FLEX, HEAD, LAT, PX, PY, PZ
from simulator.scenario import Activity
from simulator.segments import KeyframeBuilder
from simulator.transitions import go_to, roll

_DEG = np.pi / 180.0


def _add_sway(b: KeyframeBuilder, rng: np.random.Generator, angle_rad: float,
              position_m: float, freqs_hz: tuple[float, float]) -> None:
    """Two incommensurate sinusoids per degree of freedom, so sway never looks periodic."""
    for dof, amp in ((FLEX, angle_rad), (LAT, angle_rad), (HEAD, 0.5 * angle_rad),
                     (PX, position_m), (PY, position_m), (PZ, 0.2 * position_m)):
        for _ in range(2):
            b.sway(dof, amp / 2.0 * rng.uniform(0.5, 1.5), rng.uniform(*freqs_hz),
                   rng.uniform(0, 2 * np.pi))


def _event_times(rng: np.random.Generator, duration_s: float, mean_gap_s: float,
                 margin_s: float) -> list[float]:
    """Random (Poisson) times inside ``[margin, duration - margin]``, s."""
    times: list[float] = []
    if mean_gap_s <= 0:
        return times
    t = margin_s + rng.exponential(mean_gap_s)
    while t < duration_s - margin_s:
        times.append(t)
        t += max(rng.exponential(mean_gap_s), margin_s)
    return times


def standing(pl: Planner, duration_s: float, sway_deg: float = 1.0,
             shift_every_s: float = 30.0) -> None:
    """Stand for ``duration_s`` with sway and occasional weight shifts and turns."""
    go_to(pl, "standing")
    if duration_s <= 0:
        return
    rng = pl.rng
    b = pl.builder(Posture.STANDING)
    base = pl.state.pose.copy()
    # Weight shifts lean the pelvis a little either side of the person's own standing, and
    # each spell of standing comes back to it: the shifts must not add up over a day (they
    # did, to 11° off after a few hundred of them).
    base[FLEX] = pl.person.stand_flexion_rad
    base[LAT] = 0.0
    settle = min(1.0, duration_s)
    b.move_to(FLEX, 0.0, settle, float(base[FLEX]))
    b.move_to(LAT, 0.0, settle, float(base[LAT]))
    _add_sway(b, rng, sway_deg * _DEG, 0.006, (0.08, 0.4))
    for t in _event_times(rng, duration_s, shift_every_s, 3.0):
        dur = float(rng.uniform(0.8, 2.0))
        side = float(rng.normal(0.0, 0.03))
        b.move_to(PX, t, dur, float(base[PX] - side * np.sin(base[HEAD])))
        b.move_to(PY, t, dur, float(base[PY] + side * np.cos(base[HEAD])))
        b.move_to(LAT, t, dur, float(base[LAT] + rng.normal(0.0, 2.0) * _DEG))
        b.move_to(FLEX, t, dur, float(base[FLEX] + rng.normal(0.0, 2.0) * _DEG))
        b.move_to(HEAD, t, dur, float(base[HEAD] + rng.normal(0.0, 15.0) * _DEG))
    pl.add(b.build(duration_s), bend_eligible=True)


def sitting(pl: Planner, act: Activity) -> None:
    """Sit for the scripted time: posterior pelvic tilt, breathing, occasional forward leans."""
    rng = pl.rng
    tilt = act.num("pelvis_tilt_deg", rng)
    go_to(pl, "sitting", sit_stand_s=act.num("transition_s", rng),
          trunk_flex_deg=act.num("trunk_flex_deg", rng), pelvis_tilt_deg=tilt)
    duration = float(act.duration_s or 0.0)
    b = pl.builder(Posture.SITTING)
    base = pl.state.pose.copy()
    _add_sway(b, rng, 0.4 * _DEG, 0.002, (0.1, 0.35))
    for t in _event_times(rng, duration, act.num("lean_every_s", rng), 4.0):
        hold = float(rng.uniform(1.0, 8.0))
        dur = float(rng.uniform(0.8, 1.5))
        if t + 2 * dur + hold > duration - 1.0:
            break
        b.move_to(FLEX, t, dur, float(base[FLEX] + act.num("lean_deg", rng) * _DEG))
        b.move_to(FLEX, t + dur + hold, dur, float(base[FLEX]))
    pl.add(b.build(duration), bend_eligible=True)


def lying(pl: Planner, act: Activity) -> None:
    """Lie in the scripted position, breathing, turning now and then if asked."""
    rng = pl.rng
    surface = act.text("surface")
    position = act.text("position")
    go_to(pl, "lying", position, surface)
    end = pl.t_s + float(act.duration_s or 0.0)
    turn_every = act.num("turn_every_s", rng)
    turns = _event_times(rng, end - pl.t_s, turn_every, 10.0) if turn_every > 0 else []
    stops = [pl.t_s + t for t in turns] + [end]
    for i, stop in enumerate(stops):
        b = pl.builder(Posture.LYING)
        # Breathing moves the pelvis a few millimetres at about 0.25 Hz.
        b.sway(PZ, 0.002, float(rng.uniform(0.2, 0.3)), float(rng.uniform(0, 2 * np.pi)))
        b.sway(FLEX, 0.3 * _DEG, float(rng.uniform(0.2, 0.3)), float(rng.uniform(0, 2 * np.pi)))
        pl.add(b.build(max(stop - pl.t_s, 0.05)))
        if i < len(stops) - 1 and pl.t_s < end - 5.0:
            choices = [p for p in ("supine", "left", "right", "prone") if p != pl.state.variant]
            roll(pl, str(rng.choice(choices)), float(rng.uniform(2.0, 4.0)))


def turn_in_place(pl: Planner, angle_rad: float, duration_s: float) -> None:
    """Turn on the spot (small steps, labelled standing) by ``angle_rad``."""
    go_to(pl, "standing")
    b = pl.builder(Posture.STANDING)
    b.move(HEAD, 0.0, duration_s, angle_rad)
    pl.add(b.build(duration_s), bend_eligible=True)


def sitting_still(pl: Planner, duration_s: float) -> None:
    """Sit quietly (already seated) for ``duration_s``."""
    if duration_s <= 0:
        return
    b = pl.builder(Posture.SITTING)
    _add_sway(b, pl.rng, 0.3 * _DEG, 0.002, (0.1, 0.35))
    pl.add(b.build(duration_s), bend_eligible=True)
