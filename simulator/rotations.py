"""Small vectorised rotation helpers for the simulator.

Matrices are stacks of shape (N, 3, 3); quaternions are scalar first
``(w, x, y, z)``, shape (N, 4). Angles are radians unless a name says ``deg``.
The body-to-earth convention is the project's (see :mod:`processing.types`):
``R_be = Rz(heading) @ Rx(lateral) @ Ry(flexion)``.
"""

from __future__ import annotations

import numpy as np

from processing.types import FloatArray


def rot_x(a: FloatArray) -> FloatArray:
    """Rotations about x by angles ``a`` (rad, shape (N,)), shape (N, 3, 3)."""
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((a.shape[0], 3, 3))
    out[:, 0, 0] = 1.0
    out[:, 1, 1] = c
    out[:, 1, 2] = -s
    out[:, 2, 1] = s
    out[:, 2, 2] = c
    return out


def rot_y(a: FloatArray) -> FloatArray:
    """Rotations about y by angles ``a`` (rad, shape (N,)), shape (N, 3, 3)."""
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((a.shape[0], 3, 3))
    out[:, 1, 1] = 1.0
    out[:, 0, 0] = c
    out[:, 0, 2] = s
    out[:, 2, 0] = -s
    out[:, 2, 2] = c
    return out


def rot_z(a: FloatArray) -> FloatArray:
    """Rotations about z by angles ``a`` (rad, shape (N,)), shape (N, 3, 3)."""
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((a.shape[0], 3, 3))
    out[:, 2, 2] = 1.0
    out[:, 0, 0] = c
    out[:, 0, 1] = -s
    out[:, 1, 0] = s
    out[:, 1, 1] = c
    return out


def body_to_earth(flexion: FloatArray, lateral: FloatArray, heading: FloatArray) -> FloatArray:
    """``Rz(heading) @ Rx(lateral) @ Ry(flexion)``; angles in rad, shape (N,); result (N, 3, 3)."""
    # Written out element by element: ~5x faster than three stacked matrix products.
    cf, sf = np.cos(flexion), np.sin(flexion)
    cl, sl = np.cos(lateral), np.sin(lateral)
    ch, sh = np.cos(heading), np.sin(heading)
    out = np.empty((flexion.shape[0], 3, 3))
    slsf, slcf = sl * sf, sl * cf
    out[:, 0, 0] = ch * cf - sh * slsf
    out[:, 0, 1] = -sh * cl
    out[:, 0, 2] = ch * sf + sh * slcf
    out[:, 1, 0] = sh * cf + ch * slsf
    out[:, 1, 1] = ch * cl
    out[:, 1, 2] = sh * sf - ch * slcf
    out[:, 2, 0] = -cl * sf
    out[:, 2, 1] = sl
    out[:, 2, 2] = cl * cf
    return out


