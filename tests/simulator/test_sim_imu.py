"""Sensor errors and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from sim_factories import make

from simulator import ImuSettings, simulate
from simulator.imu import ImuModel
from simulator.scenarios import from_activities, walking


def test_same_seed_same_recording_other_seed_differs() -> None:
    sc = from_activities(
        [{"type": "standing", "duration_s": 5}, {"type": "walking", "duration_s": 10}],
        imu={"timing_jitter_s": 0.0005},
    )
    a, b, c = simulate(sc, seed=3), simulate(sc, seed=3), simulate(sc, seed=4)
    np.testing.assert_array_equal(a.samples.acc_mps2, b.samples.acc_mps2)
    np.testing.assert_array_equal(a.samples.t_s, b.samples.t_s)
    np.testing.assert_array_equal(a.truth.steps_s, b.truth.steps_s)
    assert not np.array_equal(a.samples.acc_mps2, c.samples.acc_mps2)
    assert np.all(np.diff(a.samples.t_s) > 0)


def test_sample_rate_changes_sampling_not_the_plan() -> None:
    sc = walking(1.0, 20)
    a, b = simulate(sc, seed=1, sample_rate_hz=50), simulate(sc, seed=1, sample_rate_hz=200)
    assert len(b.samples) == pytest.approx(4 * len(a.samples), abs=4)
    np.testing.assert_array_equal(a.truth.steps_s, b.truth.steps_s)


def test_quantisation_and_saturation() -> None:
    s = ImuSettings(acc_range_g=2.0, gyro_range_dps=250.0)
    model = ImuModel(s, np.random.default_rng(0))
    acc_in = np.array([[0.0, 0.0, 9.80665], [50.0, -50.0, 0.0]])
    gyr_in = np.array([[0.0, 0.0, 0.0], [10.0, -10.0, 0.1]])
    acc, gyr = model.apply(acc_in, gyr_in)
    assert np.abs(acc).max() <= 2.0 * 9.80665 + 1e-9
    assert np.abs(gyr).max() <= np.deg2rad(250.0) + 1e-9
    np.testing.assert_allclose(acc / s.acc_lsb_mps2, np.round(acc / s.acc_lsb_mps2), atol=1e-6)
    np.testing.assert_allclose(gyr / s.gyro_lsb_rads, np.round(gyr / s.gyro_lsb_rads), atol=1e-6)


def test_noise_and_bias_at_rest_have_the_set_size() -> None:
    res = make([{"type": "not_worn", "duration_s": 60}], ideal=False, rate=100.0)
    table = (res.samples.t_s > 5) & (res.samples.t_s < 55)
    gyr = res.samples.gyr_rads[table]
    acc = res.samples.acc_mps2[table]
    s = ImuSettings()
    expected_gyr = np.deg2rad(s.gyro_noise_dps_rthz) * np.sqrt(50.0)
    assert np.std(gyr[:, 0] - np.mean(gyr[:, 0])) == pytest.approx(expected_gyr, rel=0.3)
    assert np.abs(gyr.mean(axis=0)).max() < np.deg2rad(4 * s.gyro_bias_dps)
    assert np.abs(np.linalg.norm(acc.mean(axis=0)) - 9.80665) < 0.3


def test_invalid_imu_settings_are_config_errors() -> None:
    from spinewatch.errors import ConfigError

    with pytest.raises(ConfigError, match="sample_rate_hz"):
        ImuSettings(sample_rate_hz=10)
    with pytest.raises(ConfigError, match="jitter"):
        ImuSettings(timing_jitter_s=0.01)
