"""Trunk angles relative to the person's upright posture.

With earth-up seen from the body ``u = (-sin f cos l, sin l, cos f cos l)``
(see :mod:`processing.types`): flexion ``f = atan2(-u_x, u_z)``, positive
forward and beyond 90° in a deep bend; lateral bend ``l = asin(u_y)``,
positive to the right; inclination ``arccos(u_z)``, the angle from upright
in any direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.mounting import Mounting
from processing.types import FloatArray


@dataclass(frozen=True, slots=True)
class TrunkAngles:
    """Angles per sample, degrees, each shape (N,)."""

    flexion_deg: FloatArray
    lateral_deg: FloatArray
    inclination_deg: FloatArray


def trunk_angles(up_s: FloatArray, mounting: Mounting) -> TrunkAngles:
    """Trunk angles from earth-up seen from the sensor, shape (N, 3), and the mounting."""
    # Body-frame components as contiguous rows (3, N): strided columns are slower.
    ux, uy, uz = mounting.sensor_to_body @ up_s.T
    flexion = np.degrees(np.arctan2(-ux, uz))
    lateral = np.degrees(np.arcsin(np.clip(uy, -1.0, 1.0)))
    inclination = np.degrees(np.arccos(np.clip(uz, -1.0, 1.0)))
    return TrunkAngles(flexion, lateral, inclination)
