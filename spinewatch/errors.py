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
