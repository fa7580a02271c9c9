"""The project's one error hierarchy.

Every error the project raises on purpose derives from :class:`SpinewatchError`.
Each carries the offending value (``value``), where it was found (``where``) and
what the user can do about it (``advice``), so that the command line can print
one clear line and callers can react to the type.
"""

from __future__ import annotations

from typing import Any


class SpinewatchError(Exception):
    """Root of every error spinewatch raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        value: Any = None,
        advice: str | None = None,
    ) -> None:
        self.message = message
        self.where = where
        self.value = value
        self.advice = advice
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The error as one line: ``where: message (advice)``."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.advice:
            text += f" ({self.advice})"
        return text.replace("\n", " ")


class ConfigError(SpinewatchError):
    """A setting or profile value is missing, of the wrong type or out of range."""


class RecordingError(SpinewatchError):
    """A recording file is unreadable, corrupt, truncated or has the wrong columns."""


class ScenarioError(SpinewatchError):
    """A simulator scenario file is invalid."""


class InputDataError(SpinewatchError):
    """Arrays handed to the processing stages have the wrong shape, type or values."""


class DeviceProfileError(ConfigError):
    """A sensor's device profile (``firmware_config/*.toml``) is missing or invalid."""


class DecodeError(SpinewatchError):
    """A packet from a sensor is malformed: wrong length, bad header or impossible values.

    ``kind`` names the fault (``length``, ``header``, ``value``) so that a collector can
    count each kind and log it once.
    """

    def __init__(self, message: str, *, kind: str = "malformed", **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(message, **kwargs)


class CollectorError(SpinewatchError):
    """The collector cannot find, connect to or stream from a sensor."""


class StorageError(SpinewatchError):
    """The local result store or a point's line-protocol encoding failed."""


class UploadError(SpinewatchError):
    """Results could not be uploaded to InfluxDB (unreachable, refused, misconfigured)."""


class ReportError(SpinewatchError):
    """A therapist report cannot be made: missing or unreadable inputs, or no PDF renderer."""


class DashboardError(SpinewatchError):
    """Dashboards or alert rules cannot be built, exported or pushed to Grafana."""


class GatewayError(SpinewatchError):
    """The live gateway (``spinewatch run``) cannot start or keep running as configured."""
