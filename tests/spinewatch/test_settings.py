"""The settings tree: defaults, patient and prescription, profile overrides."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from spinewatch.config import build, dump_defaults, dump_toml, load, load_settings
from spinewatch.errors import ConfigError
from spinewatch.profiles import read_profile
from spinewatch.settings import (
    AnalysisSettings,
    ExercisePrescription,
    PatientSettings,
    Settings,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def settings_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), env or {})
    return str(info.value)


def test_no_file_is_a_valid_configuration() -> None:
    settings = load_settings(None, {})
    assert settings == Settings()
    assert settings.patient.id == "demo-patient"
    assert settings.patient.profile == "fusion_weeks_0_6"
    assert settings.patient.surgery_date is None
    assert dict(settings.patient.overrides) == {} and settings.patient.prescription == ()
    assert settings.analysis.timeline_hz == 10.0
    assert settings.paths.data_dir == Path("~/.local/share/spinewatch")


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().analysis.timeline_hz = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        Settings().patient.overrides["x"] = 1  # type: ignore[index]


def test_data_path_expands_home() -> None:
    assert Settings().paths.data_path == Path("~/.local/share/spinewatch").expanduser()


def test_a_full_gateway_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[patient]
id = "p-042"
profile = "discectomy_weeks_2_6"
surgery_date = 2025-01-10

[patient.overrides]
flexion_limit_deg = 35
lift_allowed = false

[[patient.prescription]]
exercise = "bridge"
sets = 3
reps = 10
hold_s = 5

[[patient.prescription]]
exercise = "bird_dog"
reps = 8
hold_s = 10
days_per_week = 5

[analysis]
timeline_hz = 0

[paths]
data_dir = "/srv/spinewatch"
""",
    )
    settings = load_settings(path, {})
    patient = settings.patient
    assert (patient.id, patient.surgery_date) == ("p-042", dt.date(2025, 1, 10))
    assert patient.prescription == (
        ExercisePrescription(exercise="bridge", sets=3, reps=10, hold_s=5.0),
        ExercisePrescription(exercise="bird_dog", reps=8, hold_s=10.0, days_per_week=5),
    )
    profile = patient.clinical_profile()
    assert profile.name == "discectomy_weeks_2_6"
    assert profile.flexion_limit_deg == 35.0 and profile.lift_allowed is False
    assert settings.analysis.timeline_hz == 0.0
    assert settings.paths.data_path == Path("/srv/spinewatch")


def test_surgery_date_as_a_string(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[patient]\nsurgery_date = "2025-02-01"\n'), {})
    assert settings.patient.surgery_date == dt.date(2025, 2, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[patient]\nid = "Jane Doe"', ':2: patient.id = "Jane Doe": must be 1 to 64 letters'),
        ('[patient]\nid = ""', ':2: patient.id = "": must be 1 to 64'),
        (
            '[patient]\nprofile = "fusion"',
            ':2: patient.profile = "fusion": no such profile (use one of discectomy_weeks_0_2',
        ),
        (
            '[patient]\nsurgery_date = "yesterday"',
            ':2: patient.surgery_date = "yesterday": must be a date (YYYY-MM-DD)',
        ),
        (
            "[analysis]\ntimeline_hz = -1",
            ":2: analysis.timeline_hz = -1: must be between 0 and 1000 Hz",
        ),
        (
            "[analysis.processing]\norientation = 1",
            ":2: analysis.processing.orientation = 1: must be a table",
        ),
        (
            "[analysis.processing.gait]\nmin_step_interval_s = 2.0",
            "analysis.processing.gait.min_step_interval_s = 2.0: must be below max_step_interval_s",
        ),
        ("[patients]\nid = 1", ":1: patients: unknown key (did you mean 'patient'?)"),
        (
            '[[patient.prescription]]\nexercise = "plank"\nreps = 3',
            ':2: patient.prescription[0].exercise = "plank": '
            'must be one of "pelvic_tilt", "bridge"',
        ),
        (
            '[[patient.prescription]]\nexercise = "bridge"',
            ":1: patient.prescription[0].reps: give reps, hold_s or both",
        ),
        (
            "[[patient.prescription]]\nreps = 3",
            ":1: patient.prescription[0].exercise: missing required key",
        ),
        (
            '[[patient.prescription]]\nexercise = "bridge"\nreps = 5\ndays_per_week = 8',
            ":4: patient.prescription[0].days_per_week = 8: must be between 1 and 7",
        ),
        (
            '[[patient.prescription]]\nexercise = "bird_dog"\nhold_s = 0',
            ":3: patient.prescription[0].hold_s = 0: must be > 0 and ≤ 3600 s",
        ),
    ],
)
def test_setting_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in settings_error(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "flexion_limit_dg = 30",
            "patient.overrides.flexion_limit_dg: unknown key (did you mean 'flexion_limit_deg'?)",
        ),
        (
            'flexion_limit_deg = "30"',
            'patient.overrides.flexion_limit_deg = "30": must be a number',
        ),
        (
            "flexion_hold_s = -3",
            "patient.overrides.flexion_hold_s = -3: must be between 0 and 600 s",
        ),
        (
            "flexion_caution_deg = 30",
            "patient.overrides.flexion_caution_deg = 30: must be below flexion_limit_deg = 25.0 "
            "(profile fusion_weeks_0_6 with these overrides)",
        ),
        (
            "flexion_limit_deg = 10",
            "patient.overrides.flexion_limit_deg = 10: "
            "makes the profile's flexion_caution_deg = 15.0 "
            "break its rule: flexion_caution_deg must be below flexion_limit_deg = 10.0 "
            "(profile fusion_weeks_0_6 with these overrides)",
        ),
    ],
)
def test_override_errors_name_the_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    message = settings_error(tmp_path, f'[patient]\nid = "p-1"\n\n[patient.overrides]\n{text}\n')
    assert message == f"{tmp_path / 'gateway.toml'}:5: {expected}"