def body_angles(r_be: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Canonical (flexion, lateral, heading) in rad of body-to-earth matrices (N, 3, 3).

    Uses earth-up seen from the body ``u = R^T e_z = (-sin f cos l, sin l, cos f cos l)``:
    lateral in [-pi/2, pi/2], flexion and heading in (-pi, pi]. Where the body lies on
    its side (cos l = 0) flexion is undefined and reported as 0.
    """
    u = r_be[:, 2, :]
    lateral = np.arcsin(np.clip(u[:, 1], -1.0, 1.0))
    on_side = np.abs(np.cos(lateral)) < 1e-9
    flexion = np.where(on_side, 0.0, np.arctan2(-u[:, 0], u[:, 2]))
    # The body y axis in earth is Rz(h) (0, cos l, sin l): its horizontal part gives the
    # heading. On the side (cos l = 0, flexion 0) the body x axis (cos h, sin h, 0) does.
    heading = np.where(on_side, np.arctan2(r_be[:, 1, 0], r_be[:, 0, 0]),
                       np.arctan2(-r_be[:, 0, 1], r_be[:, 1, 1]))
    return flexion, lateral, heading


def matrix_to_quat(r: FloatArray) -> FloatArray:
    """Unit quaternions (N, 4), w >= 0, of rotation matrices (N, 3, 3)."""
    m = r
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    # Four candidate formulas; pick per row the numerically largest pivot.
    cand = np.stack(
        [tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]],
        axis=1,
    )
    k = np.argmax(cand, axis=1)
    q = np.empty((m.shape[0], 4))
    i0 = k == 0
    s = np.sqrt(np.maximum(1.0 + tr[i0], 1e-300)) * 2.0
    q[i0] = np.stack(
        [0.25 * s, (m[i0, 2, 1] - m[i0, 1, 2]) / s, (m[i0, 0, 2] - m[i0, 2, 0]) / s,
         (m[i0, 1, 0] - m[i0, 0, 1]) / s], axis=1)
    i1 = k == 1
    s = np.sqrt(np.maximum(1.0 + m[i1, 0, 0] - m[i1, 1, 1] - m[i1, 2, 2], 1e-300)) * 2.0
    q[i1] = np.stack(
        [(m[i1, 2, 1] - m[i1, 1, 2]) / s, 0.25 * s, (m[i1, 0, 1] + m[i1, 1, 0]) / s,
         (m[i1, 0, 2] + m[i1, 2, 0]) / s], axis=1)
    i2 = k == 2
    s = np.sqrt(np.maximum(1.0 + m[i2, 1, 1] - m[i2, 0, 0] - m[i2, 2, 2], 1e-300)) * 2.0
    q[i2] = np.stack(
        [(m[i2, 0, 2] - m[i2, 2, 0]) / s, (m[i2, 0, 1] + m[i2, 1, 0]) / s, 0.25 * s,
         (m[i2, 1, 2] + m[i2, 2, 1]) / s], axis=1)
    i3 = k == 3
    s = np.sqrt(np.maximum(1.0 + m[i3, 2, 2] - m[i3, 0, 0] - m[i3, 1, 1], 1e-300)) * 2.0
    q[i3] = np.stack(
        [(m[i3, 1, 0] - m[i3, 0, 1]) / s, (m[i3, 0, 2] + m[i3, 2, 0]) / s,
         (m[i3, 1, 2] + m[i3, 2, 1]) / s, 0.25 * s], axis=1)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q[q[:, 0] < 0] *= -1.0
    return q


def quat_to_matrix(q: FloatArray) -> FloatArray:
    """Rotation matrices (N, 3, 3) of quaternions (N, 4) (normalised first)."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    out = np.empty((q.shape[0], 3, 3))
    out[:, 0, 0] = 1 - 2 * (y * y + z * z)
    out[:, 0, 1] = 2 * (x * y - w * z)
    out[:, 0, 2] = 2 * (x * z + w * y)
    out[:, 1, 0] = 2 * (x * y + w * z)
    out[:, 1, 1] = 1 - 2 * (x * x + z * z)
    out[:, 1, 2] = 2 * (y * z - w * x)
    out[:, 2, 0] = 2 * (x * z - w * y)
    out[:, 2, 1] = 2 * (y * z + w * x)
    out[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return out


def rotation_log(r: FloatArray) -> FloatArray:
    """Rotation vectors (axis times angle, rad), shape (N, 3), of matrices (N, 3, 3).

    Accurate for angles well below pi, which is all the simulator needs
    (relative rotations over a fraction of a millisecond or slerp spans).
    """
    skew = 0.5 * np.stack(
        [r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]], axis=1
    )
    sin_a = np.linalg.norm(skew, axis=1)
    cos_a = 0.5 * (r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2] - 1.0)
    angle = np.arctan2(sin_a, cos_a)
    # angle / sin(angle) -> 1 as the angle -> 0; avoid 0/0.
    factor = np.where(sin_a > 1e-12, angle / np.maximum(sin_a, 1e-300), 1.0)
    result: FloatArray = skew * factor[:, None]
    return result


def rotation_exp(v: FloatArray) -> FloatArray:
    """Rotation matrices (N, 3, 3) of rotation vectors ``v`` (rad), shape (N, 3) (Rodrigues)."""
    angle = np.linalg.norm(v, axis=1)
    safe = np.maximum(angle, 1e-300)
    axis = v / safe[:, None]
    axis[angle < 1e-300] = 0.0
    k = np.zeros((v.shape[0], 3, 3))
    k[:, 0, 1] = -axis[:, 2]
    k[:, 0, 2] = axis[:, 1]
    k[:, 1, 0] = axis[:, 2]
    k[:, 1, 2] = -axis[:, 0]
    k[:, 2, 0] = -axis[:, 1]
    k[:, 2, 1] = axis[:, 0]
    s = np.sin(angle)[:, None, None]
    c = (1.0 - np.cos(angle))[:, None, None]
    result: FloatArray = np.eye(3)[None] + s * k + c * (k @ k)
    return result


def random_rotation(rng: np.random.Generator) -> FloatArray:
    """A uniformly random rotation matrix, shape (3, 3)."""
    q = rng.normal(size=(1, 4))
    result: FloatArray = quat_to_matrix(q)[0]
    return result


def small_random_rotation(rng: np.random.Generator, spread_rad: float) -> FloatArray:
    """A rotation about a uniformly random axis by a Gaussian angle (std ``spread_rad``), (3, 3)."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = rng.normal(0.0, spread_rad)
    result: FloatArray = rotation_exp((axis * angle)[None])[0]
    return result
