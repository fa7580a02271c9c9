"""The simulated signals are the exact derivatives of the true motion."""

from __future__ import annotations

import numpy as np
from sim_factories import make

from processing.types import GRAVITY_MPS2, Posture
from simulator import SimResult
from simulator.rotations import quat_to_matrix, rotation_exp


def test_integrated_gyro_reproduces_true_orientation(mixed: SimResult) -> None:
    s, tl = mixed.samples, mixed.truth.timeline
    assert tl is not None
    r = quat_to_matrix(tl.quat_wxyz[:1])[0]
    dt = np.diff(s.t_s)
    worst = 0.0
    for k in range(len(s) - 1):
        # Midpoint rate: second-order accurate like the simulator's own differences.
        w = 0.5 * (s.gyr_rads[k] + s.gyr_rads[k + 1]) * dt[k]
        r = r @ rotation_exp(w[None])[0]
        if k % 500 == 0 or k == len(s) - 2:
            true = quat_to_matrix(tl.quat_wxyz[k + 1 : k + 2])[0]
            err = np.degrees(np.arccos(np.clip((np.trace(true.T @ r) - 1) / 2, -1, 1)))
            worst = max(worst, float(err))
    assert worst < 1.0, worst


def test_specific_force_equals_second_derivative_of_sensor_position(mixed: SimResult) -> None:
    plan, s = mixed.plan, mixed.samples
    t = s.t_s[::7]
    h = 2e-3  # a different step from the simulator's, so this is an independent check
    _, pos_m, _, _ = plan.sensor_pose(t - h)
    rot0, pos0, _, _ = plan.sensor_pose(t)
    _, pos_p, _, _ = plan.sensor_pose(t + h)
    acc_e = (pos_p - 2 * pos0 + pos_m) / h**2
    from_imu = np.einsum("nij,nj->ni", rot0, s.acc_mps2[::7]) - [0.0, 0.0, GRAVITY_MPS2]
    err = np.linalg.norm(from_imu - acc_e, axis=1)
    # Allow for the finite-difference error only inside the sharpest impacts.
    assert np.percentile(err, 99.5) < 0.05
    assert np.median(err) < 1e-3


def test_accelerometer_norm_is_g_at_rest() -> None:
    res = make(
        [
            {"type": "sitting", "duration_s": 30, "lean_every_s": 0},
            {"type": "lying", "duration_s": 30},
        ],
        mounting={"mode": "random"},
    )
    tl = res.truth.timeline
    assert tl is not None
    still = tl.posture == Posture.LYING
    norm = np.linalg.norm(res.samples.acc_mps2[still], axis=1)
    # Breathing moves the pelvis by millimetres: well under 1% of g.
    assert np.abs(norm - GRAVITY_MPS2).max() < 0.05


def test_gravity_direction_matches_true_orientation(mixed: SimResult) -> None:
    tl = mixed.truth.timeline
    assert tl is not None
    r = quat_to_matrix(tl.quat_wxyz)
    up_in_sensor = r[:, 2, :]
    quiet = tl.posture == Posture.LYING
    acc = mixed.samples.acc_mps2[quiet]
    cos = np.sum(acc * up_in_sensor[quiet], axis=1) / np.linalg.norm(acc, axis=1)
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 2.0


def test_truth_angles_follow_the_documented_convention(mixed: SimResult) -> None:
    tl = mixed.truth.timeline
    assert tl is not None
    worn = ~np.isnan(tl.flexion_deg)
    f, lat = np.radians(tl.flexion_deg[worn]), np.radians(tl.lateral_deg[worn])
    incl = np.degrees(np.arccos(np.clip(np.cos(f) * np.cos(lat), -1, 1)))
    assert np.abs(incl - tl.inclination_deg[worn]).max() < 1e-6
    assert np.all(np.isnan(tl.flexion_deg[tl.posture == Posture.NOT_WORN]))