def test_override_errors_from_the_environment_name_the_variable() -> None:
    env = {"SPINEWATCH__PATIENT__OVERRIDES__FLEXION_HOLD_S": "-1"}
    with pytest.raises(ConfigError) as info:
        load_settings(None, env)
    assert str(info.value).startswith(
        "SPINEWATCH__PATIENT__OVERRIDES__FLEXION_HOLD_S: patient.overrides.flexion_hold_s = -1: "
    )


def test_environment_overrides_settings_at_every_depth(tmp_path: Path) -> None:
    path = write(tmp_path, '[patient]\nid = "file-id"\n[patient.overrides]\nsitting_max_min = 25\n')
    env = {
        "SPINEWATCH__PATIENT__ID": "env-id",
        "SPINEWATCH__PATIENT__PROFILE": "maintenance",
        "SPINEWATCH__PATIENT__SURGERY_DATE": "2025-01-02",
        "SPINEWATCH__PATIENT__OVERRIDES__FLEXION_LIMIT_DEG": "50",
        "SPINEWATCH__PATIENT__OVERRIDES__LIFT_ALLOWED": "no",
        "SPINEWATCH__PATIENT__PRESCRIPTION": '[{ exercise = "walking", hold_s = 600 }]',
        "SPINEWATCH__ANALYSIS__TIMELINE_HZ": "25",
        "SPINEWATCH__PATHS__DATA_DIR": "/var/lib/spinewatch",
    }
    settings = load_settings(path, env)
    assert settings.patient.id == "env-id" and settings.patient.profile == "maintenance"
    assert settings.patient.surgery_date == dt.date(2025, 1, 2)
    profile = settings.patient.clinical_profile()
    assert (profile.flexion_limit_deg, profile.lift_allowed, profile.sitting_max_min) == (
        50.0,
        False,
        25.0,
    )
    assert settings.patient.prescription == (
        ExercisePrescription(exercise="walking", hold_s=600.0),
    )
    assert settings.analysis.timeline_hz == 25.0
    assert settings.paths.data_dir == Path("/var/lib/spinewatch")


def test_env_is_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINEWATCH__ANALYSIS__TIMELINE_HZ", "5")
    assert load_settings().analysis.timeline_hz == 5.0


def test_dump_defaults_round_trips(tmp_path: Path) -> None:
    text = dump_defaults()
    tomllib.loads(text)
    assert load_settings(write(tmp_path, text), {}) == Settings()


def test_dump_defaults_documents_every_key_with_unit_and_help() -> None:
    text = dump_defaults()
    for line in (
        "[patient]",
        'id = "demo-patient"',
        'profile = "fusion_weeks_0_6"',
        "# surgery_date =",
        "[patient.overrides]",
        "# [[patient.prescription]]",
        "[analysis]",
        "timeline_hz = 10.0",
        "[analysis.processing]",
        "[paths]",
        'data_dir = "~/.local/share/spinewatch"',
    ):
        assert line in text.splitlines(), line
    assert "[between 0 and 1000 Hz]" in text
    assert '"standing_back_extension"' in text


def test_dump_of_custom_settings_round_trips(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {
            "SPINEWATCH__PATIENT__SURGERY_DATE": "2025-01-02",
            "SPINEWATCH__PATIENT__OVERRIDES__FLEXION_LIMIT_DEG": "30",
            "SPINEWATCH__PATIENT__PRESCRIPTION": '[{ exercise = "bridge", sets = 3, reps = 10 }]',
        },
    )
    assert load_settings(write(tmp_path, dump_toml(settings)), {}) == settings


def test_profile_path_in_settings(tmp_path: Path) -> None:
    profile_path = tmp_path / "clinic.toml"
    profile_path.write_text(dump_toml(read_profile("maintenance")), encoding="utf-8")
    settings = load_settings(None, {"SPINEWATCH__PATIENT__PROFILE": str(profile_path)})
    assert settings.patient.clinical_profile().sitting_max_min == 45.0


def test_patient_settings_validate_overrides_when_built_in_code() -> None:
    with pytest.raises(ConfigError) as info:
        PatientSettings(overrides={"nope": 1})
    assert info.value.where == "overrides.nope"


@dataclass(frozen=True, slots=True, kw_only=True)
class StageSettings:
    """A stand-in for a processing stage's settings, e.g. OrientationSettings."""

    gain: float = field(default=0.5, metadata={"min": 0, "max": 1, "help": "filter gain"})
    mode: str = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedProcessing:
    orientation: StageSettings = field(default_factory=StageSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedAnalysis:
    timeline_hz: float = 10.0
    processing: ExtendedProcessing = field(default_factory=ExtendedProcessing)


def test_a_stage_settings_dataclass_drops_in_without_loader_changes(tmp_path: Path) -> None:
    path = write(tmp_path, "[processing.orientation]\ngain = 0.25\n")
    loaded = load(ExtendedAnalysis, path, {"SPINEWATCH__PROCESSING__ORIENTATION__MODE": "fixed"})
    assert loaded.processing.orientation == StageSettings(gain=0.25, mode="fixed")
    with pytest.raises(
        ConfigError, match=r"processing\.orientation\.gain = 2: must be between 0 and 1"
    ):
        build(ExtendedAnalysis, {"processing": {"orientation": {"gain": 2}}})


def test_analysis_defaults() -> None:
    assert AnalysisSettings().timeline_hz == 10.0
