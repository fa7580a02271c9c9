"""Vectorised quaternion helpers (scalar first, ``(w, x, y, z)``)."""

from __future__ import annotations

import numpy as np

from processing.types import FloatArray


def earth_up_in_sensor(q_se: FloatArray) -> FloatArray:
    """Earth's up direction seen from the sensor, for sensor-to-earth quaternions.

    This is the third row of the rotation matrix of ``q_se``: unit vectors,
    shape (N, 3).
    """
    # Contiguous rows: strided column access would make this three times slower.
    w, x, y, z = np.ascontiguousarray(q_se.T)
    out = np.empty((q_se.shape[0], 3))
    out[:, 0] = 2.0 * (x * z - w * y)
    out[:, 1] = 2.0 * (y * z + w * x)
    out[:, 2] = 1.0 - 2.0 * (x * x + y * y)
    return out


def angle_between_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle in degrees between unit vectors ``a`` and ``b`` (shapes (N, 3) or (3,))."""
    dot = np.clip(np.sum(np.atleast_2d(a) * np.atleast_2d(b), axis=-1), -1.0, 1.0)
    result: FloatArray = np.degrees(np.arccos(dot))
    return result


def inclination_error_deg(q_true: FloatArray, q_est: FloatArray) -> FloatArray:
    """Inclination error: the angle between the true and estimated vertical, seen from the sensor.

    Heading is left out, as in BROAD's evaluation. Shapes (N, 4) → (N,).
    """
    return angle_between_deg(earth_up_in_sensor(q_true), earth_up_in_sensor(q_est))
