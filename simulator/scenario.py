"""Scenario files: a TOML script of a day, parsed into frozen, validated objects.

A scenario is a list of ``[[activity]]`` tables, done one after the other.
Numeric parameters accept a number (used as is) or ``[low, high]`` (drawn
uniformly each time the simulator needs one: per rep, per bend, …); a missing
parameter takes the default range of :mod:`simulator.schema`. Every problem
raises :class:`~spinewatch.errors.ScenarioError` naming the activity, the key,
the value and what is allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from simulator.imu import ImuSettings
from simulator.schema import ACTIVITY_SCHEMAS, MOUNTING_MODES, START_POSTURES, Param
from spinewatch.errors import ConfigError, ScenarioError

ParamValue = float | int | str | bool | tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Activity:
    """One scripted activity.

    Attributes:
        index: position in the scenario (0-based), for messages.
        type: activity type (a key of ``ACTIVITY_SCHEMAS``).
        duration_s: scripted duration, s, for continuous activities, else None.
        count: number of repetitions for discrete ones (bends, lifts, …), else None.
        params: validated parameters (user values; defaults are applied on use).
    """

    index: int
    type: str
    duration_s: float | None = None
    count: int | None = None
    params: Mapping[str, ParamValue] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def where(self) -> str:
        return f"activity[{self.index}] ({self.type})"

    def _spec(self, name: str) -> Param:
        return ACTIVITY_SCHEMAS[self.type].params[name]

    def num(self, name: str, rng: np.random.Generator) -> float:
        """A value of numeric parameter ``name``: fixed, or drawn from its range."""
        value = self.params.get(name, self._spec(name).default)
        if isinstance(value, tuple):
            lo, hi = value
            return float(rng.uniform(lo, hi))
        return float(value)  # type: ignore[arg-type]

    def text(self, name: str) -> str:
        """The value of a string (choice) parameter."""
        return str(self.params.get(name, self._spec(name).default))

    def flag(self, name: str) -> bool:
        return bool(self.params.get(name, self._spec(name).default))

    def numbers(self, name: str) -> tuple[float, ...]:
        value = self.params.get(name, self._spec(name).default)
        return tuple(float(v) for v in value) if isinstance(value, tuple) else ()


@dataclass(frozen=True, slots=True)
class MountingSpec:
    """How the sensor is placed: ``mode`` nominal, near_nominal, random or fixed.

    Attributes:
        mode: placement mode; new mountings after a removal are drawn the same way.
        spread_deg: random deviation from the nominal placement (near_nominal), degrees.
        quat_wxyz: the sensor-to-body rotation for ``fixed`` (w, x, y, z).
        lever_arm_m: sensor position relative to the hip centre in the body frame, m.
    """

    mode: str = "near_nominal"
    spread_deg: float = 15.0
    quat_wxyz: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    lever_arm_m: tuple[float, float, float] = (-0.10, 0.0, 0.18)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario."""

    name: str
    activities: tuple[Activity, ...]
    description: str = ""
    start_posture: str = "standing"
    bend_threshold_deg: float = 30.0
    mounting: MountingSpec = field(default_factory=MountingSpec)
    imu: ImuSettings = field(default_factory=ImuSettings)
    seed: int | None = None


def _err(where: str, message: str, value: Any, allowed: str) -> ScenarioError:
    return ScenarioError(message, where=where, value=value, advice=f"allowed: {allowed}")


