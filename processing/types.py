"""Data types shared by the processing stages.

Conventions used throughout the project (the simulator's ground truth uses
the same ones):

* Earth frame: z up, heading arbitrary.
* Body frame (the trunk segment the sensor sits on): x forward (anterior),
  y to the person's left, z up (superior). Upright standing is the identity.
* Body-to-earth rotation ``R = Rz(heading) @ Rx(lateral) @ Ry(flexion)``, so
  that earth-up seen from the body is
  ``u = (-sin f cos l, sin l, cos f cos l)``:
  flexion ``f`` is positive forward, lateral bend ``l`` positive to the right,
  inclination is ``arccos(u_z)``.
* Quaternions are scalar first, ``(w, x, y, z)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import numpy as np
from numpy.typing import NDArray

from spinewatch.errors import InputDataError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

GRAVITY_MPS2: Final = 9.80665


class Posture(IntEnum):
    """Posture and activity of one sample; the value is stored in arrays as int8."""

    LYING = 0
    SITTING = 1
    STANDING = 2
    WALKING = 3
    OTHER = 4
    NOT_WORN = 5

    @property
    def label(self) -> str:
        return self.name.lower()


POSTURE_LABELS: Final = tuple(p.label for p in Posture)


@dataclass(frozen=True, slots=True)
class ImuSamples:
    """A chunk of 6-axis IMU samples in SI units.

    Attributes:
        t_s: sample times in seconds, shape (N,), strictly increasing.
        acc_mps2: specific force in the sensor frame, m/s², shape (N, 3).
        gyr_rads: angular rate in the sensor frame, rad/s, shape (N, 3).
    """

    t_s: FloatArray
    acc_mps2: FloatArray
    gyr_rads: FloatArray

    def __post_init__(self) -> None:
        n = self.t_s.shape[0] if self.t_s.ndim == 1 else -1
        if n < 0:
            raise InputDataError("t_s must have shape (N,)", value=self.t_s.shape)
        for name in ("acc_mps2", "gyr_rads"):
            arr = getattr(self, name)
            if arr.shape != (n, 3):
                raise InputDataError(
                    f"{name} must have shape ({n}, 3)", value=arr.shape, advice="one row per sample"
                )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def slice(self, start: int, stop: int) -> ImuSamples:
        """Samples ``start`` to ``stop`` (exclusive), as views."""
        return ImuSamples(
            self.t_s[start:stop], self.acc_mps2[start:stop], self.gyr_rads[start:stop]
        )

    @staticmethod
    def empty() -> ImuSamples:
        return ImuSamples(np.empty(0), np.empty((0, 3)), np.empty((0, 3)))

    @staticmethod
    def concat(chunks: list[ImuSamples]) -> ImuSamples:
        if not chunks:
            return ImuSamples.empty()
        return ImuSamples(
            np.concatenate([c.t_s for c in chunks]),
            np.concatenate([c.acc_mps2 for c in chunks]),
            np.concatenate([c.gyr_rads for c in chunks]),
        )
