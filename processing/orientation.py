"""Sensor orientation from gyroscope and accelerometer, with VQF.

VQF (Laidig & Seel, Information Fusion 2023) gives the best published
inclination accuracy among 6D filters; its C++ core keeps its state between
``updateBatch`` calls, so feeding it chunk by chunk gives exactly the batch
result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from vqf import VQF

from processing.settings import OrientationSettings
from processing.types import FloatArray, ImuSamples
from spinewatch.errors import InputDataError


@dataclass(frozen=True, slots=True)
class OrientationResult:
    """Orientation of one chunk.

    Attributes:
        quat: sensor-to-earth quaternions (w, x, y, z), earth z up, shape (N, 4).
        rest: VQF's rest detection, shape (N,).
        bias_rads: gyroscope bias estimate, rad/s, shape (N, 3).
    """

    quat: FloatArray
    rest: np.ndarray
    bias_rads: FloatArray


class OrientationEstimator:
    """Streaming orientation: ``update(samples)`` continues where the last call stopped."""

    def __init__(self, settings: OrientationSettings, sample_rate_hz: float) -> None:
        if not (1.0 <= sample_rate_hz <= 2000.0):
            raise InputDataError(
                "sample rate out of range",
                value=sample_rate_hz,
                advice="use a rate between 1 and 2000 Hz",
            )
        self.settings = settings
        ts = 1.0 / sample_rate_hz
        self._vqf = VQF(
            ts,
            tauAcc=settings.tau_acc_s,
            restBiasEstEnabled=settings.rest_bias_estimation,
            motionBiasEstEnabled=settings.motion_bias_estimation,
        )

    def update(self, samples: ImuSamples) -> OrientationResult:
        """Orientation for each sample of ``samples`` (see :class:`OrientationResult`)."""
        if len(samples) == 0:
            return OrientationResult(np.empty((0, 4)), np.empty(0, dtype=bool), np.empty((0, 3)))
        gyr = np.ascontiguousarray(samples.gyr_rads, dtype=np.float64)
        acc = np.ascontiguousarray(samples.acc_mps2, dtype=np.float64)
        if not (np.isfinite(gyr).all() and np.isfinite(acc).all()):
            raise InputDataError(
                "orientation input contains NaN or infinite values",
                advice="drop such samples before processing; they are gaps, not data",
            )
        out = self._vqf.updateBatch(gyr, acc)
        return OrientationResult(out["quat6D"], out["restDetected"], out["bias"])


def estimate_orientation(
    samples: ImuSamples, settings: OrientationSettings, sample_rate_hz: float
) -> OrientationResult:
    """Offline orientation of a whole recording; equal to streaming it in any chunks."""
    return OrientationEstimator(settings, sample_rate_hz).update(samples)