def _number(where: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(where, f"expected a number, got {value!r}", value, f"a number in [{lo}, {hi}]")
    if not lo <= float(value) <= hi:
        raise _err(where, f"{value!r} is out of range", value, f"[{lo}, {hi}]")
    return float(value)


def _param(where: str, spec: Param, value: Any) -> ParamValue:
    if spec.kind == "num":
        if isinstance(value, list):
            if len(value) != 2:
                raise _err(where, "a range needs two numbers", value, "[low, high]")
            lo, hi = (_number(where, v, spec.lo, spec.hi) for v in value)
            if lo > hi:
                raise _err(where, "range low is above high", value, "[low, high] with low <= high")
            return (lo, hi)
        return _number(where, value, spec.lo, spec.hi)
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _err(where, f"expected an integer, got {value!r}", value, "an integer")
        return int(_number(where, value, spec.lo, spec.hi))
    if spec.kind == "choice":
        if value not in spec.choices:
            raise _err(where, f"unknown value {value!r}", value, ", ".join(spec.choices))
        return str(value)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise _err(where, f"expected true or false, got {value!r}", value, "true, false")
        return value
    if not isinstance(value, list):
        raise _err(where, f"expected a list of numbers, got {value!r}", value, "[n1, n2, …]")
    return tuple(_number(where, v, spec.lo, spec.hi) for v in value)


def parse_activity(index: int, table: Mapping[str, Any]) -> Activity:
    """Validate one ``[[activity]]`` table."""
    kind = table.get("type")
    if not isinstance(kind, str) or kind not in ACTIVITY_SCHEMAS:
        raise _err(f"activity[{index}].type", f"unknown activity type {kind!r}", kind,
                   ", ".join(sorted(ACTIVITY_SCHEMAS)))
    schema = ACTIVITY_SCHEMAS[kind]
    where = f"activity[{index}] ({kind})"
    params: dict[str, ParamValue] = {}
    duration: float | None = None
    count: int | None = None
    continuous = "duration_s" in schema.required
    for key, value in table.items():
        if key == "type":
            continue
        kwhere = f"{where}.{key}"
        if key in ("duration_s", "duration_min", "duration_h") and continuous:
            scale = {"duration_s": 1.0, "duration_min": 60.0, "duration_h": 3600.0}[key]
            if duration is not None:
                raise _err(kwhere, "duration given twice", value, "one of duration_s/min/h")
            duration = _number(kwhere, value, 0.0, 7 * 86400.0 / scale) * scale
        elif key == "count" and not continuous:
            count = int(_param(kwhere, Param("int", 1, 1, 10000), value))  # type: ignore[arg-type]
        elif key in schema.params:
            params[key] = _param(kwhere, schema.params[key], value)
        else:
            allowed = sorted([*schema.params, "type",
                              *(["duration_s", "duration_min", "duration_h"] if continuous
                                else ["count"])])
            raise _err(kwhere, f"unknown key {key!r}", key, ", ".join(allowed))
    if continuous and duration is None:
        raise _err(f"{where}.duration_s", "missing duration", None,
                   "duration_s, duration_min or duration_h")
    if not continuous and count is None:
        count = 1
    return Activity(index, kind, duration, count, MappingProxyType(params))


def _mounting(table: Mapping[str, Any]) -> MountingSpec:
    base = MountingSpec()
    known = {f.name for f in fields(MountingSpec)}
    for key in table:
        if key not in known:
            raise _err(f"mounting.{key}", f"unknown key {key!r}", key, ", ".join(sorted(known)))
    mode = table.get("mode", base.mode)
    if mode not in MOUNTING_MODES:
        raise _err("mounting.mode", f"unknown mode {mode!r}", mode, ", ".join(MOUNTING_MODES))
    spread = _number("mounting.spread_deg", table.get("spread_deg", base.spread_deg), 0.0, 180.0)
    quat = table.get("quat_wxyz", list(base.quat_wxyz))
    lever = table.get("lever_arm_m", list(base.lever_arm_m))
    if not isinstance(quat, list) or len(quat) != 4:
        raise _err("mounting.quat_wxyz", "need four numbers", quat, "[w, x, y, z]")
    q = tuple(_number("mounting.quat_wxyz", v, -1e3, 1e3) for v in quat)
    if np.linalg.norm(q) < 1e-6:
        raise _err("mounting.quat_wxyz", "quaternion is zero", quat, "a non-zero quaternion")
    if not isinstance(lever, list) or len(lever) != 3:
        raise _err("mounting.lever_arm_m", "need three numbers", lever, "[x, y, z] in m")
    lv = tuple(_number("mounting.lever_arm_m", v, -0.5, 0.5) for v in lever)
    return MountingSpec(str(mode), spread, (q[0], q[1], q[2], q[3]), (lv[0], lv[1], lv[2]))


def _imu(table: Mapping[str, Any]) -> ImuSettings:
    types = {f.name: f.type for f in fields(ImuSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in types:
            raise _err(f"imu.{key}", f"unknown key {key!r}", key, ", ".join(sorted(types)))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _err(f"imu.{key}", "expected a number", value, "a number")
        values[key] = int(value) if types[key] in ("int", int) else float(value)
    try:
        return ImuSettings(**values)
    except ConfigError as exc:
        raise ScenarioError(exc.message, where=exc.where, value=exc.value,
                            advice=exc.advice) from exc


def parse_scenario(data: Mapping[str, Any], default_name: str = "scenario") -> Scenario:
    """Validate a scenario given as a parsed TOML document."""
    top = {"name", "description", "start_posture", "bend_threshold_deg", "mounting", "imu",
           "activity", "seed"}
    for key in data:
        if key not in top:
            raise _err(key, f"unknown top-level key {key!r}", key, ", ".join(sorted(top)))
    acts = data.get("activity")
    if not isinstance(acts, list) or not acts:
        raise _err("activity", "a scenario needs at least one [[activity]]", acts,
                   "one or more [[activity]] tables")
    activities = tuple(parse_activity(i, a) for i, a in enumerate(acts))
    start = data.get("start_posture", "standing")
    if start not in START_POSTURES:
        raise _err("start_posture", f"unknown posture {start!r}", start, ", ".join(START_POSTURES))
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise _err("seed", "seed must be a non-negative integer", seed, "0, 1, 2, …")
    return Scenario(
        name=str(data.get("name", default_name)),
        description=str(data.get("description", "")),
        activities=activities,
        start_posture=str(start),
        bend_threshold_deg=_number("bend_threshold_deg", data.get("bend_threshold_deg", 30.0),
                                   1.0, 120.0),
        mounting=_mounting(data.get("mounting", {})),
        imu=_imu(data.get("imu", {})),
        seed=seed,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ScenarioError("scenario file not found", where=str(p), value=str(p),
                            advice="give a .toml path or a built-in scenario name") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", where=str(p)) from exc
    return parse_scenario(data, default_name=p.stem)


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files (``spinewatch/scenarios/*.toml``)."""
    import spinewatch

    folder = Path(spinewatch.__file__).resolve().parent / "scenarios"
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def resolve_scenario(name_or_path: str) -> Scenario:
    """A scenario from a file path or a built-in name such as ``demo_day``."""
    builtins = builtin_scenarios()
    if name_or_path in builtins:
        return load_scenario(builtins[name_or_path])
    if not name_or_path.endswith(".toml") and not Path(name_or_path).exists():
        raise ScenarioError("no such built-in scenario", value=name_or_path,
                            advice="built-ins: " + ", ".join(builtins))
    return load_scenario(name_or_path)
