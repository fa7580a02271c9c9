"""Physically based simulator of a lower-back 6-axis IMU, with ground truth.

Typical use::

    from simulator import load_scenario, simulate
    result = simulate(load_scenario("spinewatch/scenarios/demo_day.toml"), seed=1)
    result.samples      # ImuSamples
    result.truth        # Truth: timeline, steps, events, exercise sets, mountings

For long days iterate :meth:`Simulation.chunks` instead.
"""

from simulator.engine import SimChunk, SimResult, Simulation, simulate
from simulator.imu import ImuSettings
from simulator.scenario import (
    Activity,
    MountingSpec,
    Scenario,
    builtin_scenarios,
    load_scenario,
    parse_scenario,
    resolve_scenario,
)
from simulator.truth import Timeline, Truth, load_truth, write_truth
from simulator.truth_types import Event, ExerciseSet, Mounting, Rep

__all__ = [
    "Activity",
    "Event",
    "ExerciseSet",
    "ImuSettings",
    "Mounting",
    "MountingSpec",
    "Rep",
    "Scenario",
    "SimChunk",
    "SimResult",
    "Simulation",
    "Timeline",
    "Truth",
    "builtin_scenarios",
    "load_scenario",
    "load_truth",
    "parse_scenario",
    "resolve_scenario",
    "simulate",
    "write_truth",
]
