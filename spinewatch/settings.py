"""The settings tree: one frozen dataclass per TOML table.

Loaded and validated once at start-up by :func:`spinewatch.config.load_settings`;
every field has a default, so no file at all is a valid configuration. Units
are in the field names; ranges, units and help are in the field metadata,
which the loader enforces and ``spinewatch config defaults`` prints.

Other parts of the project add their sections here as frozen dataclasses;
the loader needs no change for that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from processing.profile import ClinicalProfile
from processing.settings import PipelineSettings
from spinewatch.alerts.webhook import check_webhook_url
from spinewatch.config_schema import Secret
from spinewatch.errors import ConfigError
from spinewatch.profiles import load_profile
from spinewatch.report.settings import ReportSettings
from spinewatch.storage.settings import StorageSettings

ExerciseName = Literal[
    "pelvic_tilt",
    "bridge",
    "cat_camel",
    "bird_dog",
    "sit_to_stand",
    "standing_back_extension",
    "prone_press_up",
    "knee_to_chest",
    "walking",
    "abdominal_bracing",
]

PATIENT_ID_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def _meta(text: str, unit: str = "", **limits: Any) -> dict[str, Any]:
    return {"help": text, "unit": unit, **limits}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExercisePrescription:
    """One exercise of the home programme, as the therapist prescribed it."""

    exercise: ExerciseName = field(metadata=_meta("the exercise"))
    sets: int = field(default=1, metadata=_meta("sets per session", min=1, max=20))
    reps: int | None = field(default=None, metadata=_meta("repetitions per set", min=1, max=200))
    hold_s: float | None = field(
        default=None, metadata=_meta("hold time of each repetition", "s", gt=0, max=3600)
    )
    days_per_week: int = field(default=7, metadata=_meta("sessions per week", min=1, max=7))

    def __post_init__(self) -> None:
        # Without reps or a hold time there is nothing to compare the session to.
        if self.reps is None and self.hold_s is None:
            raise ConfigError("give reps, hold_s or both", where="reps")


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientSettings:
    """Who is monitored and under which clinical profile."""

    id: str = field(
        default="demo-patient",
        metadata=_meta(
            "pseudonymous patient id (never a name): letters, digits, _ . -",
            pattern=PATIENT_ID_PATTERN,
            pattern_help="1 to 64 letters, digits, '_', '.' or '-'",
        ),
    )
    profile: str = field(
        default="fusion_weeks_0_6",
        metadata=_meta("name of a shipped clinical profile, or the path of a profile .toml file"),
    )
    surgery_date: dt.date | None = field(
        default=None, metadata=_meta("date of surgery, YYYY-MM-DD")
    )
    overrides: Mapping[str, bool | int | float | str] = field(
        default_factory=lambda: types.MappingProxyType({}),
        metadata=_meta("the therapist's changes to the profile: profile key = value"),
    )
    prescription: tuple[ExercisePrescription, ...] = field(
        default=(), metadata=_meta("the home exercise programme, one table per exercise")
    )

    def __post_init__(self) -> None:
        # Validated here, once, so that a bad override fails at start-up with its key.
        self.clinical_profile()

    def clinical_profile(self) -> ClinicalProfile:
        """The patient's profile with the therapist's overrides applied."""
        return load_profile(self.profile, self.overrides)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisSettings:
    """How recordings and live data are analysed."""

    timeline_hz: float = field(
        default=10.0,
        metadata=_meta(
            "rate of the stored trunk-angle timeline; 0 keeps every sample", "Hz", min=0, max=1000
        ),
    )
    processing: PipelineSettings = field(default_factory=PipelineSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class PathsSettings:
    """Where spinewatch keeps its files."""

    data_dir: Path = field(
        default=Path("~/.local/share/spinewatch"),
        metadata=_meta("directory for recordings and results; ~ is the home directory"),
    )

    @property
    def data_path(self) -> Path:
        """``data_dir`` with ``~`` expanded."""
        return self.data_dir.expanduser()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertsSettings:
    """Where real-time alerts go; when they go out is the clinical profile's (alert_*)."""

    terminal: bool = field(default=True, metadata=_meta("print each alert as one console line"))
    haptic: bool = field(
        default=True, metadata=_meta("buzz the sensor's vibration motor for patient alerts")
    )
    webhook_url: str | None = field(
        default=None,
        metadata=_meta(
            "the clinic's http(s) URL that receives each clinic alert as JSON; unset: none",
            pattern=r"https?://\S+",
            pattern_help="an http:// or https:// URL",
        ),
    )
    webhook_token: Secret | None = field(
        default=None,
        metadata=_meta("bearer token for the webhook; or webhook_token_file = a file holding it"),
    )
    timeout_s: float = field(
        default=5.0, metadata=_meta("timeout of each webhook attempt", "s", gt=0, max=60)
    )
    log_path: Path = field(
        default=Path("alerts.jsonl"),
        metadata=_meta("the alert log (JSON lines); a relative path is under paths.data_dir"),
    )

    def __post_init__(self) -> None:
        if self.webhook_url is not None:
            check_webhook_url(self.webhook_url, with_token=bool(self.webhook_token))
        elif self.webhook_token is not None:
            raise ConfigError("is set but webhook_url is not", where="webhook_token")

    def log_file(self, data_dir: Path) -> Path:
        """``log_path`` with ``~`` expanded, relative paths under ``data_dir``."""
        path = self.log_path.expanduser()
        return path if path.is_absolute() else data_dir.expanduser() / path


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectorSettings:
    """Which BLE sensors the collector may connect to, and how it streams."""

    allowed_devices: tuple[str, ...] = field(
        default=(),
        metadata=_meta("addresses or advertised names of the sensors the collector may connect"
                       " to; others are never connected"),
    )
    rate_hz: int | None = field(
        default=None, metadata=_meta("sample rate to configure; unset: the profile's", "Hz",
                                     min=1, max=1000),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomSensorSettings:
    """Another patient served by the same gateway process (a clinic room, several sensors).

    In TOML: ``[[gateway.room]]`` with ``device`` (and ``device_profile``), then that
    patient's ``[gateway.room.patient]`` table, as ``[patient]`` is written.
    """

    device: str | None = field(
        default=None,
        metadata=_meta("address or advertised name of this patient's sensor (must also be in "
                       "[collector] allowed_devices; not needed with --virtual)"),
    )
    device_profile: str | None = field(
        default=None, metadata=_meta("its device profile (default: gateway.device_profile)")
    )
    patient: PatientSettings = field(default_factory=PatientSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewaySettings:
    """The live gateway (``spinewatch run``): which sensor, and how it is supervised."""

    device: str | None = field(
        default=None,
        metadata=_meta("address or advertised name of the patient's sensor (must also be in "
                       "[collector] allowed_devices)"),
    )
    device_profile: str = field(
        default="spinewatch_ref", metadata=_meta("the sensor's device profile (firmware_config/)")
    )
    nominal_mounting: bool = field(
        default=True,
        metadata=_meta("use the axes the sensor has when worn as designed from the first sample"
                       " (alerts at once), until walking measures the real ones"),
    )
    health_path: Path = field(
        default=Path("gateway-health.json"),
        metadata=_meta("health file rewritten while running; a relative path is under "
                       "paths.data_dir"),
    )
    health_every_s: float = field(
        default=2.0, metadata=_meta("how often the health file is rewritten", "s", gt=0, max=60)
    )
    commit_every_s: float = field(
        default=1.0,
        metadata=_meta("results are committed to the local store at least this often", "s",
                       gt=0, max=60),
    )
    queue_chunks: int = field(
        default=4096,
        metadata=_meta("packets held between the collector and processing before the oldest is"
                       " dropped from live processing (the recording keeps them)", min=16,
                       max=1_000_000),
    )

    room: tuple[RoomSensorSettings, ...] = field(
        default=(),
        metadata=_meta("further patients this gateway serves in the same process, one "
                       "[[gateway.room]] table each (their own health file: health_path with "
                       "the patient id before the suffix)"),
    )

    def health_file(self, data_dir: Path) -> Path:
        """``health_path`` with ``~`` expanded, relative paths under ``data_dir``."""
        path = self.health_path.expanduser()
        return path if path.is_absolute() else data_dir.expanduser() / path


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """All of spinewatch's settings."""

    patient: PatientSettings = field(default_factory=PatientSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    paths: PathsSettings = field(default_factory=PathsSettings)
    alerts: AlertsSettings = field(default_factory=AlertsSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)

    def __post_init__(self) -> None:
        # Two gateways on one patient id would share (and overwrite) its recordings and
        # results; two on one sensor would fight over the connection.
        ids = [self.patient.id, *(r.patient.id for r in self.gateway.room)]
        devices = [self.gateway.device, *(r.device for r in self.gateway.room)]
        for k, room in enumerate(self.gateway.room):
            if ids.count(room.patient.id) > 1:
                raise ConfigError("patient id served twice by this gateway",
                                  where=f"gateway.room[{k}].patient.id", value=room.patient.id,
                                  advice="give each patient in the room a different id")
            if room.device is not None and devices.count(room.device) > 1:
                raise ConfigError("sensor given to two patients",
                                  where=f"gateway.room[{k}].device", value=room.device,
                                  advice="give each patient in the room their own sensor")

    def patients(self) -> tuple[Settings, ...]:
        """One settings tree per patient the gateway serves: this one, then ``gateway.room``.

        A room patient's tree is this one with its ``[patient]``, sensor and health file
        (``health_path`` with ``.PATIENT-ID`` before the suffix).
        """
        trees = [self]
        g = self.gateway
        for room in g.room:
            health = g.health_path.with_name(
                f"{g.health_path.stem}.{room.patient.id}{g.health_path.suffix}")
            gateway = dataclasses.replace(
                g, device=room.device, device_profile=room.device_profile or g.device_profile,
                health_path=health, room=())
            trees.append(dataclasses.replace(self, patient=room.patient, gateway=gateway))
        return tuple(trees)
