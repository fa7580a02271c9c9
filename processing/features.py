"""Per-sample features derived from orientation, independent of how the sensor is worn.

Everything here is causal and carries its filter state between chunks, so
chunked and whole-recording results are equal. The per-sample loop is
compiled (:mod:`processing.feature_kernel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter

from processing.feature_kernel import STATE_SIZE, feature_pass
from processing.types import FloatArray

# Gait energy sits at 0.6–2.5 Hz step frequency; 0.5–3 Hz keeps its first
# harmonic while removing posture changes and impacts.
GAIT_BAND_HZ = (0.5, 3.0)
# Leaky integration of vertical acceleration to vertical velocity; 1 s keeps
# the step-frequency component and forgets drift.
VELOCITY_LEAK_S = 1.0
# Motion intensity envelope time constant.
MOTION_SMOOTHING_S = 0.5


@dataclass(frozen=True, slots=True)
class Features:
    """Features of one chunk; N samples.

    Attributes:
        up_s: earth-up seen from the sensor, unit vectors, shape (N, 3).
        vert_acc_mps2: band-passed vertical free acceleration, m/s², shape (N,).
        horiz_acc_mps2: band-passed horizontal free acceleration (sensor axes),
            m/s², shape (N, 3); its correlation with ``vert_vel_mps`` over walking
            points backward (see :mod:`processing.mounting`).
        vert_vel_mps: vertical velocity (leaky integral of ``vert_acc_mps2``), m/s, shape (N,).
        yaw_rads: rotation rate about the vertical (positive: turning left), rad/s, (N,).
        acc_norm_mps2: magnitude of the specific force, m/s², (N,).
        vert_raw_mps2: vertical free acceleration, not filtered, m/s², (N,).
        motion_rads: smoothed angular speed, rad/s, shape (N,).
        tilt_rads: smoothed rate of tilting (angular rate about horizontal axes, so
            turning does not count), rad/s, shape (N,).
    """

    up_s: FloatArray
    vert_acc_mps2: FloatArray
    horiz_acc_mps2: FloatArray
    vert_vel_mps: FloatArray
    motion_rads: FloatArray
    tilt_rads: FloatArray
    yaw_rads: FloatArray
    acc_norm_mps2: FloatArray
    vert_raw_mps2: FloatArray


class FeatureExtractor:
    """Streaming feature extraction at a fixed rate (the loop: :mod:`processing.feature_kernel`)."""

    def __init__(self, sample_rate_hz: float) -> None:
        self._sos = np.ascontiguousarray(
            butter(2, GAIT_BAND_HZ, btype="bandpass", fs=sample_rate_hz, output="sos")
        )
        # Filters start at rest (zeros), not at a step response of the first sample.
        self._state = np.zeros(STATE_SIZE)
        self._leak = float(np.exp(-1.0 / (sample_rate_hz * VELOCITY_LEAK_S)))
        self._dt = 1.0 / sample_rate_hz
        self._alpha = float(1.0 - np.exp(-1.0 / (sample_rate_hz * MOTION_SMOOTHING_S)))

    def update(self, quat: FloatArray, acc_mps2: FloatArray, gyr_rads: FloatArray) -> Features:
        """Features for quaternions (N, 4), specific force (N, 3) m/s² and rates (N, 3) rad/s."""
        n = quat.shape[0]
        up, bh = np.empty((n, 3)), np.empty((n, 3))
        bv, vel, motion, tilt = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        yaw, acc_norm, vert = np.empty(n), np.empty(n), np.empty(n)
        feature_pass(
            np.ascontiguousarray(quat, dtype=np.float64),
            np.ascontiguousarray(acc_mps2, dtype=np.float64),
            np.ascontiguousarray(gyr_rads, dtype=np.float64),
            self._sos, self._state, self._leak, self._dt, self._alpha,
            up, bv, bh, vel, motion, tilt, yaw, acc_norm, vert,
        )  # fmt: skip
        return Features(up, bv, bh, vel, motion, tilt, yaw, acc_norm, vert)
