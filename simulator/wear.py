"""Sensor placement: mounting rotations, and taking the sensor off and putting it back."""

from __future__ import annotations

import numpy as np

from processing.types import FloatArray
from simulator.body import Planner
from simulator.kinematics import HEAD
from simulator.rotations import (
    matrix_to_quat,
    quat_to_matrix,
    random_rotation,
    rot_x,
    rot_z,
    rotation_log,
    small_random_rotation,
)
from simulator.scenario import Activity, MountingSpec
from simulator.segments import DetachedSegment
from simulator.truth_types import Event, Mounting

#: Nominal placement: sensor x along the spine (superior), y to the left, z out of the back.
NOMINAL_MOUNT: FloatArray = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def draw_mounting(spec: MountingSpec, rng: np.random.Generator) -> FloatArray:
    """A sensor-to-body rotation (3, 3) drawn as ``spec.mode`` says."""
    if spec.mode == "nominal":
        return NOMINAL_MOUNT.copy()
    if spec.mode == "random":
        return random_rotation(rng)
    if spec.mode == "fixed":
        fixed: FloatArray = quat_to_matrix(np.array([spec.quat_wxyz], dtype=np.float64))[0]
        return fixed
    result: FloatArray = NOMINAL_MOUNT @ small_random_rotation(rng, np.deg2rad(spec.spread_deg))
    return result


def mounting_record(start_s: float, end_s: float, r_bs: FloatArray) -> Mounting:
    q = matrix_to_quat(r_bs[None])[0]
    return Mounting(start_s, end_s, (float(q[0]), float(q[1]), float(q[2]), float(q[3])))


def _angle_between(a: FloatArray, b: FloatArray) -> float:
    return float(np.linalg.norm(rotation_log((a.T @ b)[None])[0]))


def not_worn(pl: Planner, act: Activity, spec: MountingSpec) -> None:
    """Take the sensor off, leave it on a table, then re-attach it with a new mounting."""
    rng = pl.rng
    duration = max(float(act.duration_s or 0.0), 4.0)
    carry = min(3.0, duration / 3.0)
    r0 = pl.sensor_rotation()
    p0 = pl.sensor_position()
    new_mount = draw_mounting(spec, rng)
    old_mount = pl.mounts[pl.mount]
    pl.mounts.append(new_mount)
    pl.mount = len(pl.mounts) - 1
    r2 = pl.sensor_rotation()
    p2 = pl.sensor_position()
    tilt = np.deg2rad(act.num("table_tilt_deg", rng))
    h = float(pl.state.pose[HEAD])
    # Face up or face down, any yaw, a slight tilt; keep each carry below 170° of rotation
    # so the slerp between orientations is well defined.
    for _ in range(100):
        flip = np.pi if rng.random() < 0.5 else 0.0
        r1 = (rot_z(np.array([rng.uniform(-np.pi, np.pi)]))[0]
              @ rot_x(np.array([flip + rng.normal(0.0, tilt + 1e-9)]))[0])
        if _angle_between(r0, r1) < np.deg2rad(170) and _angle_between(r1, r2) < np.deg2rad(170):
            break
    p1 = pl.state.pose[3:6] + np.array([0.5 * np.cos(h), 0.5 * np.sin(h), 0.0])
    p1[2] = pl.above_floor_z(0.75)  # a table on the floor the person is on
    seg = DetachedSegment(pl.t_s, pl.t_s + duration, pl.state.pose.copy(), r0, p0, r1, p1,
                          r2, p2, carry)
    pl.mountings.append(mounting_record(pl.mount_start_s, seg.t0_s, old_mount))
    pl.mount_start_s = seg.t1_s
    pl.add(seg)
    pl.events.append(Event("not_worn", seg.t0_s, seg.t1_s))
    pl.events.append(Event("remount", seg.t1_s - carry, seg.t1_s))
