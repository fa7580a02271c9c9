"""Scored movements: bends, lifts, twists, lateral bends and falls.

Each movement is one segment labelled ``other`` from the first motion to the
return to rest, followed by a short standing pause. The body frame is the
pelvis/lower-trunk segment: in a stoop it flexes a lot while the hips stay
high; in a squat the hips drop and move back while it flexes little.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from processing.types import Posture
from simulator.body import BodyState, Planner
from simulator.kinematics import FLEX, HEAD, LAT, PX, PY, PZ
from simulator.postures import standing
from simulator.scenario import Activity
from simulator.transitions import go_to
from simulator.truth_types import Event

_DEG = np.pi / 180.0
# A bend at least this deep goes down to something low: it is lift-like too.
LIFT_LIKE_MIN_DEG: Final = 40.0


def bend(pl: Planner, act: Activity) -> None:
    """Forward bends without a load (e.g. picking something light up)."""
    rng = pl.rng
    for _ in range(act.count or 1):
        go_to(pl, "standing")
        f0 = float(pl.state.pose[FLEX])
        peak = act.num("peak_deg", rng)
        start, end = _flex_down_up(pl, peak, 0.03, act.num("duration_s", rng),
                                   act.num("hold_s", rng))
        # Down to something low and back up: a lift-like movement, whether or not a load
        # came up with it (a lumbar sensor cannot tell).
        if peak >= LIFT_LIKE_MIN_DEG:
            pl.events.append(Event("lift", start, end, float(np.rad2deg(f0) + peak), "stoop"))
        standing(pl, act.num("pause_s", rng))


def _flex_down_up(pl: Planner, peak_deg: float, drop_m: float, duration_s: float,
                  hold_s: float, back_m: float = 0.05,
                  up_share: float = 0.5) -> tuple[float, float]:
    """Flex to ``peak_deg``, hold, come back up; returns the segment's (start, end), s."""
    f0 = float(pl.state.pose[FLEX])
    down = (1.0 - up_share) * duration_s
    up = up_share * duration_s
    b = pl.builder(Posture.OTHER)
    b.move_to(FLEX, 0.0, down, f0 + peak_deg * _DEG)
    b.shift(0.05 * down, 0.95 * down, forward_m=-back_m, up_m=-drop_m)
    b.move_to(FLEX, down + hold_s, up, f0)
    b.shift(down + hold_s, 0.95 * up, forward_m=back_m, up_m=drop_m)
    # A little lateral asymmetry: nobody bends perfectly straight.
    lat = float(pl.rng.normal(0.0, 3.0)) * _DEG
    b.move(LAT, 0.0, down, lat)
    b.move(LAT, down + hold_s, up, -lat)
    seg = pl.add(b.build(down + hold_s + up), bend_eligible=True)
    return seg.t0_s, seg.t1_s


def lift(pl: Planner, act: Activity) -> None:
    """Lift-like movements, stoop (trunk flexes, pelvis high) or squat (pelvis drops)."""
    rng = pl.rng
    technique = act.text("technique")
    for _ in range(act.count or 1):
        go_to(pl, "standing")
        peak = act.num("peak_deg", rng)
        drop = act.num("pelvis_drop_m", rng)
        if technique == "stoop":
            peak = peak or float(rng.uniform(50, 90))
            drop = drop or float(rng.uniform(0.02, 0.08))
            back = 0.08
        else:
            peak = peak or float(rng.uniform(15, 40))
            drop = drop or float(rng.uniform(0.3, 0.5))
            back = 0.18
        f0 = float(pl.state.pose[FLEX])
        # Coming up with the load is slower than going down.
        start, end = _flex_down_up(pl, peak, drop, act.num("duration_s", rng),
                                   act.num("hold_s", rng), back, up_share=0.6)
        pl.events.append(Event("lift", start, end, float(np.rad2deg(f0) + peak), technique))
        standing(pl, act.num("pause_s", rng))


def twist(pl: Planner, act: Activity) -> None:
    """Axial rotations of the pelvis, optionally while bent forward."""
    rng = pl.rng
    direction = act.text("direction")
    for i in range(act.count or 1):
        go_to(pl, "standing")
        side = {"left": 1.0, "right": -1.0}.get(direction, 1.0 if i % 2 == 0 else -1.0)
        angle = act.num("angle_deg", rng)
        dur = angle / act.num("speed_dps", rng)
        bent = act.num("bent_deg", rng)
        hold = act.num("hold_s", rng)
        f0 = float(pl.state.pose[FLEX])
        b = pl.builder(Posture.OTHER)
        lead = 1.0 if bent > 0 else 0.0
        if bent > 0:
            b.move_to(FLEX, 0.0, lead, f0 + bent * _DEG)
        b.move(HEAD, lead, dur, side * angle * _DEG)
        b.move(HEAD, lead + dur + hold, dur, -side * angle * _DEG)
        if bent > 0:
            b.move_to(FLEX, lead + 2 * dur + hold, lead, f0)
        seg = pl.add(b.build(), bend_eligible=True)
        # The twist is the rotation itself, not the bending forward before it.
        pl.events.append(Event("twist", seg.t0_s + lead, seg.t0_s + lead + 2 * dur + hold,
                               angle, "left" if side > 0 else "right"))
        standing(pl, act.num("pause_s", rng))


