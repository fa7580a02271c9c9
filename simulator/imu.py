"""The sensor model: turns the true specific force and angular rate into IMU samples.

Errors, in the order a real MEMS part applies them: scale and axis
misalignment (one 3×3 matrix per sensor), bias (constant for the
accelerometer, a constant plus a random walk for the gyroscope), white noise,
saturation at the full-scale range, and quantisation to the LSB. The random
walk state is carried from chunk to chunk so a long day is one continuous
recording.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from processing.types import GRAVITY_MPS2, FloatArray
from spinewatch.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ImuSettings:
    """Sensor settings; every field can be set in a scenario's ``[imu]`` table.

    Noise densities are per sqrt(Hz); the white-noise standard deviation is
    ``density * sqrt(sample_rate_hz / 2)``.
    """

    sample_rate_hz: float = 100.0
    acc_range_g: float = 16.0
    gyro_range_dps: float = 2000.0
    acc_bits: int = 16
    gyro_bits: int = 16
    acc_noise_ug_rthz: float = 150.0
    gyro_noise_dps_rthz: float = 0.007
    acc_bias_mps2: float = 0.05
    gyro_bias_dps: float = 0.5
    gyro_bias_walk_dps_rts: float = 0.002
    acc_scale_error: float = 0.005
    gyro_scale_error: float = 0.005
    misalignment_deg: float = 0.3
    timing_jitter_s: float = 0.0

    def __post_init__(self) -> None:
        if not 25.0 <= self.sample_rate_hz <= 400.0:
            raise ConfigError("sample rate out of range", where="imu.sample_rate_hz",
                              value=self.sample_rate_hz, advice="use 25 to 400 Hz")
        for name in ("acc_range_g", "gyro_range_dps"):
            if getattr(self, name) <= 0:
                raise ConfigError("must be positive", where=f"imu.{name}",
                                  value=getattr(self, name))
        for name in ("acc_bits", "gyro_bits"):
            if not 8 <= getattr(self, name) <= 32:
                raise ConfigError("must be 8 to 32", where=f"imu.{name}", value=getattr(self, name))
        for name in ("acc_noise_ug_rthz", "gyro_noise_dps_rthz", "acc_bias_mps2", "gyro_bias_dps",
                     "gyro_bias_walk_dps_rts", "acc_scale_error", "gyro_scale_error",
                     "misalignment_deg"):
            if getattr(self, name) < 0:
                raise ConfigError("must not be negative", where=f"imu.{name}",
                                  value=getattr(self, name))
        if not 0.0 <= self.timing_jitter_s < 0.2 / self.sample_rate_hz:
            raise ConfigError("timing jitter must be below a fifth of the sample period",
                              where="imu.timing_jitter_s", value=self.timing_jitter_s)

    @property
    def acc_lsb_mps2(self) -> float:
        return float(2 * self.acc_range_g * GRAVITY_MPS2 / 2**self.acc_bits)

    @property
    def gyro_lsb_rads(self) -> float:
        return float(np.deg2rad(2 * self.gyro_range_dps / 2**self.gyro_bits))

    def ideal(self) -> ImuSettings:
        """The same sample rate with no errors, no quantisation and no saturation."""
        return replace(self, acc_range_g=1e6, gyro_range_dps=1e9, acc_bits=32, gyro_bits=32,
                       acc_noise_ug_rthz=0.0, gyro_noise_dps_rthz=0.0, acc_bias_mps2=0.0,
                       gyro_bias_dps=0.0, gyro_bias_walk_dps_rts=0.0, acc_scale_error=0.0,
                       gyro_scale_error=0.0, misalignment_deg=0.0, timing_jitter_s=0.0)

    @property
    def is_ideal(self) -> bool:
        return self == self.ideal()


class ImuModel:
    """Applies :class:`ImuSettings` errors chunk by chunk (state: the gyro bias walk)."""

    def __init__(self, settings: ImuSettings, rng: np.random.Generator) -> None:
        self.settings = settings
        self._rng = rng
        s = settings
        self._acc_matrix = self._error_matrix(s.acc_scale_error)
        self._gyr_matrix = self._error_matrix(s.gyro_scale_error)
        self._acc_bias = rng.normal(0.0, s.acc_bias_mps2, 3)
        self._gyr_bias = rng.normal(0.0, np.deg2rad(s.gyro_bias_dps), 3)

    def _error_matrix(self, scale_error: float) -> FloatArray:
        # Scale on the diagonal, small random cross-axis terms from misalignment.
        mis = np.deg2rad(self.settings.misalignment_deg)
        m = np.diag(1.0 + self._rng.normal(0.0, scale_error, 3))
        off = self._rng.normal(0.0, mis, (3, 3))
        np.fill_diagonal(off, 0.0)
        result: FloatArray = m + off
        return result

    def apply(self, acc_mps2: FloatArray, gyr_rads: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Measured (acc m/s², gyro rad/s), shape (N, 3) each, from the true values (N, 3)."""
        s = self.settings
        n = acc_mps2.shape[0]
        dt = 1.0 / s.sample_rate_hz
        walk_std = np.deg2rad(s.gyro_bias_walk_dps_rts) * np.sqrt(dt)
        walk = np.cumsum(self._rng.normal(0.0, walk_std, (n, 3)), axis=0) + self._gyr_bias
        if n:
            self._gyr_bias = walk[-1].copy()
        bw = np.sqrt(s.sample_rate_hz / 2.0)
        acc_noise = s.acc_noise_ug_rthz * 1e-6 * GRAVITY_MPS2 * bw
        gyr_noise = np.deg2rad(s.gyro_noise_dps_rthz) * bw
        acc = (acc_mps2 @ self._acc_matrix.T + self._acc_bias
               + self._rng.normal(0, acc_noise, (n, 3)))
        gyr = gyr_rads @ self._gyr_matrix.T + walk + self._rng.normal(0, gyr_noise, (n, 3))
        acc_max = s.acc_range_g * GRAVITY_MPS2
        gyr_max = np.deg2rad(s.gyro_range_dps)
        acc = np.clip(acc, -acc_max, acc_max)
        gyr = np.clip(gyr, -gyr_max, gyr_max)
        if s.acc_bits < 32:
            acc = np.round(acc / s.acc_lsb_mps2) * s.acc_lsb_mps2
        if s.gyro_bits < 32:
            gyr = np.round(gyr / s.gyro_lsb_rads) * s.gyro_lsb_rads
        return acc, gyr
