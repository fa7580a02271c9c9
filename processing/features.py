"""Per-sample features derived from orientation, independent of how the sensor is worn.

Everything here is causal and carries its filter state between chunks
(``scipy.signal.sosfilt`` with ``zi``), so chunked and whole-recording
results are equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt, sosfilt_zi

from processing.rotations import earth_up_in_sensor
from processing.types import GRAVITY_MPS2, FloatArray

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
        pendulum: band-passed horizontal free acceleration (sensor axes) times
            vertical velocity, m²/s³, shape (N, 3); its mean over walking
            points backward (see :mod:`processing.mounting`).
        motion_rads: smoothed angular speed, rad/s, shape (N,).
        tilt_rads: smoothed rate of tilting (angular rate about horizontal axes, so
            turning does not count), rad/s, shape (N,).
        horiz_power: squared band-passed horizontal acceleration, m²/s⁴, shape (N,).
        vel_power: squared vertical velocity, m²/s², shape (N,).
    """

    up_s: FloatArray
    vert_acc_mps2: FloatArray
    pendulum: FloatArray
    motion_rads: FloatArray
    tilt_rads: FloatArray
    horiz_power: FloatArray
    vel_power: FloatArray


class FeatureExtractor:
    """Streaming feature extraction at a fixed sample rate."""

    def __init__(self, sample_rate_hz: float) -> None:
        self._sos = butter(2, GAIT_BAND_HZ, btype="bandpass", fs=sample_rate_hz, output="sos")
        zi = sosfilt_zi(self._sos)
        # Filter state starts at rest (zeros), not at a step response of the first sample.
        self._zi_vert = np.zeros_like(zi)
        self._zi_horiz = np.zeros((zi.shape[0], 2, 3))
        self._leak = float(np.exp(-1.0 / (sample_rate_hz * VELOCITY_LEAK_S)))
        self._dt = 1.0 / sample_rate_hz
        self._v_state = np.zeros(1)
        self._motion_alpha = float(1.0 - np.exp(-1.0 / (sample_rate_hz * MOTION_SMOOTHING_S)))
        self._motion_state = np.zeros(1)
        self._tilt_state = np.zeros(1)

    def update(self, quat: FloatArray, acc_mps2: FloatArray, gyr_rads: FloatArray) -> Features:
        """Features for quaternions (N, 4), specific force (N, 3) m/s² and rates (N, 3) rad/s."""
        up = earth_up_in_sensor(quat)
        free = acc_mps2 - GRAVITY_MPS2 * up
        vert = np.einsum("ij,ij->i", free, up)
        horiz = free - vert[:, None] * up
        bv, self._zi_vert = sosfilt(self._sos, vert, zi=self._zi_vert)
        bh, self._zi_horiz = sosfilt(self._sos, horiz, axis=0, zi=self._zi_horiz)
        vel, self._v_state = _one_pole(bv * self._dt, self._leak, 1.0, self._v_state)
        speed = np.linalg.norm(gyr_rads, axis=1)
        motion, self._motion_state = _one_pole(
            speed * self._motion_alpha, 1.0 - self._motion_alpha, 1.0, self._motion_state
        )
        yaw = np.einsum("ij,ij->i", gyr_rads, up)
        tilt_speed = np.sqrt(np.maximum(speed * speed - yaw * yaw, 0.0))
        tilt, self._tilt_state = _one_pole(
            tilt_speed * self._motion_alpha, 1.0 - self._motion_alpha, 1.0, self._tilt_state
        )
        hpow = np.einsum("ij,ij->i", bh, bh)
        return Features(up, bv, bh * vel[:, None], motion, tilt, hpow, vel * vel)


def _one_pole(
    x: FloatArray, pole: float, gain: float, state: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``y[n] = pole * y[n-1] + gain * x[n]``, with the last output carried as state."""
    y, _ = lfilter([gain], [1.0, -pole], x, zi=state * pole)
    return y, np.array([y[-1]]) if len(y) else state
