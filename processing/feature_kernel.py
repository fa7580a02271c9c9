"""Per-sample loops, compiled (numba): the feature pass, latches and run lengths.

Written as numpy, the features took about 20 separate passes over each
block, costing a third of VQF's own time; fused into one loop they cost a
few percent. The arithmetic is that of :mod:`processing.features`: second-order
sections in direct form II transposed (as ``scipy.signal.sosfilt``) and
one-pole smoothers; all filter states live in one array carried between calls.
"""

from __future__ import annotations

import numba
import numpy as np

from processing.types import GRAVITY_MPS2, BoolArray, FloatArray, IntArray

# State layout: vertical band-pass (2 sections × 2), horizontal band-pass (3 axes ×
# 2 sections × 2), velocity, motion, tilt.
N_SECTIONS = 2
STATE_SIZE = 4 + 12 + 3
_VEL, _MOTION, _TILT = 16, 17, 18


@numba.njit(cache=True, fastmath=False, nogil=True)
def _sos_step(x: float, sos: FloatArray, z: FloatArray, k: int) -> float:
    """One sample through the cascade; the sections' states are z[k : k + 4]."""
    for s in range(N_SECTIONS):
        b0, b1, b2 = sos[s, 0], sos[s, 1], sos[s, 2]
        a1, a2 = sos[s, 4], sos[s, 5]
        j = k + 2 * s
        y = b0 * x + z[j]
        z[j] = b1 * x - a1 * y + z[j + 1]
        z[j + 1] = b2 * x - a2 * y
        x = y
    return x


@numba.njit(cache=True, fastmath=False, nogil=True)
def feature_pass(
    quat: FloatArray,
    acc: FloatArray,
    gyr: FloatArray,
    sos: FloatArray,
    state: FloatArray,
    leak: float,
    dt: float,
    alpha: float,
    up: FloatArray,
    bv: FloatArray,
    bh: FloatArray,
    vel: FloatArray,
    motion: FloatArray,
    tilt: FloatArray,
    yaw: FloatArray,
    acc_norm: FloatArray,
    vert: FloatArray,
) -> None:
    """Features of N samples into the output arrays; ``state`` (STATE_SIZE,) is updated.

    Inputs: quaternions (N, 4), specific force (N, 3) m/s², rates (N, 3) rad/s, the
    band-pass ``sos`` (2, 6). Outputs: up (N, 3), bv (N,), bh (N, 3), vel, motion, tilt,
    yaw (rate about the vertical, rad/s), acc_norm (m/s²) and vert (vertical free
    acceleration before filtering, m/s²), each (N,).
    """
    g = GRAVITY_MPS2
    for i in range(quat.shape[0]):
        w, x, y, z = quat[i, 0], quat[i, 1], quat[i, 2], quat[i, 3]
        ux = 2.0 * (x * z - w * y)
        uy = 2.0 * (y * z + w * x)
        uz = 1.0 - 2.0 * (x * x + y * y)
        up[i, 0], up[i, 1], up[i, 2] = ux, uy, uz
        ax, ay, az = acc[i, 0], acc[i, 1], acc[i, 2]
        # Gravity lies along up: it drops out of the horizontal part.
        along = ax * ux + ay * uy + az * uz
        vert[i] = along - g
        v = _sos_step(along - g, sos, state, 0)
        bv[i] = v
        bh[i, 0] = _sos_step(ax - along * ux, sos, state, 4)
        bh[i, 1] = _sos_step(ay - along * uy, sos, state, 8)
        bh[i, 2] = _sos_step(az - along * uz, sos, state, 12)
        state[_VEL] = leak * state[_VEL] + dt * v
        vel[i] = state[_VEL]
        gx, gy, gz = gyr[i, 0], gyr[i, 1], gyr[i, 2]
        s2 = gx * gx + gy * gy + gz * gz
        w_up = gx * ux + gy * uy + gz * uz
        yaw[i] = w_up
        acc_norm[i] = np.sqrt(ax * ax + ay * ay + az * az)
        state[_MOTION] = (1.0 - alpha) * state[_MOTION] + alpha * np.sqrt(s2)
        motion[i] = state[_MOTION]
        # Rotation about the vertical (turning) does not tilt the trunk.
        t2 = s2 - w_up * w_up
        state[_TILT] = (1.0 - alpha) * state[_TILT] + alpha * np.sqrt(t2 if t2 > 0.0 else 0.0)
        tilt[i] = state[_TILT]


@numba.njit(cache=True, nogil=True)
def latch_pass(enter: BoolArray, leave: BoolArray, state: bool, out: BoolArray) -> bool:
    """A latch per sample into ``out`` (N,): on at ``enter``, off at ``leave``; returns the last."""
    for i in range(enter.shape[0]):
        if enter[i]:
            state = True
        elif leave[i]:
            state = False
        out[i] = state
    return state


@numba.njit(cache=True, nogil=True)
def run_length_pass(flag: BoolArray, carry: int, out: IntArray) -> int:
    """Length of the run of True ending at each sample into ``out`` (N,); returns the last."""
    run = carry
    for i in range(flag.shape[0]):
        run = run + 1 if flag[i] else 0
        out[i] = run
    return run
