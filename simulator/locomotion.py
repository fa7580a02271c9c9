"""Walking and stair activities: build :class:`~simulator.gait.WalkingSegment` bouts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from simulator.body import Planner
from simulator.gait import WalkingSegment, default_gait
from simulator.kinematics import HEAD, PZ, MoveSet
from simulator.postures import standing, turn_in_place
from simulator.scenario import Activity
from simulator.transitions import go_to


def walking(pl: Planner, act: Activity) -> None:
    """Walk for the scripted time at the scripted speed, turning as scripted."""
    rng = pl.rng
    go_to(pl, "standing")
    duration = float(act.duration_s or 0.0)
    if duration < 1.0:
        standing(pl, duration)
        return
    speed = act.num("speed_mps", rng)
    freq = act.num("step_frequency_hz", rng)
    gait = default_gait(speed, rng, freq if freq > 0 else None)
    turns = act.numbers("turns_deg")
    rate = act.num("turn_rate_dps", rng)
    rows = []
    for i, angle in enumerate(turns):
        dur = max(abs(angle) / rate, 0.3)
        centre = pl.t_s + duration * (i + 1) / (len(turns) + 1)
        rows.append((centre - dur / 2, dur, np.deg2rad(angle)))
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    moves = MoveSet(np.full(arr.shape[0], HEAD, dtype=np.int64), arr[:, 0], arr[:, 1], arr[:, 2])
    pl.add(WalkingSegment(pl.t_s, duration, pl.state.pose, gait, moves, rng))


def stairs(pl: Planner, act: Activity) -> None:
    """Climb or descend ``count`` flights of ``steps`` steps, pausing between flights."""
    rng = pl.rng
    go_to(pl, "standing")
    up = act.text("direction") == "up"
    n_steps = int(act.num("steps", rng))
    empty = MoveSet(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
    for flight in range(act.count or 1):
        if flight:
            standing(pl, act.num("pause_s", rng))
            # Turn around on the landing to take the next flight.
            turn_in_place(pl, float(np.pi if flight % 2 else -np.pi), float(rng.uniform(1.5, 2.5)))
        freq = act.num("step_frequency_hz", rng)
        rise = act.num("rise_m", rng)
        tread = act.num("tread_m", rng)
        base = default_gait(tread * freq, rng, freq)
        gait = replace(
            base,
            climb_per_m=(rise if up else -rise) / tread,
            lean_rad=float(np.deg2rad(rng.uniform(8, 14) if up else rng.uniform(2, 6))),
            vertical_amp_m=float(rng.uniform(0.02, 0.03)),
            impact_m=base.impact_m * (0.8 if up else 1.5),
            ramp_s=0.8,
        )
        duration = n_steps / freq + gait.ramp_s
        z0 = float(pl.state.pose[PZ])
        pl.add(WalkingSegment(pl.t_s, duration, pl.state.pose, gait, empty, rng))
        # The flight ends on another floor: seats, beds and the floor from now on are
        # there, or sitting down upstairs would drop the pelvis a whole storey.
        pl.level_z_m += float(pl.state.pose[PZ]) - z0
