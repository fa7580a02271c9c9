"""Settings of the analysis stages, in one light module (numpy only).

Each stage's settings are a frozen dataclass with units in the field names; the
stages (:mod:`processing.orientation`, :mod:`processing.gait`, :mod:`processing.mounting`,
:mod:`processing.posture`, :mod:`processing.pipeline`) import them from here, so that the
settings tree can be loaded and validated without loading the filters and kernels
(scipy, numba, vqf) that only the analysis needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from spinewatch.errors import ConfigError


@dataclass(frozen=True, slots=True)
class OrientationSettings:
    """Settings of the orientation filter.

    Attributes:
        tau_acc_s: time constant of the accelerometer correction (VQF's tauAcc);
            larger trusts the gyroscope longer through accelerations.
        rest_bias_estimation: estimate gyro bias while at rest.
        motion_bias_estimation: estimate gyro bias while moving.
    """

    tau_acc_s: float = field(default=3.0, metadata={"min": 0.1, "max": 60.0, "unit": "s"})
    rest_bias_estimation: bool = True
    motion_bias_estimation: bool = True

    def __post_init__(self) -> None:
        if not (0.1 <= self.tau_acc_s <= 60.0):
            raise ConfigError(
                "must be between 0.1 and 60 s", where="tau_acc_s", value=self.tau_acc_s
            )


@dataclass(frozen=True, slots=True)
class GaitSettings:
    """Settings of step detection.

    Attributes:
        min_peak_mps2: smallest vertical acceleration peak that can be a step.
        relative_peak: a peak must also exceed this fraction of the recent RMS
            amplitude (adapts to slow and fast gait).
        envelope_s: time constant of that RMS amplitude.
        peak_halfwidth_s: a peak is the largest value within ± this time.
        min_step_interval_s, max_step_interval_s: plausible step durations
            (cadence 40–200 steps/min).
        max_interval_ratio: consecutive step intervals may differ by this factor.
        min_run_steps: steps in a regular run before it counts as walking.
        max_tilt_change_deg: the trunk's attitude at two consecutive foot contacts
            differs by less than this in walking (a belt-worn phone rocks up to about
            20° between left and right steps); a sit-to-stand set, whose peaks come
            alternately leaning forward and upright, differs by more.
    """

    min_peak_mps2: float = field(default=0.25, metadata={"min": 0.0, "unit": "m/s²"})
    relative_peak: float = field(default=0.5, metadata={"min": 0.0, "max": 3.0})
    envelope_s: float = field(default=2.0, metadata={"min": 0.1, "unit": "s"})
    peak_halfwidth_s: float = field(default=0.2, metadata={"min": 0.05, "unit": "s"})
    min_step_interval_s: float = field(default=0.3, metadata={"min": 0.1, "unit": "s"})
    max_step_interval_s: float = field(default=1.25, metadata={"min": 0.3, "unit": "s"})
    max_interval_ratio: float = field(default=1.6, metadata={"min": 1.0})
    min_run_steps: int = field(default=4, metadata={"min": 2})
    max_tilt_change_deg: float = field(
        default=25.0, metadata={"min": 1.0, "max": 180.0, "unit": "°"}
    )

    def __post_init__(self) -> None:
        if self.min_step_interval_s >= self.max_step_interval_s:
            raise ConfigError(
                f"must be below max_step_interval_s = {self.max_step_interval_s}",
                where="min_step_interval_s",
                value=self.min_step_interval_s,
            )


@dataclass(frozen=True, slots=True)
class MountingSettings:
    """Settings of mounting estimation.

    Attributes:
        calibration_walk_s: walking needed before the axes are trusted.
        min_pendulum_correlation: the forward cue must be at least this strong
            (a correlation coefficient) to be used.
        remount_deg: a walking bout whose up axis differs by more than this from
            the current one means the sensor was re-attached or slipped.
        max_pending_s: longest time results are held back waiting for walking at the
            start; after it the fallback mounting is used.
        max_pending_after_nonwear_s: the same after a non-wear period. Short: lying
            still for a long time also looks like non-wear, and alerts must not stop for
            it; the old mounting is kept, and a walking block corrects it if the sensor
            was put back differently.
        nominal_up_axis, nominal_forward_axis: the body's up and forward axes in sensor
            coordinates when the sensor is worn as designed (its device profile), unit
            vectors at right angles; both or neither. Used from the start until walking
            measures the axes.
    """

    calibration_walk_s: float = field(default=30.0, metadata={"min": 2.0, "unit": "s"})
    min_pendulum_correlation: float = field(default=0.05, metadata={"min": 0.0, "max": 1.0})
    remount_deg: float = field(default=20.0, metadata={"min": 5.0, "max": 90.0, "unit": "°"})
    max_pending_s: float = field(default=1800.0, metadata={"min": 10.0, "unit": "s"})
    max_pending_after_nonwear_s: float = field(default=120.0, metadata={"min": 0.0, "unit": "s"})
    nominal_up_axis: tuple[float, float, float] | None = None
    nominal_forward_axis: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        axes = (self.nominal_up_axis, self.nominal_forward_axis)
        if (axes[0] is None) != (axes[1] is None):
            raise ConfigError(
                "nominal mounting needs both axes",
                where="mounting.nominal_up_axis/nominal_forward_axis",
                value=axes,
                advice="give both the up and the forward axis, or neither",
            )
        if axes[0] is not None and axes[1] is not None:
            up, fwd = (np.asarray(a, dtype=np.float64) for a in axes)
            norms = (float(np.linalg.norm(up)), float(np.linalg.norm(fwd)))
            if not all(math.isfinite(n) and abs(n - 1.0) < 0.05 for n in norms):
                raise ConfigError(
                    "nominal mounting axes must be unit vectors",
                    where="mounting.nominal_up_axis/nominal_forward_axis",
                    value=axes,
                    advice="e.g. up = [0, 0, 1], forward = [1, 0, 0]",
                )
            if abs(float(np.dot(up, fwd))) > 0.05:
                raise ConfigError(
                    "nominal up and forward axes must be at right angles",
                    where="mounting.nominal_up_axis/nominal_forward_axis",
                    value=axes,
                    advice="their dot product must be 0",
                )


@dataclass(frozen=True, slots=True)
class PostureSettings:
    """Thresholds of the posture classifier.

    Attributes:
        lying_enter_deg, lying_exit_deg: trunk inclination that starts and ends lying.
        lying_min_s: a trunk inclined forward (face down) past ``lying_enter_deg``
            stays there this long before it is lying; until then it is a deep bend
            ("other"). On the back or the side it is lying at once: nobody bends that way.
        sitting_enter_deg, sitting_exit_deg: backward pelvic tilt (negative
            flexion) that starts and ends sitting.
        bend_deg: forward flexion beyond which an upright person is bending ("other").
        dynamic_rads: tilting speed (turning on the spot left out) above which a
            non-walking person is moving between postures or bending ("other").
        nonwear_motion_rads: angular speed below which the sensor is perfectly still.
        nonwear_min_s: stillness needed before the sensor counts as not worn.
    """

    lying_enter_deg: float = field(default=55.0, metadata={"min": 20.0, "max": 90.0, "unit": "°"})
    lying_exit_deg: float = field(default=45.0, metadata={"min": 10.0, "max": 90.0, "unit": "°"})
    lying_min_s: float = field(default=5.0, metadata={"min": 0.0, "max": 120.0, "unit": "s"})
    sitting_enter_deg: float = field(default=10.0, metadata={"min": 0.0, "max": 60.0, "unit": "°"})
    sitting_exit_deg: float = field(default=7.0, metadata={"min": 0.0, "max": 60.0, "unit": "°"})
    bend_deg: float = field(default=20.0, metadata={"min": 5.0, "max": 120.0, "unit": "°"})
    dynamic_rads: float = field(default=0.3, metadata={"min": 0.05, "unit": "rad/s"})
    nonwear_motion_rads: float = field(default=0.012, metadata={"min": 0.0, "unit": "rad/s"})
    nonwear_min_s: float = field(default=600.0, metadata={"min": 10.0, "unit": "s"})


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Settings of the whole analysis (each stage's own settings inside).

    Attributes:
        calibration_window_s: optional ``(start, end)`` in recording seconds
            when the person stood upright; gives the up axis directly.
    """

    orientation: OrientationSettings = field(default_factory=OrientationSettings)
    gait: GaitSettings = field(default_factory=GaitSettings)
    mounting: MountingSettings = field(default_factory=MountingSettings)
    posture: PostureSettings = field(default_factory=PostureSettings)
    calibration_window_s: tuple[float, float] | None = None