def lateral_bend(pl: Planner, act: Activity) -> None:
    """Side bends (positive lateral angle = to the right)."""
    rng = pl.rng
    direction = act.text("direction")
    for i in range(act.count or 1):
        go_to(pl, "standing")
        side = {"right": 1.0, "left": -1.0}.get(direction, 1.0 if i % 2 == 0 else -1.0)
        angle = act.num("angle_deg", rng)
        half = 0.5 * act.num("duration_s", rng)
        hold = act.num("hold_s", rng)
        l0 = float(pl.state.pose[LAT])
        b = pl.builder(Posture.OTHER)
        b.move_to(LAT, 0.0, half, l0 + side * angle * _DEG)
        b.shift(0.0, half, left_m=side * 0.03)
        b.move_to(LAT, half + hold, half, l0)
        b.shift(half + hold, half, left_m=-side * 0.03)
        seg = pl.add(b.build(), bend_eligible=True)
        pl.events.append(Event("lateral_bend", seg.t0_s, seg.t1_s, side * angle,
                               "right" if side > 0 else "left"))
        standing(pl, act.num("pause_s", rng))


_FALL_END = {  # final (flexion, lateral) in rad and the lying position it leaves
    "forward": (np.pi / 2, 0.0, "prone"),
    "backward": (-np.pi / 2, 0.0, "supine"),
    "left": (0.0, -np.pi / 2, "left"),
    "right": (0.0, np.pi / 2, "right"),
}


def fall(pl: Planner, act: Activity) -> None:
    """Loss of balance, a fall to the floor with an impact of several g, then lying still."""
    rng = pl.rng
    direction = act.text("direction")
    for _ in range(act.count or 1):
        go_to(pl, "standing")
        f_end, l_end, variant = _FALL_END[direction]
        stagger = float(rng.uniform(0.3, 0.7))
        fall_s = float(rng.uniform(0.5, 0.7))
        impact_s = float(rng.uniform(0.07, 0.12))
        drop = float(pl.state.pose[PZ] - pl.above_floor_z(pl.person.floor_z_m))
        slide = float(rng.uniform(0.3, 0.6))
        fwd, left = {"forward": (slide, 0.0), "backward": (-slide, 0.0),
                     "left": (0.0, slide), "right": (0.0, -slide)}[direction]
        h = float(pl.state.pose[HEAD])
        b = pl.builder(Posture.OTHER)
        # Loss of balance: a quick wobble and a recovery step that does not work.
        b.move(FLEX, 0.0, stagger, float(rng.normal(0, 6)) * _DEG)
        b.move(LAT, 0.0, stagger, float(rng.normal(0, 6)) * _DEG)
        b.shift(0.0, stagger, forward_m=0.3 * fwd, left_m=0.3 * left)
        # Fall: gravity accelerates the hips down, the floor stops them within tens of ms.
        v = 2.0 * drop / (fall_s + impact_s)
        dx, dy = fwd * np.cos(h) - left * np.sin(h), fwd * np.sin(h) + left * np.cos(h)
        vh = 2.0 / (fall_s + impact_s)
        for dof, vel in ((PZ, -v), (PX, vh * dx), (PY, vh * dy)):
            b.pulse(dof, stagger, fall_s, vel)
            b.pulse(dof, stagger + fall_s, impact_s, -vel)
        b.move_to(FLEX, stagger * 0.6, fall_s + impact_s + stagger * 0.4, f_end)
        b.move_to(LAT, stagger * 0.6, fall_s + impact_s + stagger * 0.4, l_end)
        impact_end = stagger + fall_s + impact_s
        b.label(impact_end, Posture.LYING)
        lie = act.num("lie_s", rng)
        b.sway(PZ, 0.002, 0.25, 0.0)
        seg = pl.add(b.build(impact_end + lie, sway_ramp_s=impact_end + 1.0))
        pl.events.append(Event("fall", seg.t0_s, seg.t0_s + impact_end, 90.0, direction))
        pl.state = BodyState("lying", pl.state.pose, variant, "floor")
